import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEnvelope, type EventMeta } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { outboxPositions, startOutboxRelay } from '@mandant/shared/outbox';
import { type Projection, startProjector } from '@mandant/shared/projection';
import { type RunningNatsServer, findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import type { EventTransport } from '@mandant/shared/transport';
import { createJetStreamTransport } from '@mandant/shared/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, SETTLE_MS, createTenantTable, faultDatabase, sleep, until } from './helpers.ts';

const pg = postgresUrls();
const natsBinary = findNatsServer();
const natsMissing = backendMissing('nats', natsBinary ? null : 'no nats-server binary to start a private server');
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-nats', causation_id: null, traceparent: null };
const TENANTS = 3;
/** the deliberate outage: the one fixed wait of the fault suite */
const OUTAGE_MS = 30_000;

interface Delivery {
  tenant_id: string;
  tenant_seq: number;
  id: string;
  redelivered: boolean;
}

// A private nats-server on its own port and store directory, stopped and restarted by the test.
describe.skipIf(!pg || natsMissing)('fault: NATS stopped for 30 s while commands keep coming', () => {
  let db: FaultDatabase;
  let sql: Sql;
  let dir: string;
  let server: RunningNatsServer | undefined;
  const transports: EventTransport[] = [];

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_nats', log);
    await createTenantTable(
      db.ownerUrl,
      'fault_applied',
      'tenant_id uuid not null, tenant_seq bigint not null, event_id uuid not null, n bigserial, applied int not null default 1, primary key (tenant_id, tenant_seq)',
    );
    const owner = createSql(db.ownerUrl, { max: 1 });
    await owner.unsafe('grant usage on sequence fault_applied_n_seq to mandant_app');
    await owner.end();
    sql = createSql(db.appUrl, { max: 12, appName: 'mandant-fault-nats' });
    dir = await mkdtemp(join(tmpdir(), 'mandant-fault-nats-'));
  });
  afterAll(async () => {
    for (const t of transports) await t.close().catch(() => {});
    await server?.stop();
    await sql?.end({ timeout: 5 });
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'loses nothing accepted: every event reaches JetStream once (message id = event id) and the projection in tenant order',
    { timeout: 600_000 },
    async () => {
      if (!natsBinary) return;
      const store = createEventStore(sql);
      const tenants = Array.from({ length: TENANTS }, () => randomUUID());
      server = await startNatsServer({ binary: natsBinary, storeDir: dir, log });
      const { port } = server;
      const streamName = `FAULT_${randomUUID().slice(0, 8)}`;
      const transport = async (name: string) => {
        const t = await createJetStreamTransport({ servers: [server?.url ?? ''], log, streamName, requestTimeoutMs: 1_000, name });
        transports.push(t);
        return t;
      };
      const relay = startOutboxRelay({ sql, transport: await transport('fault-relay'), log, store, pollMs: 100, maxBackoffMs: 1_000 });

      // the projection records each application; a second one of the same position would show in `applied`
      const projection: Projection = {
        name: `fault-nats-${randomUUID().slice(0, 8)}`,
        version: 1,
        handles: (type) => type === 'fault.commanded.v1',
        async apply(tx, e) {
          await tx`insert into fault_applied (tenant_id, tenant_seq, event_id) values (${e.tenant_id}, ${e.tenant_seq}, ${e.id})
                 on conflict (tenant_id, tenant_seq) do update set applied = fault_applied.applied + 1`;
        },
        async reset(tx, tenantId) {
          await tx`delete from fault_applied where tenant_id = ${tenantId}`;
        },
      };
      const consumerTransport = await transport('fault-projector');
      // no sweep during the test: the projector learns of new events from JetStream only
      const projector = startProjector({ sql, projection, log, transport: consumerTransport, sweepMs: 3_600_000 });
      const deliveries: Delivery[] = [];
      const witness = await consumerTransport.consume(
        { durable: `witness-${randomUUID().slice(0, 8)}`, filterSubject: 'events.>' },
        async (m) => {
          const e = EventEnvelope.parse(JSON.parse(new TextDecoder().decode(m.payload)));
          deliveries.push({ tenant_id: e.tenant_id, tenant_seq: e.tenant_seq, id: e.id, redelivered: m.redelivered });
        },
      );

      const accepted = new Map<string, string[]>(tenants.map((t) => [t, []]));
      const failures: unknown[] = [];
      let outage: { from: number; to: number } | null = null;
      const duringOutage = new Map<string, number>(tenants.map((t) => [t, 0]));
      let writing = true;
      let backlog: number[];
      const writers = tenants.map(async (tenant) => {
        for (let i = 1; writing; i++) {
          const id = uuidv7();
          try {
            await store.append(
              tenant,
              `command-${i}`,
              0,
              [{ id, type: 'fault.commanded.v1', project_id: null, occurred_at: new Date().toISOString(), data: { i } }],
              meta,
            );
            accepted.get(tenant)?.push(id);
            if (outage && Date.now() < outage.to) duringOutage.set(tenant, (duringOutage.get(tenant) ?? 0) + 1);
          } catch (err) {
            failures.push(err);
          }
          await sleep(40); // the command rate, about 25 per second and tenant
        }
      });
      const appliedCount = async (tenant: string): Promise<number> =>
        (
          await withTenant(
            sql,
            tenant,
            (tx) => tx<{ n: number }[]>`select count(*)::int as n from fault_applied where tenant_id = ${tenant}`,
          )
        )[0]?.n ?? 0;
      const outboxCount = async (tenant: string): Promise<number> =>
        (await withTenant(sql, tenant, (tx) => outboxPositions(tx, tenant))).length;

      try {
        // flowing before the outage
        await until(
          async () => (await Promise.all(tenants.map(appliedCount))).every((n) => n >= 20),
          SETTLE_MS,
          'events to flow through JetStream',
        );

        await server.stop();
        outage = { from: Date.now(), to: Date.now() + OUTAGE_MS };
        await sleep(OUTAGE_MS);
        // held back, not lost: the outbox holds what the relay could not publish
        backlog = await Promise.all(tenants.map(outboxCount));
        server = await startNatsServer({ binary: natsBinary, storeDir: dir, port, log });
        const restartedAt = deliveries.length;
        await until(() => deliveries.length > restartedAt, SETTLE_MS, 'deliveries after the restart');
      } finally {
        writing = false;
        await Promise.all(writers);
      }
      process.stderr.write(
        `nats outage: appended during the outage ${JSON.stringify([...duringOutage.values()])}, total ${JSON.stringify([...accepted.values()].map((a) => a.length))}\n`,
      );
      expect(failures).toEqual([]);
      for (const t of tenants) expect(duringOutage.get(t)).toBeGreaterThan(100);

      const total = [...accepted.values()].reduce((s, a) => s + a.length, 0);
      await until(
        async () => {
          const applied = await Promise.all(tenants.map(appliedCount));
          return (
            new Set(deliveries.map((d) => d.id)).size === total && applied.every((n, i) => n === accepted.get(tenants[i] ?? '')?.length)
          );
        },
        SETTLE_MS,
        `all ${total} events to arrive as messages and in the projection`,
      );
      await relay.stop();
      await projector.stop();
      await witness.stop();

      for (const t of tenants) {
        const ids = accepted.get(t) ?? [];
        const head = await store.head(t);
        expect(head).toBe(ids.length);
        const log_ = await store.readTenant(t, 0, 100_000);
        expect(log_.map((e) => e.id)).toEqual(ids);
        // projection: each position applied once, in tenant_seq order (its checkpoint never skipped)
        const rows = await withTenant(
          sql,
          t,
          (tx) => tx<{ tenant_seq: number; event_id: string; applied: number }[]>`
        select tenant_seq, event_id, applied from fault_applied where tenant_id = ${t} order by n`,
        );
        expect(rows.map((r) => r.tenant_seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
        expect(rows.map((r) => r.event_id)).toEqual(ids);
        expect(rows.every((r) => r.applied === 1)).toBe(true);
        // JetStream: every event delivered, each the first time in tenant_seq order. A message can
        // come again without its redelivered flag: the server restarted from consumer state
        // written before its last deliveries (at least once), so a repeat counts by event id.
        const seen = new Set<string>();
        const first = deliveries.filter((d) => d.tenant_id === t && !seen.has(d.id) && seen.add(d.id)).map((d) => d.tenant_seq);
        expect(first).toEqual(Array.from({ length: head }, (_, i) => i + 1));
        const dead = await withTenant(sql, t, (tx) => tx`select 1 from projection_dead_letters where tenant_id = ${t}`);
        expect(dead).toHaveLength(0);
      }
      expect(backlog.every((n) => n > 0)).toBe(true);

      // the stream holds each event exactly once, under its event id as message id, in tenant order
      const nc = await connect({ servers: server.url, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info(streamName);
        expect(info.state.messages).toBe(total);
        const lastSeq = new Map<string, number>();
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(streamName, { seq });
          if (!m) throw new Error(`stream message ${seq} missing`);
          const e = EventEnvelope.parse(m.json());
          expect(m.header.get('Nats-Msg-Id')).toBe(e.id);
          expect(e.tenant_seq).toBe((lastSeq.get(e.tenant_id) ?? 0) + 1);
          lastSeq.set(e.tenant_id, e.tenant_seq);
        }
      } finally {
        await nc.close();
      }
    },
  );
});
