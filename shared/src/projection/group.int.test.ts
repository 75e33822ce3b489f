import { randomUUID } from 'node:crypto';
import { type EventMeta, TENANT_OFFBOARDED } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { postgresUrls } from '../testing/backends.ts';
import { SETTLE_MS } from '../testing/eventually.ts';
import { createInProcessTransport } from '../transport/in-process.ts';
import { startProjectors } from './group.ts';
import { type Projection, startProjector } from './projector.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };
const ev = (type: string, i: number) => ({ id: uuidv7(), type, project_id: null, occurred_at: new Date().toISOString(), data: { i } });

/**
 * A counter read model over the event types it handles: a non-idempotent update, so a double
 * application shows. It refuses the events whose `i` is in `poison` (only its own poison: the
 * other projections of the group apply them). With `batch`, one statement per page.
 */
const counter = (name: string, o: { types: string[]; poison?: ReadonlySet<number>; batch?: boolean }): Projection => {
  const refuses = (i: number) => o.poison?.has(i) ?? false;
  const add = async (tx: Parameters<Projection['apply']>[0], tenantId: string, total: number, n: number) => {
    await tx`insert into test_group_counter (tenant_id, projector, total, n) values (${tenantId}, ${name}, ${total}, ${n})
             on conflict (tenant_id, projector) do update set total = test_group_counter.total + excluded.total, n = test_group_counter.n + excluded.n`;
  };
  return {
    name,
    version: 1,
    handles: (t) => o.types.includes(t),
    async apply(tx, e) {
      if (refuses(Number(e.data.i))) throw new Error(`${name} cannot project ${String(e.data.i)}`);
      await add(tx, e.tenant_id, Number(e.data.i), 1);
    },
    ...(o.batch
      ? {
          async applyBatch(tx, events) {
            const first = events[0];
            if (!first) return;
            // writes before failing: the rollback must undo them
            await add(
              tx,
              first.tenant_id,
              events.reduce((s, e) => s + Number(e.data.i), 0),
              events.length,
            );
            if (events.some((e) => refuses(Number(e.data.i)))) throw new Error(`${name} cannot project this batch`);
          },
        }
      : {}),
    async reset(tx, tenantId) {
      await tx`delete from test_group_counter where tenant_id = ${tenantId} and projector = ${name}`;
    },
  };
};

