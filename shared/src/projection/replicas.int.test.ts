import { randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventMeta } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { type RunningNatsServer, findNatsServer, startNatsServer } from '../runtime/nats-server.ts';
import { createWorkMetrics } from '../telemetry/work-metrics.ts';
import { backendMissing, postgresUrls } from '../testing/backends.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { createJetStreamTransport } from '../transport/jetstream.ts';
import { type Projection, startProjector } from './projector.ts';
import { SETTLE_MS } from '../testing/eventually.ts';

const pg = postgresUrls();
const natsBinary = findNatsServer();
const natsMissing = backendMissing('nats', natsBinary ? null : 'no nats-server binary to start a private server');
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };

/**
 * An event type of this run only: the projectors' sweeps walk every tenant of the database,
 * other suites' included, and must find none of this type there, so their counts are this
 * suite's events alone. (Event types take lower-case letters only.)
 */
const TYPE = `replicas.counted_${Array.from({ length: 10 }, () => String.fromCharCode(97 + randomInt(26))).join('')}.v1`;

/** A counter per tenant, incremented by each event: not idempotent, so a second apply of any event shows. */
const counter = (name: string): Projection => ({
  name,
  version: 1,
  handles: (t) => t === TYPE,
  async apply(tx, e) {
    await tx`insert into test_replica_counter (tenant_id, projector, n) values (${e.tenant_id}, ${name}, 1)
             on conflict (tenant_id, projector) do update set n = test_replica_counter.n + 1`;
  },
  async reset(tx, tenantId) {
    await tx`delete from test_replica_counter where tenant_id = ${tenantId} and projector = ${name}`;
  },
});

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = SETTLE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Two replicas of one projector, each with its own NATS connection as two processes would have,
// on a private nats-server (its own port and store, so the suite shares no stream with others).
describe.skipIf(!pg || natsMissing)('two replicas of a projector', () => {
  let sql: Sql;
  let store: EventStore;
  let dir = '';
  let nats: RunningNatsServer | undefined;
  const transports: EventTransport[] = [];

  beforeAll(async () => {
    if (!pg || !natsBinary) return;
    const owner = createSql(pg.ownerUrl, { max: 1 });
    await owner.unsafe(`
      create table if not exists test_replica_counter (tenant_id uuid, projector text, n int, primary key (tenant_id, projector));
      alter table test_replica_counter enable row level security; alter table test_replica_counter force row level security;
      do $$ begin create policy p on test_replica_counter using (tenant_id = mandant_current_tenant()); exception when duplicate_object then null; end $$;
      grant select, insert, update, delete on test_replica_counter to mandant_app;`);
    await owner.end();
    sql = createSql(pg.appUrl, { max: 12 });
    store = createEventStore(sql);
    dir = await mkdtemp(join(tmpdir(), 'mandant-replicas-'));
    nats = await startNatsServer({ binary: natsBinary, storeDir: dir, log });
    for (let i = 0; i < 3; i++) transports.push(await createJetStreamTransport({ servers: [nats.url], log, requestTimeoutMs: 2_000 }));
  });

  afterAll(async () => {
    for (const t of transports) await t.close().catch(() => {});
    await nats?.stop();
    await sql?.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never apply an event twice: a non-idempotent counter equals the events, and the replicas’ applied counts add up to them', async () => {
    const [publisher, first, second] = transports;
    if (!publisher || !first || !second) throw new Error('transports not started');
    const name = `r${randomUUID().slice(0, 8)}`;
    const key = `${name}@v1`;
    const tenants = Array.from({ length: 12 }, () => randomUUID());
    const appended = new Map<string, number>(tenants.map((t) => [t, 0]));
    // the same durable on both (as two processes of one service), and a sweep each, racing the deliveries
    const replicas = [first, second].map((transport) => {
      const metrics = createWorkMetrics();
      return { metrics, projector: startProjector({ sql, projection: counter(name), log, transport, sweepMs: 300, metrics }) };
    });
    const applied = () => replicas.map((r) => r.metrics.projectorEventsApplied.get({ projector: key }));
    const caughtUp = async (): Promise<boolean> => {
      for (const t of tenants) {
        const [cp] = await withTenant(
          sql,
          t,
          (tx) => tx<{ position: number }[]>`select position from projection_checkpoints where tenant_id = ${t} and projector = ${key}`,
        );
        if ((cp?.position ?? 0) < (await store.head(t))) return false;
      }
      return true;
    };

    try {
      // Rounds of concurrent appends, each event published once (as the relay does), until both
      // replicas have applied some: which replica a delivery reaches is JetStream's choice.
      for (let round = 0; round < 20; round++) {
        await Promise.all(
          tenants.map(async (t) => {
            for (let i = 0; i < 5; i++) {
              const { events } = await store.append(
                t,
                `s-${round}-${i}`,
                0,
                [{ id: uuidv7(), type: TYPE, project_id: null, occurred_at: new Date().toISOString(), data: { i } }],
                meta,
              );
              for (const e of events)
                await publisher.publish({
                  subject: `events.${t}._.${e.type}`,
                  msgId: e.id,
                  payload: new TextEncoder().encode(JSON.stringify(e)),
                });
              appended.set(t, (appended.get(t) ?? 0) + 1);
            }
          }),
        );
        await until('both replicas to reach every tenant head', caughtUp);
        if (round >= 2 && applied().every((n) => n > 0)) break;
      }

      const total = [...appended.values()].reduce((s, n) => s + n, 0);
      for (const t of tenants) {
        const [row] = await withTenant(
          sql,
          t,
          (tx) => tx<{ n: number }[]>`select n from test_replica_counter where tenant_id = ${t} and projector = ${name}`,
        );
        expect(row?.n, `counter of tenant ${t}`).toBe(appended.get(t));
      }
      const [a, b] = applied();
      expect((a ?? 0) + (b ?? 0)).toBe(total);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      // the same figures a scrape of each replica's /metrics shows
      expect(replicas[0]?.metrics.registry.render()).toContain(`mandant_projector_events_applied_total{projector="${key}"} ${a}`);
    } finally {
      await Promise.all(replicas.map((r) => r.projector.stop()));
    }
  }, 180_000);
});
