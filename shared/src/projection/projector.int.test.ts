import { randomUUID } from 'node:crypto';
import type { EventMeta } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { postgresUrls } from '../testing/backends.ts';
import { createInProcessTransport } from '../transport/in-process.ts';
import { type Projection, startProjector } from './projector.ts';
import { SETTLE_MS } from '../testing/eventually.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };
const ev = (type: string, i: number) => ({ id: uuidv7(), type, project_id: null, occurred_at: new Date().toISOString(), data: { i } });

/** A counter read model: a non-idempotent update, so any double application shows. */
const counter = (name: string): Projection => ({
  name,
  version: 1,
  handles: (t) => t.startsWith('test.'),
  async apply(tx, e) {
    if (e.type === 'test.poison.v1') throw new Error('cannot project this');
    await tx`insert into test_counter (tenant_id, projector, total, n) values (${e.tenant_id}, ${name}, ${Number(e.data.i)}, 1)
             on conflict (tenant_id, projector) do update set total = test_counter.total + excluded.total, n = test_counter.n + 1`;
  },
  async reset(tx, tenantId) {
    await tx`delete from test_counter where tenant_id = ${tenantId} and projector = ${name}`;
  },
});

/** The counter with `applyBatch`: one statement per page; the whole batch fails if it holds a poison event. */
const batchCounter = (name: string, tenantId: string, batches: number[][]): Projection => {
  const base = counter(name);
  return {
    ...base,
    async applyBatch(tx, events) {
      // the start-up sweep also walks other tests' tenants: record only the test's own
      if (events[0]?.tenant_id === tenantId) batches.push(events.map((e) => e.tenant_seq));
      const [first] = events;
      if (!first) return;
      await tx`insert into test_counter (tenant_id, projector, total, n) values (${first.tenant_id}, ${name}, 0, 0) on conflict do nothing`;
      // writes before failing: the runner's savepoint must undo them
      await tx`update test_counter set total = total + ${events.reduce((s, e) => s + Number(e.data.i), 0)}, n = n + ${events.length}
               where tenant_id = ${first.tenant_id} and projector = ${name}`;
      if (events.some((e) => e.type === 'test.poison.v1')) throw new Error('cannot project this batch');
    },
  };
};