describe.skipIf(!pg)('projectors run as a group', () => {
  let sql: Sql;
  let store: EventStore;
  beforeAll(async () => {
    if (!pg) return;
    const owner = createSql(pg.ownerUrl, { max: 1 });
    await owner.unsafe(`
      create table if not exists test_group_counter (tenant_id uuid, projector text, total bigint, n int, primary key (tenant_id, projector));
      alter table test_group_counter enable row level security; alter table test_group_counter force row level security;
      do $$ begin create policy p on test_group_counter using (tenant_id = mandant_current_tenant()); exception when duplicate_object then null; end $$;
      grant select, insert, update, delete on test_group_counter to mandant_app;`);
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
      (tx) =>
        tx<{ total: number; n: number }[]>`select total, n from test_group_counter where tenant_id = ${tenant} and projector = ${name}`,
    );
    return { total: Number(row?.total ?? 0), n: row?.n ?? 0 };
  };
  const deadLetters = async (tenant: string, name: string) =>
    (
      await withTenant(
        sql,
        tenant,
        (tx) =>
          tx<
            { tenant_seq: number }[]
          >`select tenant_seq from projection_dead_letters where tenant_id = ${tenant} and projector = ${`${name}@v1`} order by tenant_seq`,
      )
    ).map((r) => Number(r.tenant_seq));
  const checkpoints = async (tenant: string, names: string[]) =>
    withTenant(
      sql,
      tenant,
      (tx) => tx<{ projector: string; position: number; xmin: string }[]>`
        select projector, position, xmin::text from projection_checkpoints
        where tenant_id = ${tenant} and projector = any(${names.map((n) => `${n}@v1`)}::text[]) order by projector`,
    );

  it('moves every checkpoint of a page in one transaction, each projection from where it stood', async () => {
    const tenant = randomUUID();
    const names = ['a', 'b', 'c'].map((x) => `${x}${randomUUID().slice(0, 8)}`);
    const [a, b, c] = names as [string, string, string];
    const append = async (from: number, to: number) => {
      for (let i = from; i <= to; i++)
        await store.append(tenant, `s${i}`, 0, [ev(i % 3 === 0 ? 'test.other.v1' : 'test.counted.v1', i)], meta);
    };
    // b is ahead: it applied the first five events on its own
    await append(1, 5);
    const alone = startProjector({ sql, projection: counter(b, { types: ['test.counted.v1'] }), log, sweepMs: 60_000 });
    await alone.catchUp(tenant, 5);
    await alone.stop();
    await append(6, 12);
    const group = startProjectors({
      sql,
      log,
      sweepMs: 60_000,
      projections: [
        counter(a, { types: ['test.counted.v1'], batch: true }),
        counter(b, { types: ['test.counted.v1'] }),
        counter(c, { types: ['test.other.v1'] }),
      ],
    });
    const [pa] = group;
    expect(await pa?.catchUp(tenant)).toBe(12);
    const counted = [1, 2, 4, 5, 7, 8, 10, 11];
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    // the group's page started at the lowest checkpoint; b did not apply 1..5 again
    await Promise.all(group.map((p) => p.waitFor(tenant, 12, SETTLE_MS)));
    expect(await read(tenant, a)).toEqual({ total: sum(counted), n: 8 });
    expect(await read(tenant, b)).toEqual({ total: sum(counted), n: 8 });
    expect(await read(tenant, c)).toEqual({ total: 3 + 6 + 9 + 12, n: 4 });
    const rows = await checkpoints(tenant, names);
    expect(rows.map((r) => r.position)).toEqual([12, 12, 12]);
    expect(new Set(rows.map((r) => r.xmin)).size).toBe(1);
    await Promise.all(group.map((p) => p.stop()));
  });

  it('keeps a poison event to the projection it poisons: retried and dead-lettered there, applied by the others', async () => {
    const tenant = randomUUID();
    const other = randomUUID();
    const [a, b] = ['a', 'b'].map((x) => `${x}${randomUUID().slice(0, 8)}`) as [string, string];
    for (let i = 1; i <= 6; i++) await store.append(tenant, `s${i}`, 0, [ev('test.counted.v1', i)], meta);
    await store.append(other, 's', 0, [ev('test.counted.v1', 100)], meta);
    const transport = createInProcessTransport({ log });
    const group = startProjectors({
      sql,
      log,
      transport,
      maxAttempts: 2,
      sweepMs: 60_000,
      projections: [
        counter(a, { types: ['test.counted.v1'], poison: new Set([4]), batch: true }),
        counter(b, { types: ['test.counted.v1'] }),
      ],
    });
    const [pa, pb] = group as [NonNullable<(typeof group)[0]>, NonNullable<(typeof group)[0]>];
    await Promise.all([pa.catchUp(tenant), pb.catchUp(other)]);
    await pa.waitFor(tenant, 6, SETTLE_MS);
    await pb.waitFor(tenant, 6, SETTLE_MS);
    await pb.waitFor(other, 1, SETTLE_MS);
    expect(await read(tenant, a)).toEqual({ total: 21 - 4, n: 5 });
    expect(await deadLetters(tenant, a)).toEqual([4]);
    expect(await read(tenant, b)).toEqual({ total: 21, n: 6 });
    expect(await deadLetters(tenant, b)).toEqual([]);
    expect(await read(other, a)).toEqual({ total: 100, n: 1 });
    // the group goes on after the fallback: news past the poison are applied by every projection
    const { events } = await store.append(tenant, 's7', 0, [ev('test.counted.v1', 7)], meta);
    for (const e of events)
      await transport.publish({
        subject: `events.${tenant}._.${e.type}`,
        msgId: e.id,
        payload: new TextEncoder().encode(JSON.stringify(e)),
      });
    await Promise.all(group.map((p) => p.waitFor(tenant, 7, SETTLE_MS)));
    expect(await read(tenant, a)).toEqual({ total: 28 - 4, n: 6 });
    expect(await read(tenant, b)).toEqual({ total: 28, n: 7 });
    await Promise.all(group.map((p) => p.stop()));
    await transport.close();
  });

  it("empties every projection's read model on the tenant's tombstone", async () => {
    const tenant = randomUUID();
    const [a, b] = ['a', 'b'].map((x) => `${x}${randomUUID().slice(0, 8)}`) as [string, string];
    await store.append(tenant, 's', 0, [ev('test.counted.v1', 1), ev('test.counted.v1', 2)], meta);
    const group = startProjectors({
      sql,
      log,
      sweepMs: 60_000,
      projections: [counter(a, { types: ['test.counted.v1'] }), counter(b, { types: ['test.counted.v1'], batch: true })],
    });
    await group[0]?.catchUp(tenant);
    await Promise.all(group.map((p) => p.waitFor(tenant, 2, SETTLE_MS)));
    expect(await read(tenant, a)).toEqual({ total: 3, n: 2 });
    await store.append(tenant, `tenant-${tenant}`, 0, [ev(TENANT_OFFBOARDED, 0)], meta);
    await group[1]?.catchUp(tenant);
    expect(await read(tenant, a)).toEqual({ total: 0, n: 0 });
    expect(await read(tenant, b)).toEqual({ total: 0, n: 0 });
    await Promise.all(group.map((p) => p.stop()));
  });

  it('runs a projection of another lane apart: while its engine hangs, the group reaches the head', async () => {
    const tenant = randomUUID();
    const [a, b, slow] = ['a', 'b', 's'].map((x) => `${x}${randomUUID().slice(0, 8)}`) as [string, string, string];
    for (let i = 1; i <= 4; i++) await store.append(tenant, `s${i}`, 0, [ev('test.counted.v1', i)], meta);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const base = counter(slow, { types: ['test.counted.v1'] });
    const engine: Projection = {
      ...base,
      lane: 'engine',
      async apply(tx, e) {
        await released;
        await base.apply(tx, e);
      },
    };
    const projectors = startProjectors({
      sql,
      log,
      sweepMs: 60_000,
      projections: [counter(a, { types: ['test.counted.v1'] }), engine, counter(b, { types: ['test.counted.v1'], batch: true })],
    });
    const [pa, ps, pb] = projectors as [
      NonNullable<(typeof projectors)[0]>,
      NonNullable<(typeof projectors)[0]>,
      NonNullable<(typeof projectors)[0]>,
    ];
    expect([pa.key, ps.key, pb.key]).toEqual([`${a}@v1`, `${slow}@v1`, `${b}@v1`]);
    await pa.waitFor(tenant, 4, SETTLE_MS);
    await pb.waitFor(tenant, 4, SETTLE_MS);
    expect(await read(tenant, a)).toEqual({ total: 10, n: 4 });
    expect(await read(tenant, slow)).toEqual({ total: 0, n: 0 });
    release();
    await ps.waitFor(tenant, 4, SETTLE_MS);
    expect(await read(tenant, slow)).toEqual({ total: 10, n: 4 });
    await Promise.all(projectors.map((p) => p.stop()));
  });

  it('applies random logs exactly once in effect, with poison per projection, repeated deliveries, replicas and lone runners racing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          values: fc.array(fc.record({ i: fc.integer({ min: 1, max: 1000 }), other: fc.boolean() }), { minLength: 1, maxLength: 40 }),
          poisonA: fc.array(fc.nat({ max: 39 }), { maxLength: 3 }),
          poisonB: fc.array(fc.nat({ max: 39 }), { maxLength: 3 }),
          ahead: fc.nat({ max: 40 }),
          deliveries: fc.integer({ min: 1, max: 3 }),
          replicas: fc.integer({ min: 1, max: 2 }),
        }),
        async (c) => {
          const tenant = randomUUID();
          const names = ['a', 'b', 'c'].map((x) => `${x}${randomUUID().slice(0, 8)}`) as [string, string, string];
          // positions (1-based) whose events each projection refuses
          const poisonA = new Set(c.poisonA.map((p) => p % c.values.length).map((p) => c.values[p]?.i ?? -1));
          const poisonB = new Set(c.poisonB.map((p) => p % c.values.length).map((p) => c.values[p]?.i ?? -1));
          const projections = () => [
            counter(names[0], { types: ['test.counted.v1'], poison: poisonA, batch: true }),
            counter(names[1], { types: ['test.counted.v1', 'test.other.v1'], poison: poisonB }),
            counter(names[2], { types: ['test.other.v1'] }),
          ];
          const transport = createInProcessTransport({ log });
          const groups = Array.from({ length: c.replicas }, () =>
            startProjectors({ sql, log, transport, maxAttempts: 2, sweepMs: 60_000, projections: projections() }),
          );
          const lone = startProjector({ sql, projection: projections()[1] as Projection, log, maxAttempts: 2, sweepMs: 60_000 });
          let seq = 0;
          const racing: Promise<unknown>[] = [];
          for (const [n, v] of c.values.entries()) {
            const { events } = await store.append(tenant, `s${n}`, 0, [ev(v.other ? 'test.other.v1' : 'test.counted.v1', v.i)], meta);
            for (const e of events) {
              seq = e.tenant_seq;
              const payload = new TextEncoder().encode(JSON.stringify(e));
              for (let d = 0; d < c.deliveries; d++)
                await transport.publish({ subject: `events.${tenant}._.${e.type}`, msgId: `${e.id}-${d}`, payload });
            }
            if (n + 1 === Math.min(c.ahead, c.values.length)) racing.push(lone.catchUp(tenant).catch(() => 0));
          }
          await Promise.all(racing);
          for (const g of groups) await Promise.all(g.map((p) => p.waitFor(tenant, seq, 30_000)));
          const expected = (types: string[], poison: Set<number>) => {
            const applied = c.values.filter((v) => types.includes(v.other ? 'test.other.v1' : 'test.counted.v1') && !poison.has(v.i));
            return { total: applied.reduce((s, v) => s + v.i, 0), n: applied.length };
          };
          expect(await read(tenant, names[0])).toEqual(expected(['test.counted.v1'], poisonA));
          expect(await read(tenant, names[1])).toEqual(expected(['test.counted.v1', 'test.other.v1'], poisonB));
          expect(await read(tenant, names[2])).toEqual(expected(['test.other.v1'], new Set()));
          expect(await deadLetters(tenant, names[2])).toEqual([]);
          await lone.stop();
          for (const g of groups) await Promise.all(g.map((p) => p.stop()));
          await transport.close();
        },
      ),
      { numRuns: 20 },
    );
  });
});
