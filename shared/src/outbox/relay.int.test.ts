import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope, EventMeta } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { findNatsServer, startNatsServer } from '../runtime/nats-server.ts';
import { backendMissing, postgresUrls } from '../testing/backends.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { createJetStreamTransport } from '../transport/jetstream.ts';
import { outboxPositions, startOutboxRelay } from './relay.ts';
import { SETTLE_MS, eventually } from '../testing/eventually.ts';

const pg = postgresUrls();
const natsBinary = findNatsServer();
const natsMissing = backendMissing('nats', natsBinary ? null : 'no nats-server binary to start a private server');
const log = createLogger({ level: 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };
const ev = (i: number) => ({ id: uuidv7(), type: 'test.counted.v1', project_id: null, occurred_at: new Date().toISOString(), data: { i } });

/** Collects what a durable consumer receives, and resolves once `n` distinct events arrived. */
function collect(transport: EventTransport, filter: string) {
  const got: EventEnvelope[] = [];
  let wake = () => {};
  const consumer = transport.consume({ durable: `t${randomUUID().slice(0, 8)}`, filterSubject: filter }, async (m) => {
    got.push(JSON.parse(new TextDecoder().decode(m.payload)) as EventEnvelope);
    wake();
  });
  return {
    got,
    consumer,
    async until(n: number, timeoutMs = SETTLE_MS) {
      const deadline = Date.now() + timeoutMs;
      while (new Set(got.map((e) => e.id)).size < n) {
        if (Date.now() > deadline) throw new Error(`received ${got.length} of ${n}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    },
  };
}

// A private nats-server on its own port, so the suite may stop it without touching anyone else.
describe.skipIf(!pg || natsMissing)('outbox relay to JetStream', () => {
  let sql: Sql;
  let dir: string;
  beforeAll(async () => {
    if (!pg) return;
    sql = createSql(pg.appUrl, { max: 8 });
    dir = await mkdtemp(join(tmpdir(), 'mandant-relay-'));
  });
  afterAll(async () => {
    await sql?.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes committed events in tenant order with the event id as message id, and keeps accepting appends while NATS is down', async () => {
    if (!natsBinary) return;
    const store = createEventStore(sql);
    let server = await startNatsServer({ binary: natsBinary, storeDir: dir, log });
    const port = server.port;
    const transport = await createJetStreamTransport({
      servers: [server.url],
      log,
      streamName: `RELAY_${randomUUID().slice(0, 8)}`,
      requestTimeoutMs: 1000,
    });
    const relay = startOutboxRelay({ sql, transport, log, store, pollMs: 100, maxBackoffMs: 500 });
    const tenant = randomUUID();
    const sink = collect(transport, `events.${tenant}.>`);
    try {
      for (let i = 1; i <= 10; i++) await store.append(tenant, `s${i}`, 0, [ev(i)], meta);
      await sink.until(10);

      await server.stop();
      for (let i = 11; i <= 30; i++) await store.append(tenant, `s${i}`, 0, [ev(i)], meta);
      expect(await store.head(tenant)).toBe(30);

      server = await startNatsServer({ binary: natsBinary, storeDir: dir, port, log });
      await sink.until(30);
      const distinct = [...new Map(sink.got.map((e) => [e.id, e])).values()].map((e) => e.tenant_seq);
      expect(distinct).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(sink.got.every((e) => e.tenant_id === tenant)).toBe(true);
    } finally {
      await (await sink.consumer).stop();
      await relay.stop();
      await transport.close();
      await server.stop();
    }
  });

  it("publishes a tenant's events while another tenant's page is still out: a backlog makes no one else wait for it", async () => {
    const store = createEventStore(sql);
    const [busy, quiet] = [randomUUID(), randomUUID()];
    // the busy tenant's publishes are held until the test lets them go: its page stays out
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const published: string[] = [];
    const transport: EventTransport = {
      async publish(e) {
        if (e.subject.startsWith(`events.${busy}.`)) await held;
        published.push(e.subject.split('.')[1] ?? '');
      },
      consume: async () => ({ stop: async () => {} }),
      close: async () => {},
    };
    const relay = startOutboxRelay({ sql, transport, log, store, pollMs: 3_600_000 });
    try {
      for (let i = 1; i <= 5; i++) await store.append(busy, `s${i}`, 0, [ev(i)], meta);
      await store.append(quiet, 's', 0, [ev(1)], meta);
      // the busy tenant's page is held until `release()`: the quiet one cannot be waiting behind it
      await eventually(() => published.includes(quiet), "the quiet tenant published while the busy tenant's page is held", SETTLE_MS, 10);
      expect(published.filter((t) => t === busy)).toEqual([]);
    } finally {
      release();
      await relay.stop();
    }
    // stopping waited for the run that held the busy tenant's page: it went out once let go
    expect(published.filter((t) => t === busy)).toHaveLength(5);
  });

  it('publishes runs of positions and single ones alike, in tenant order, whatever their mix and wherever a page or a failed publish cuts them (property)', async () => {
    // During a rolling update the outbox holds both forms for one tenant: single positions written
    // by appends of the version before migration 260, runs written by this version's. A page holds
    // at most 500 positions, so a long run is published over several pages.
    const store = createEventStore(sql);
    const older = (tenant: string, stream: string, size: number) =>
      withTenant(
        sql,
        tenant,
        (tx) =>
          tx`select * from mandant_append_v2(${tenant}, ${tx.json([
            {
              stream,
              expected: 0,
              ...meta,
              events: Array.from({ length: size }, (_, i) => ({ ...ev(i), content_hash: 'c'.repeat(64) })),
            },
          ] as never)})`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ older: fc.boolean(), size: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 490, max: 560 })) }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.option(fc.nat({ max: 1200 }), { nil: undefined }),
        async (appends, failAt) => {
          const tenant = randomUUID();
          let total = 0;
          for (const [i, a] of appends.entries()) {
            if (a.older) await older(tenant, `s${i}`, a.size);
            else
              await store.append(
                tenant,
                `s${i}`,
                0,
                Array.from({ length: a.size }, (_, k) => ev(k)),
                meta,
              );
            total += a.size;
          }
          // this tenant's publishes, in the order they were made; one of them fails once
          const published: number[] = [];
          let attempts = 0;
          const transport: EventTransport = {
            async publish(e) {
              const event = JSON.parse(new TextDecoder().decode(e.payload)) as EventEnvelope;
              // other suites' tenants stay in the outbox for their own relays
              if (event.tenant_id !== tenant) throw new Error("not this test's tenant");
              if (attempts++ === failAt) throw new Error('injected publish failure');
              published.push(event.tenant_seq);
            },
            consume: async () => ({ stop: async () => {} }),
            close: async () => {},
          };
          const relay = startOutboxRelay({ sql, transport, log, pollMs: 3_600_000 });
          try {
            await eventually(
              async () => {
                await relay.drain();
                return (await withTenant(sql, tenant, (tx) => outboxPositions(tx, tenant))).length === 0;
              },
              'the outbox emptied',
              SETTLE_MS,
              10,
            );
          } finally {
            await relay.stop();
          }
          const all = Array.from({ length: total }, (_, i) => i + 1);
          if (failAt === undefined || failAt >= total) expect(published).toEqual(all);
          else {
            // The publishes of a window after the failed one went out too; the next page starts again
            // at the failed position and publishes everything after it in order (the transport drops
            // the repeats by message id). So each position's last publish comes in tenant order.
            const last = new Map(published.map((seq, i) => [seq, i]));
            expect([...last.keys()].sort((a, b) => (last.get(a) ?? 0) - (last.get(b) ?? 0))).toEqual(all);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
