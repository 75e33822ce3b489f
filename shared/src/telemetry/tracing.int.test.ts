import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, type ContextManager, ROOT_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '../db/connect.ts';
import { createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { type OutboxRelay, startOutboxRelay } from '../outbox/relay.ts';
import { type Projector, startProjector } from '../projection/projector.ts';
import { type RpcClient, createRpcClient, serveRpc } from '../rpc/rpc.ts';
import { requestEventMeta } from '../service/command.ts';
import { backendMissing, postgresUrls } from '../testing/backends.ts';
import { SETTLE_MS, eventually } from '../testing/eventually.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { createJetStreamTransport } from '../transport/jetstream.ts';
import { contextFrom, inSpan } from './tracing.ts';

const pg = postgresUrls();
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const natsReachable = await connect({ servers: natsUrl, timeout: 5_000, reconnect: false }).then(
  async (nc) => {
    await nc.close();
    return true;
  },
  () => false,
);
const natsMissing = backendMissing('nats', natsReachable ? null : `no NATS at ${natsUrl}`);
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const run = randomUUID().slice(0, 8);

/** The SDK's context manager in a few lines (AsyncLocalStorage), so the test needs no package beyond the SDK. */
class StorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]): unknown => this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

describe.skipIf(!pg || natsMissing)('one trace per request across processes', () => {
  const exporter = new InMemorySpanExporter();
  const tenantId = randomUUID();
  const projectId = randomUUID();
  const apiKey = `mnd_${randomUUID().replaceAll('-', '')}`;
  const text = `sealed document text ${randomUUID()}`;
  const pattern = `trace${run}.note`;
  let sql: Sql;
  let transport: EventTransport;
  let relay: OutboxRelay;
  let projector: Projector;
  let client: RpcClient;
  let rpc: { close(): Promise<void> };
  let http: Server;

  beforeAll(async () => {
    if (!pg) return;
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    context.setGlobalContextManager(new StorageContextManager());
    trace.setGlobalTracerProvider(provider);
    sql = createSql(pg.appUrl, { max: 6, appName: 'mandant-tracing-test' });
    const store = createEventStore(sql);
    transport = await createJetStreamTransport({ servers: natsUrl, log, name: `tracing-test-${run}` });
    relay = startOutboxRelay({ sql, transport, log, store });
    projector = startProjector({
      sql,
      log,
      transport,
      projection: { name: `trace${run}`, version: 1, handles: (t) => t === 'trace.noted.v1', apply: async () => {}, reset: async () => {} },
    });
    // the service: a use case that appends what it was given
    rpc = await serveRpc({
      service: `trace${run}`,
      transport: { kind: 'nats', servers: [natsUrl] },
      log,
      handlers: {
        [pattern]: async (input, ctx) => {
          const event = {
            id: uuidv7(),
            type: 'trace.noted.v1',
            project_id: projectId,
            occurred_at: new Date().toISOString(),
            data: { input },
          };
          const r = await store.append(tenantId, `note-${randomUUID()}`, 0, [event], requestEventMeta(ctx, 'api_key:trace'));
          return { position: r.position };
        },
      },
    });
    client = await createRpcClient({ kind: 'nats', servers: [natsUrl] });
    // the gateway: its HTTP server span (the auto-instrumentation's in a real process) around the RPC
    http = createServer((req, res) => {
      void inSpan(
        'POST /trace',
        { kind: SpanKind.SERVER, parent: contextFrom(req.headers.traceparent as string | undefined) },
        async () => {
          const reply = await client.request(pattern, {
            principal: { tenant_id: tenantId, user_id: null, tenant_role: 'member', actor: 'api_key:trace' },
            meta: { correlation_id: randomUUID(), traceparent: null },
            input: { text },
          });
          res.writeHead(reply.ok ? 200 : 500, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
        },
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  }, SETTLE_MS);

  afterAll(async () => {
    http?.close();
    await client?.close();
    await rpc?.close();
    await projector?.stop();
    await relay?.stop();
    await transport?.close();
    await sql?.end({ timeout: 5 });
    trace.disable();
    context.disable();
  });

  it(
    'follows a request from HTTP through the RPC server and the append, and links the relay and projector pages to it',
    async () => {
      const { port } = http.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/trace`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
      expect(res.status).toBe(200);
      const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
      const httpSpan = spans().find((s) => s.name === 'POST /trace');
      expect(httpSpan).toBeDefined();
      const traceId = httpSpan?.spanContext().traceId;
      const linked = (s: ReadableSpan) => s.attributes.tenant_id === tenantId && s.links.some((l) => l.context.traceId === traceId);
      const projectorSpan = await eventually(
        () => spans().find((s) => s.name === `projector trace${run}@v1` && linked(s)),
        'the projector span',
      );
      const relaySpan = spans().find((s) => s.name === 'outbox relay' && linked(s));
      expect(relaySpan).toBeDefined();

      const rpcSpan = spans().find((s) => s.name === `rpc ${pattern}`);
      expect(rpcSpan?.spanContext().traceId).toBe(traceId);
      expect(rpcSpan?.kind).toBe(SpanKind.SERVER);
      expect(rpcSpan?.parentSpanContext?.spanId).toBe(httpSpan?.spanContext().spanId);
      expect(rpcSpan?.attributes.tenant_id).toBe(tenantId);
      const append = spans().find((s) => s.name === 'append' && s.attributes.tenant_id === tenantId);
      expect(append?.spanContext().traceId).toBe(traceId);
      expect(append?.parentSpanContext?.spanId).toBe(rpcSpan?.spanContext().spanId);
      expect(append?.attributes.project_id).toBe(projectId);

      // the pages are traces of their own, linked to the request's
      expect(relaySpan?.spanContext().traceId).not.toBe(traceId);
      expect(projectorSpan.attributes.project_id).toBe(projectId);
      const storeSpan = spans().find(
        (s) => s.name === `read-store trace${run}@v1` && s.parentSpanContext?.spanId === projectorSpan.spanContext().spanId,
      );
      expect(storeSpan?.attributes.tenant_id).toBe(tenantId);

      // no credential, no content in any attribute of any span
      for (const s of spans())
        for (const v of Object.values(s.attributes)) {
          expect(String(v)).not.toContain(apiKey);
          expect(String(v)).not.toContain(text);
        }
    },
    2 * SETTLE_MS,
  );
});
