import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientNats,
  type ClientProxy,
  type CustomTransportStrategy,
  MessagePattern,
  NatsRecordBuilder,
  ServerNats,
} from '@nestjs/microservices';
import { type Principal, type RequestMeta, RpcRequest, type RpcReply } from '@mandant/contracts';
import { type NatsConnection, connect, headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { SpanKind, activeTraceparent, contextFrom, inSpan, parseTraceparent } from '../telemetry/tracing.ts';
import { type Idempotency, type IdempotencyOptions, createIdempotency, idempotentCorrelationId } from './idempotency.ts';
import { type InProcessHub, InProcessClient, InProcessServer, inProcessStream } from './in-process.ts';
import { refuseUnstorable, toReply } from './reply.ts';
import {
  type OpenStream,
  RpcStreamError,
  type RpcStreamEvent,
  type RpcStreamHandler,
  type RpcStreamOptions,
  consumeStream,
  natsStream,
  runStream,
  serveNatsStreams,
  streamOf,
} from './stream.ts';

/** Where requests travel: a NATS server (production) or the in-process hub (one process, no NATS). */
export type RpcTransport = { kind: 'nats'; servers: string[] } | { kind: 'in-process'; hub: InProcessHub };

export interface RpcContext {
  principal: Principal | null;
  operator: boolean;
  meta: RequestMeta;
}
/** A use case behind a message pattern: parse `input` with contracts/, do the work, return a value or throw a DomainError. */
export type RpcHandler = (input: unknown, ctx: RpcContext) => Promise<unknown>;

export class RpcUnavailableError extends Error {
  override readonly name = 'RpcUnavailableError';
}

/**
 * Runs one request's handler and turns its outcome into a reply. A request carrying an
 * idempotency key runs through the claim (idempotency.ts) when the process has a database; its
 * correlation id is the one derived from the key, so every event it appends can be found again,
 * and the handler never sees the seal.
 */
async function answer(
  pattern: string,
  handler: RpcHandler,
  req: RpcRequest,
  idempotency: Idempotency | null,
  log: Logger,
): Promise<RpcReply> {
  const exec = async (meta: RequestMeta): Promise<RpcReply> => {
    try {
      const value = await handler(req.input, { principal: req.principal, operator: req.operator, meta });
      return { ok: true, value: value ?? null };
    } catch (err) {
      return toReply(err, log, pattern);
    }
  };
  const { idempotency: id, ...meta } = req.meta;
  if (!id || !idempotency) return exec(meta);
  const keyed = { ...meta, correlation_id: idempotentCorrelationId(id.key) };
  return idempotency.serve(pattern, { ...req, meta: { ...keyed, idempotency: id } }, () => exec(keyed));
}

/**
 * Serves `handlers` as NestJS message patterns on the chosen transport. The controller is
 * built from the map so each service keeps its use cases as plain functions; NestJS only routes.
 * On NATS the service joins a queue group, so replicas share the load. With `sql`, requests
 * carrying an idempotency key run at most once per key (see idempotency.ts); without it they run
 * as any other.
 */
export async function serveRpc(opts: {
  service: string;
  handlers: Record<string, RpcHandler>;
  transport: RpcTransport;
  log: Logger;
  sql?: Sql;
  idempotency?: IdempotencyOptions;
}): Promise<{ close(): Promise<void> }> {
  const { handlers } = opts;
  const log = opts.log.child({ service: opts.service });
  const idempotency = opts.sql ? createIdempotency(opts.sql, log, opts.idempotency) : null;
  /** requests being answered: a drain waits for them before the connection closes */
  const inFlight = new Set<Promise<RpcReply>>();
  class RpcController {}
  for (const [pattern, handler] of Object.entries(handlers)) {
    const serve = async (data: unknown, natsCtx?: unknown): Promise<RpcReply> => {
      // the caller's trace: the NATS header, else the request's meta (the in-process hub has no headers)
      const header = traceHeader(natsCtx);
      const given = parseTraceparent(header) ? header : typeof data === 'object' && data ? traceOfMeta(data) : null;
      return inSpan(
        `rpc ${pattern}`,
        { kind: SpanKind.SERVER, parent: contextFrom(given), attributes: { 'rpc.system': opts.transport.kind, 'rpc.method': pattern } },
        async (span) => {
          try {
            const req = RpcRequest.parse(data);
            refuseUnstorable(req);
            if (req.principal) span.setAttribute('tenant_id', req.principal.tenant_id);
            // what the use case appends continues this span's trace
            const traced = { ...req, meta: { ...req.meta, traceparent: activeTraceparent(req.meta.traceparent) } };
            return await answer(pattern, handler, traced, idempotency, log);
          } catch (err) {
            return toReply(err, log, pattern);
          }
        },
      );
    };
    const method = (data: unknown, natsCtx?: unknown): Promise<RpcReply> => {
      const answering = serve(data, natsCtx);
      inFlight.add(answering);
      void answering.finally(() => inFlight.delete(answering));
      return answering;
    };
    Object.defineProperty(RpcController.prototype, pattern, { value: method, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(RpcController.prototype, pattern);
    if (descriptor) MessagePattern(pattern)(RpcController.prototype, pattern, descriptor);
  }
  Controller()(RpcController);
  class RpcModule {}
  Module({ controllers: [RpcController] })(RpcModule);

  const strategy: CustomTransportStrategy =
    opts.transport.kind === 'nats'
      ? new ServerNats({ servers: opts.transport.servers, queue: `mandant-${opts.service}`, maxReconnectAttempts: -1 })
      : new InProcessServer(opts.transport.hub);
  const app = await NestFactory.createMicroservice(RpcModule, { strategy, logger: false });
  await app.listen();
  const streams = await serveStreams(opts.service, handlers, opts.transport, log);
  return {
    async close() {
      // Drain: stop taking requests first (the queue group sends new ones to other replicas;
      // a subscription's drain hands over what it already received), answer those in flight on
      // the still open connection, and only then close it.
      const subscriptions = (strategy as unknown as { subscriptions?: { drain?: () => Promise<void>; unsubscribe(): void }[] })
        .subscriptions;
      await Promise.all(
        (subscriptions ?? []).map(async (sub) => (sub.drain ? sub.drain().catch(() => sub.unsubscribe()) : sub.unsubscribe())),
      );
      await streams.close();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      // the replies are published once the handlers' promises settled: let them out, then flush
      await new Promise((resolve) => setImmediate(resolve));
      await (strategy as unknown as { natsClient?: { flush(): Promise<void> } | null }).natsClient?.flush().catch(() => {});
      await app.close();
    },
  };
}

/** The `traceparent` header of a NATS request (NestJS passes its NatsContext second), if any. */
function traceHeader(natsCtx: unknown): string | null {
  const getHeaders = (natsCtx as { getHeaders?: () => { get(k: string): string } | undefined } | undefined)?.getHeaders;
  if (typeof getHeaders !== 'function') return null;
  try {
    return getHeaders.call(natsCtx)?.get('traceparent') || null;
  } catch {
    return null;
  }
}

/** The meta's `traceparent` of a request not parsed yet (the span starts before parsing). */
function traceOfMeta(data: object): string | null {
  const meta = (data as { meta?: unknown }).meta;
  const tp = typeof meta === 'object' && meta ? (meta as { traceparent?: unknown }).traceparent : null;
  return typeof tp === 'string' ? tp : null;
}

/** The streaming side of the handlers `streamingHandler` marked (stream.ts), on the same transport. */
async function serveStreams(service: string, handlers: Record<string, RpcHandler>, transport: RpcTransport, log: Logger) {
  const streaming = new Map<string, RpcStreamHandler>();
  for (const [pattern, handler] of Object.entries(handlers)) {
    const stream = streamOf(handler);
    if (stream) streaming.set(pattern, stream);
  }
  if (streaming.size === 0) return { close: async () => {} };
  if (transport.kind === 'in-process') {
    const { hub } = transport;
    for (const [pattern, handler] of streaming)
      hub.streams.set(pattern, (data, emit, signal) => runStream(pattern, handler, data, emit, signal, log));
    return {
      close: async () => {
        for (const pattern of streaming.keys()) hub.streams.delete(pattern);
      },
    };
  }
  const nc = await connect({ servers: transport.servers, maxReconnectAttempts: -1, name: `mandant-${service}-streams` });
  const served = serveNatsStreams(nc, service, streaming, log);
  return {
    async close() {
      await served.close();
      await nc.drain();
    },
  };
}

export interface RpcClient {
  /** Sends one request and returns the service's reply; a transport failure rejects with RpcUnavailableError. */
  request<T>(
    pattern: string,
    req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
    timeoutMs?: number,
  ): Promise<RpcReply<T>>;
  /**
   * Sends one request to a streaming handler and yields its chunks as they come, then its `end`
   * (the reply: a refusal before any chunk comes as the only event). A transport failure, a
   * bound passed or the caller's signal throws RpcStreamError and tells the server to stop.
   * Absent on clients that cannot stream (test doubles): callers then use `request`.
   */
  stream?<T>(
    pattern: string,
    req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
    opts?: RpcStreamOptions,
  ): AsyncIterable<RpcStreamEvent<T>>;
  close(): Promise<void>;
}

export async function createRpcClient(transport: RpcTransport): Promise<RpcClient> {
  const proxy: Pick<ClientProxy, 'connect' | 'close' | 'send'> =
    transport.kind === 'nats'
      ? new ClientNats({ servers: transport.servers, maxReconnectAttempts: -1 })
      : new InProcessClient(transport.hub);
  await proxy.connect();
  // streams over NATS use a connection of their own, opened on first use
  let streamConnection: Promise<NatsConnection> | null = null;
  const natsConnection = (servers: string[]) =>
    (streamConnection ??= connect({ servers, maxReconnectAttempts: -1, name: 'mandant-rpc-streams' }));
  return {
    async *stream<T>(
      pattern: string,
      req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
      opts: RpcStreamOptions = {},
    ) {
      const request = { operator: false, ...req };
      let open: OpenStream;
      if (transport.kind === 'in-process') open = inProcessStream(transport.hub, pattern, request);
      else {
        let nc: NatsConnection;
        try {
          nc = await natsConnection(transport.servers);
        } catch (err) {
          streamConnection = null;
          throw new RpcStreamError('NATS is unreachable for streams', { cause: err });
        }
        open = natsStream(nc, pattern, request);
      }
      yield* consumeStream<T>(pattern, open, opts);
    },
    async request<T>(
      pattern: string,
      req: { principal: Principal | null; operator?: boolean; meta: RequestMeta; input: unknown },
      timeoutMs = 15_000,
    ) {
      // the active span (the gateway's HTTP span) is the parent of the service's `rpc` span
      const traceparent = activeTraceparent(req.meta.traceparent);
      const body = { operator: false, ...req, meta: { ...req.meta, traceparent } };
      let packet: unknown = body;
      if (transport.kind === 'nats' && traceparent) {
        const h = natsHeaders();
        h.set('traceparent', traceparent);
        packet = new NatsRecordBuilder(body).setHeaders(h).build();
      }
      try {
        return await firstValueFrom(proxy.send<RpcReply<T>>(pattern, packet).pipe(timeout(timeoutMs)));
      } catch (err) {
        throw new RpcUnavailableError(`request ${pattern} failed`, { cause: err });
      }
    },
    async close() {
      await proxy.close();
      if (streamConnection) await (await streamConnection).drain();
    },
  };
}