describe.skipIf(!pg)('projector', () => {
  let sql: Sql;
  let store: EventStore;
  beforeAll(async () => {
    if (!pg) return;
    const owner = createSql(pg.ownerUrl, { max: 1 });
    await owner.unsafe(`
      create table if not exists test_counter (tenant_id uuid, projector text, total bigint, n int, primary key (tenant_id, projector));
      alter table test_counter enable row level security; alter table test_counter force row level security;
      do $$ begin create policy p on test_counter using (tenant_id = mandant_current_tenant()); exception when duplicate_object then null; end $$;
      grant select, insert, update, delete on test_counter to mandant_app;`);
    await owner.end();
    sql = createSql(pg.appUrl, { max: 8 });
    store = createEventStore(sql);
  });
  afterAll(async () => {
    await sql?.end();
  });

  const read = async (tenant: string, name: string) => {
    const [row] = await withTenant(
      sql,
      tenant,
      (tx) => tx<{ total: number; n: number }[]>`select total, n from test_counter where tenant_id = ${tenant} and projector = ${name}`,
    );
    return row ?? { total: 0, n: 0 };
  };

  it('applies every event exactly once in effect when deliveries repeat and overlap', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    for (let i = 1; i <= 20; i++) await store.append(tenant, `s${i}`, 0, [ev('test.counted.v1', i)], meta);
    const a = startProjector({ sql, projection: counter(name), log, sweepMs: 60_000 });
    const b = startProjector({ sql, projection: counter(name), log, sweepMs: 60_000 });
    await Promise.all([a.catchUp(tenant), b.catchUp(tenant), a.catchUp(tenant, 10), b.catchUp(tenant)]);
    await a.catchUp(tenant);
    expect(await read(tenant, name)).toEqual({ total: 210, n: 20 });
    await a.stop();
    await b.stop();
  });

  it('follows the transport: each delivered event (delivered twice) moves the read model once', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    const transport = createInProcessTransport({ log });
    const p = startProjector({ sql, projection: counter(name), log, transport, sweepMs: 60_000 });
    for (let i = 1; i <= 5; i++) {
      const { events } = await store.append(tenant, `s${i}`, 0, [ev('test.counted.v1', i)], meta);
      for (const e of events) {
        const payload = new TextEncoder().encode(JSON.stringify(e));
        await transport.publish({ subject: `events.${tenant}._.${e.type}`, msgId: e.id, payload });
        await transport.publish({ subject: `events.${tenant}._.${e.type}`, msgId: `${e.id}-again`, payload });
      }
    }
    await p.waitFor(tenant, 5, SETTLE_MS);
    expect(await read(tenant, name)).toEqual({ total: 15, n: 5 });
    await p.stop();
    await transport.close();
  });

  it('dead-letters a poison event after bounded retries and keeps going, without holding up other tenants', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const sick = randomUUID();
    const healthy = randomUUID();
    await store.append(sick, 'a', 0, [ev('test.counted.v1', 1), ev('test.poison.v1', 0), ev('test.counted.v1', 2)], meta);
    await store.append(healthy, 'a', 0, [ev('test.counted.v1', 7)], meta);
    const p = startProjector({ sql, projection: counter(name), log, maxAttempts: 3, sweepMs: 60_000 });
    const sickRun = p.catchUp(sick);
    await p.catchUp(healthy);
    expect(await read(healthy, name)).toEqual({ total: 7, n: 1 });
    await sickRun;
    expect(await read(sick, name)).toEqual({ total: 3, n: 2 });
    const dead = await withTenant(
      sql,
      sick,
      (tx) => tx`select tenant_seq, attempts from projection_dead_letters where tenant_id = ${sick} and projector = ${`${name}@v1`}`,
    );
    expect(dead.map((d) => [d.tenant_seq, d.attempts])).toEqual([[2, 3]]);
    await p.stop();
  });

  it('never dead-letters while the read store is unavailable: retries until it answers, then applies each event once', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    await store.append(tenant, 'a', 0, [ev('test.counted.v1', 4), ev('test.counted.v1', 5)], meta);
    let outages = 6;
    const base = counter(name);
    const flaky: Projection = {
      ...base,
      async apply(tx, e) {
        if (e.tenant_id === tenant && outages-- > 0) {
          const down = new Error('store refused the connection', {
            cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
          });
          throw Object.assign(down, { name: 'VectorIndexUnavailableError' });
        }
        await base.apply(tx, e);
      },
    };
    const p = startProjector({ sql, projection: flaky, log, maxAttempts: 2, sweepMs: 60_000 });
    // each failed catch-up is what a redelivery or the next sweep would retry
    let failures = 0;
    for (;;) {
      const done = await p.catchUp(tenant).then(
        () => true,
        () => false,
      );
      if (done) break;
      failures++;
    }
    expect(failures).toBe(6);
    expect(await read(tenant, name)).toEqual({ total: 9, n: 2 });
    const dead = await withTenant(sql, tenant, (tx) => tx`select 1 from projection_dead_letters where tenant_id = ${tenant}`);
    expect(dead).toHaveLength(0);
    await p.stop();
  });

  it("empties a projection's read model of a tenant on the tenant's tombstone, whatever it handles", async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const gone = randomUUID();
    const staying = randomUUID();
    for (const t of [gone, staying]) await store.append(t, 'a', 0, [ev('test.counted.v1', 3), ev('test.counted.v1', 4)], meta);
    await store.append(gone, `tenant-${gone}`, 0, [ev('tenant.offboarded.v1', 0)], meta);
    const p = startProjector({ sql, projection: counter(name), log, sweepMs: 60_000 });
    await p.catchUp(gone);
    await p.catchUp(staying);
    expect(await read(gone, name)).toEqual({ total: 0, n: 0 });
    expect(await read(staying, name)).toEqual({ total: 7, n: 2 });
    await p.rebuild(gone);
    expect(await read(gone, name)).toEqual({ total: 0, n: 0 });
    await p.stop();
  });

  it('rebuilds to the same state as live projection', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    for (let i = 1; i <= 30; i++) await store.append(tenant, `s${i}`, 0, [ev('test.counted.v1', i)], meta);
    const p = startProjector({ sql, projection: counter(name), log, sweepMs: 60_000 });
    await p.catchUp(tenant);
    const live = await read(tenant, name);
    await p.rebuild(tenant);
    expect(await read(tenant, name)).toEqual(live);
    await p.stop();
  });

  it('hands a batch projection each page of handled events at once, in order, and moves the checkpoint with it', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    const events = Array.from({ length: 1_200 }, (_, k) => (k % 4 === 3 ? ev('other.skipped.v1', 1_000) : ev('test.counted.v1', k + 1)));
    await store.append(tenant, 's', 0, events, meta);
    const batches: number[][] = [];
    const projection = batchCounter(name, tenant, batches);
    const p = startProjector({
      sql,
      projection: { ...projection, apply: () => Promise.reject(new Error('apply must not run')) },
      log,
      sweepMs: 60_000,
    });
    expect(await p.catchUp(tenant)).toBe(1_200);
    const handled = Array.from({ length: 1_200 }, (_, k) => k + 1).filter((seq) => seq % 4 !== 0);
    // pages of 500 log events: 375 handled, 375 handled, 150 handled
    expect(batches.map((b) => b.length)).toEqual([375, 375, 150]);
    expect(batches.flat()).toEqual(handled);
    expect(await read(tenant, name)).toEqual({ total: handled.reduce((s, seq) => s + seq, 0), n: 900 });
    const [cp] = await withTenant(
      sql,
      tenant,
      (tx) =>
        tx<{ position: number }[]>`select position from projection_checkpoints where tenant_id = ${tenant} and projector = ${`${name}@v1`}`,
    );
    expect(cp?.position).toBe(1_200);
    await p.stop();
  });

  it('isolates a poison event of a batch: the rest of the page applies, the poison alone is dead-lettered after bounded retries', async () => {
    const name = `c${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    await store.append(
      tenant,
      'a',
      0,
      [ev('test.counted.v1', 1), ev('test.counted.v1', 2), ev('test.poison.v1', 0), ev('test.counted.v1', 4), ev('test.counted.v1', 5)],
      meta,
    );
    const batches: number[][] = [];
    const p = startProjector({ sql, projection: batchCounter(name, tenant, batches), log, maxAttempts: 3, sweepMs: 60_000 });
    expect(await p.catchUp(tenant)).toBe(5);
    expect(await read(tenant, name)).toEqual({ total: 12, n: 4 });
    const dead = await withTenant(
      sql,
      tenant,
      (tx) => tx`select tenant_seq, attempts from projection_dead_letters where tenant_id = ${tenant} and projector = ${`${name}@v1`}`,
    );
    expect(dead.map((d) => [d.tenant_seq, d.attempts])).toEqual([[3, 3]]);
    // the first batch failed and fell back to one by one; the retries start at the poison; after it, a batch again
    expect(batches).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
      [3, 4, 5],
      [4, 5],
    ]);
    await p.stop();
  });
});
