import { randomUUID } from 'node:crypto';
import type { EventMeta, NewEvent } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { VersionConflictError } from '../errors.ts';
import { AppendRejectedError } from './append-errors.ts';
import { uuidv7 } from '../ids.ts';
import { postgresUrls } from '../testing/backends.ts';
import { type EventStore, createEventStore } from './event-store.ts';
import { outboxPositions } from '../outbox/relay.ts';

const pg = postgresUrls();
const meta: EventMeta = { actor: 'user:test', correlation_id: 'corr-1', causation_id: null, traceparent: null };
const ev = (type = 'test.happened.v1', data: Record<string, unknown> = {}): NewEvent => ({
  id: uuidv7(),
  type,
  project_id: null,
  occurred_at: new Date().toISOString(),
  data,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!pg)('event store on Postgres', () => {
  let app: Sql;
  let owner: Sql;
  let store: EventStore;
  beforeAll(() => {
    if (!pg) return;
    app = createSql(pg.appUrl, { max: 20 });
    owner = createSql(pg.ownerUrl, { max: 2 });
    store = createEventStore(app);
  });
  afterAll(async () => {
    await app?.end();
    await owner?.end();
  });

  it('appends with gapless tenant positions and stream versions', async () => {
    const tenant = randomUUID();
    const a = await store.append(tenant, 's-a', 0, [ev(), ev()], meta);
    const b = await store.append(tenant, 's-b', 0, [ev()], meta);
    expect(a.events.map((e) => [e.tenant_seq, e.version])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(b.events.map((e) => [e.tenant_seq, e.version])).toEqual([[3, 1]]);
    expect(b.events[0]?.prev_hash).toBe(a.events[1]?.hash);
    expect((await store.readStream(tenant, 's-a')).version).toBe(2);
  });

  it('rejects an append at a stale expected version with a typed conflict', async () => {
    const tenant = randomUUID();
    await store.append(tenant, 's', 0, [ev()], meta);
    await expect(store.append(tenant, 's', 0, [ev()], meta)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.head(tenant)).toBe(1);
  });

  it('is idempotent on event ids: the same events appended twice are stored once', async () => {
    const tenant = randomUUID();
    const events = [ev(), ev()];
    const first = await store.append(tenant, 's', 0, events, meta);
    const again = await store.append(tenant, 's', 0, events, meta);
    expect(again.events.map((e) => e.hash)).toEqual(first.events.map((e) => e.hash));
    expect(await store.head(tenant)).toBe(2);
  });

  it('puts what each append writes in the outbox in the same transaction, one run of positions per call', async () => {
    const tenant = randomUUID();
    await store.append(tenant, 's', 0, [ev('doc.made.v1')], meta);
    await store.append(tenant, 's', 1, [ev(), ev(), ev()], meta);
    const runs = await withTenant(app, tenant, (tx) => tx`select first_seq, last_seq from outbox_ranges order by first_seq`);
    expect(runs.map((r) => [r.first_seq, r.last_seq])).toEqual([
      [1, 1],
      [2, 4],
    ]);
    // a refused append leaves none
    await expect(store.append(tenant, 's', 0, [ev()], meta)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await withTenant(app, tenant, (tx) => outboxPositions(tx, tenant))).toEqual([1, 2, 3, 4]);
  });

  it('verifies an intact chain and names the first altered position', async () => {
    const tenant = randomUUID();
    for (let i = 0; i < 5; i++) await store.append(tenant, `s${i}`, 0, [ev('test.happened.v1', { i })], meta);
    expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: 5, first_broken: null });
    await owner`update events set data = '{"i": 99}' where tenant_id = ${tenant} and tenant_seq = 3`;
    const report = await store.verify(tenant);
    expect(report.ok).toBe(false);
    expect(report.first_broken?.tenant_seq).toBe(3);
  });

  it('names a deleted event as a gap', async () => {
    const tenant = randomUUID();
    for (let i = 0; i < 4; i++) await store.append(tenant, `s${i}`, 0, [ev()], meta);
    await owner`delete from events where tenant_id = ${tenant} and tenant_seq = 2`;
    expect((await store.verify(tenant)).first_broken).toMatchObject({ tenant_seq: 2, reason: 'missing event (gap)' });
  });

  it('gives the runtime role no way to rewrite history', async () => {
    const tenant = randomUUID();
    await store.append(tenant, 's', 0, [ev()], meta);
    await expect(withTenant(app, tenant, (tx) => tx`update events set actor = 'x' where tenant_id = ${tenant}`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(withTenant(app, tenant, (tx) => tx`delete from events where tenant_id = ${tenant}`)).rejects.toThrow(/permission denied/);
  });

  it('never lets a reader following the log skip an event, with 16 concurrent writers, delays and rollbacks', async () => {
    const tenant = randomUUID();
    const writers = 16;
    const perWriter = 25;
    let committed = 0;
    let done = false;
    const seen: number[] = [];
    const reader = (async () => {
      let after = 0;
      while (!done || after < committed) {
        const page = await store.readTenant(tenant, after, 500);
        for (const e of page) {
          // a skip would show as a position that is not the next one
          expect(e.tenant_seq).toBe(after + 1);
          seen.push(e.tenant_seq);
          after = e.tenant_seq;
        }
        if (page.length === 0) await sleep(1);
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const rollback = Math.random() < 0.25;
          const batch = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ev());
          try {
            await store.append(tenant, `w${w}-${i}`, 0, batch, meta, {
              // positions are taken and the tenant head is locked here: the worst moment to stall or fail
              afterAppend: async () => {
                await sleep(Math.random() * 4);
                if (rollback) throw new Error('injected rollback');
              },
            });
            committed += batch.length;
          } catch (err) {
            if (!rollback) throw err;
          }
        }
      }),
    );
    done = true;
    await reader;
    expect(seen.length).toBe(committed);
    expect(await store.head(tenant)).toBe(committed);
    expect((await store.verify(tenant)).ok).toBe(true);
  });

  it('commits concurrent appends of one tenant together while each keeps its own outcome', async () => {
    const tenant = randomUUID();
    await store.append(tenant, 'shared', 0, [ev()], meta);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        // every fourth writer races on the same stream at a stale version: exactly those conflict
        i % 4 === 0 ? store.append(tenant, 'shared', 0, [ev()], meta) : store.append(tenant, `own-${i}`, 0, [ev(), ev()], meta),
      ),
    );
    const conflicts = results.filter((r) => r.status === 'rejected');
    expect(conflicts).toHaveLength(10);
    for (const c of conflicts) expect(c.reason).toBeInstanceOf(VersionConflictError);
    const positions = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.events.map((e) => e.tenant_seq) : []));
    expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 2));
    expect(await store.head(tenant)).toBe(61);
    expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: 61 });
  });

  // mandant_append_v4 is what the store calls; the older ones stay for the versions before it during a rolling update
  // (v4 writes a lone item itself and hands every other call to v3: here its items alone are compared with v3's together)
  it.each(['mandant_append', 'mandant_append_v2', 'mandant_append_v3', 'mandant_append_v4'])(
    'gives every item of one %s call the outcome it gets when appended on its own (property)',
    async (fn) => {
      // The function gathers items into as few writes as it can: a lone event, a set of events, and
      // an item that builds on one gathered before it (same stream, same ids) after a write. Whatever
      // the mix, one call must store exactly what the items appended one call each store.
      type Item = { stream: string; expected: number; events: { id: string; content_hash: string }[] };
      const row = (r: Record<string, unknown>) => {
        const { tenant_id: _tenant, occurred_at: _at, ...rest } = r;
        return rest;
      };
      const call = (tenant: string, items: Item[]) =>
        withTenant(app, tenant, async (tx) => {
          const payload = items.map((it) => ({
            ...it,
            ...meta,
            events: it.events.map((e) => ({
              ...e,
              type: 'test.happened.v1',
              project_id: null,
              occurred_at: '2026-01-01T00:00:00Z',
              data: { id: e.id },
            })),
          }));
          return (await tx`select * from ${tx(fn)}(${tenant}, ${tx.json(payload as never)})`).map(row);
        });
      const itemArb = fc.record({
        stream: fc.constantFrom('a', 'b', 'c'),
        // -1: any version; otherwise an exact one, often stale or ahead
        expected: fc.integer({ min: -1, max: 4 }),
        size: fc.integer({ min: 1, max: 3 }),
        // reuse the ids of an earlier item (a retry, or half of one), or new ids
        reuse: fc.option(fc.record({ of: fc.nat(), half: fc.boolean() }), { freq: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 12 }), async (specs) => {
          const items: Item[] = [];
          for (const spec of specs) {
            const fresh = () => ({ id: uuidv7(), content_hash: randomUUID().replaceAll('-', '') });
            const earlier = spec.reuse && items.length > 0 ? items[spec.reuse.of % items.length] : undefined;
            const events = earlier
              ? spec.reuse?.half
                ? [...earlier.events.slice(0, 1), fresh()]
                : earlier.events
              : Array.from({ length: spec.size }, fresh);
            items.push({ stream: spec.stream, expected: spec.expected, events });
          }
          const together = randomUUID();
          const alone = randomUUID();
          // an item whose ids are stored on another stream is refused by the log's unique index: the
          // whole statement fails (the event store then splits the group to find it), alone and together
          const outcomes = await call(together, items).catch((err: unknown) => err as Error);
          const expected: Record<string, unknown>[] = [];
          let refused = false;
          for (const [i, item] of items.entries()) {
            const rows = await call(alone, [item]).catch(() => null);
            if (rows) expected.push(...rows.map((r) => ({ ...r, item: i + 1 })));
            else refused = true;
          }
          const log = async (tenant: string) =>
            (await withTenant(app, tenant, (tx) => tx`select * from events where tenant_id = ${tenant} order by tenant_seq`)).map(row);
          if (refused) {
            expect(outcomes).toBeInstanceOf(Error);
            expect(await log(together)).toEqual([]);
            return;
          }
          // an item's outcome is found by its number (errors come back as they are met, rows as written)
          const byItem = (rows: Record<string, unknown>[]) =>
            [...rows].sort((x, y) => Number(x.item) - Number(y.item) || Number(x.tenant_seq) - Number(y.tenant_seq));
          expect(byItem(outcomes as Record<string, unknown>[])).toEqual(expected);
          // the stored log is the same too: positions, versions and the hash chain
          const stored = await log(together);
          expect(stored).toEqual(await log(alone));
          // and every position it wrote waits in the outbox for the relay, once
          const pending = await withTenant(app, together, (tx) => outboxPositions(tx, together));
          expect(pending).toEqual(stored.map((r) => Number(r.tenant_seq)));
        }),
        { numRuns: 60 },
      );
    },
  );

  it('returns and chains a payload as the log holds it when JSON does not keep it as it is (-0, undefined, a Date)', async () => {
    const tenant = randomUUID();
    const data = { zero: -0, gone: undefined, at: new Date(0), list: [undefined, -0, 1], nested: { n: -0 } } as unknown as Record<
      string,
      unknown
    >;
    const written = await store.append(
      tenant,
      's',
      0,
      [{ id: uuidv7(), type: 'test.happened.v1', project_id: null, occurred_at: new Date().toISOString(), data }],
      meta,
    );
    const [logged] = await store.readTenant(tenant, 0, 10);
    expect(written.events).toEqual([logged]);
    expect(logged?.data).toEqual({ zero: 0, at: '1970-01-01T00:00:00.000Z', list: [null, 0, 1], nested: { n: 0 } });
    expect(Object.is(written.events[0]?.data.zero, 0)).toBe(true);
    expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: 1 });
  });

  it('returns the events as the log holds them, whether this call wrote them or an earlier one did (property)', async () => {
    // A call's written rows come back with only what the log adds; the store fills in the rest from
    // what it sent. Whatever the payload, the metadata, the group an append commits in, or a retry
    // of it, what append returns must be what reading the log returns.
    const metaArb = fc.record({
      actor: fc.string({ maxLength: 12 }),
      correlation_id: fc.string({ maxLength: 12 }),
      causation_id: fc.option(fc.string({ maxLength: 12 })),
      traceparent: fc.constantFrom(null, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    });
    const eventArb = fc.record({
      type: fc.constantFrom('test.happened.v1', 'test.other.v2'),
      project: fc.boolean(),
      ms: fc.nat({ max: 10 ** 9 }),
      data: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxKeys: 5 }),
    });
    const appendArb = fc.record({
      stream: fc.constantFrom('a', 'b', 'c', 'd'),
      meta: metaArb,
      events: fc.array(eventArb, { minLength: 1, maxLength: 4 }),
      retry: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(appendArb, { minLength: 1, maxLength: 8 }), async (specs) => {
        const tenant = randomUUID();
        const project = randomUUID();
        const appends = specs.map((spec) => ({
          ...spec,
          events: spec.events.map((e): NewEvent => ({
            id: uuidv7(),
            type: e.type,
            project_id: e.project ? project : null,
            occurred_at: new Date(Date.UTC(2026, 0, 1) + e.ms).toISOString(),
            data: e.data,
          })),
        }));
        // all at once: they commit in groups of the tenant, each with its own outcome
        const settled = await Promise.allSettled(appends.map((a) => store.append(tenant, a.stream, 'any', a.events, a.meta)));
        const retried = await Promise.allSettled(
          appends.map((a) => (a.retry ? store.append(tenant, a.stream, 'any', a.events, a.meta) : Promise.resolve(null))),
        );
        const logged = new Map((await store.readTenant(tenant, 0, 10_000)).map((e) => [e.id, e]));
        for (const [i, s] of settled.entries()) {
          // a payload the database cannot store (a NUL in a string) is refused, alone
          if (s.status === 'rejected') {
            expect(s.reason).toBeInstanceOf(AppendRejectedError);
            continue;
          }
          expect(s.value.events.map((e) => e.id)).toEqual(appends[i]?.events.map((e) => e.id));
          expect(s.value.events).toEqual(s.value.events.map((e) => logged.get(e.id)));
          const again = retried[i];
          if (again?.status === 'fulfilled' && again.value) expect(again.value.events).toEqual(s.value.events);
        }
        expect(await store.verify(tenant)).toMatchObject({ ok: true });
      }),
      { numRuns: 40 },
    );
  });

  it('fails a rejected append alone: its group neighbours commit, it gets a typed error', async () => {
    const tenant = randomUUID();
    const bad: Record<string, NewEvent[]> = {
      nul: [ev('test.happened.v1', { text: 'a\u0000b' })],
      surrogate: [ev('test.happened.v1', { text: '\ud800' })],
      repeated: ((e) => [e, e])(ev()),
    };
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => {
        const kind = ['nul', 'surrogate', 'repeated'][i % 5];
        return store.append(tenant, `s-${i}`, 0, (kind && bad[kind]) || [ev()], meta);
      }),
    );
    results.forEach((r, i) => {
      const kind = ['nul', 'surrogate', 'repeated'][i % 5];
      if (!kind) expect(r.status, `append ${i}`).toBe('fulfilled');
      else expect(r.status === 'rejected' && r.reason, `append ${i} (${kind})`).toBeInstanceOf(AppendRejectedError);
    });
    expect(await store.head(tenant)).toBe(12);
    expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: 12 });
  });

  it('types a rejection inside an append transaction too, and keeps infrastructure failures as they are', async () => {
    const tenant = randomUUID();
    const withHook = { beforeCommit: async () => {} };
    await expect(store.append(tenant, 's', 0, [ev('test.happened.v1', { text: '\u0000' })], meta, withHook)).rejects.toMatchObject({
      code: 'validation.failed',
      sqlstate: '22P05',
    });
    const closed = createSql(pg?.appUrl ?? '', { max: 1 });
    await closed.end();
    await expect(createEventStore(closed).append(tenant, 's', 0, [ev()], meta)).rejects.not.toBeInstanceOf(AppendRejectedError);
    expect(await store.head(tenant)).toBe(0);
  });

  it('keeps tenants apart by row-level security even when a query forgets its tenant filter', async () => {
    const t1 = randomUUID();
    const t2 = randomUUID();
    await store.append(t1, 's', 0, [ev()], meta);
    await store.append(t2, 's', 0, [ev(), ev()], meta);
    const unfiltered = await withTenant(app, t1, (tx) => tx<{ tenant_id: string }[]>`select tenant_id from events`);
    expect(unfiltered.length).toBeGreaterThan(0);
    expect(new Set(unfiltered.map((r) => r.tenant_id))).toEqual(new Set([t1]));
    const noTenant = await app`select count(*)::int as n from events`;
    expect(noTenant[0]?.n).toBe(0);
    await expect(
      withTenant(
        app,
        t1,
        (tx) => tx`insert into outbox (tenant_id, tenant_seq, event_id, subject) values (${t2}, 99, ${randomUUID()}, 'x')`,
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      withTenant(app, t1, (tx) => tx`insert into outbox_ranges (tenant_id, first_seq, last_seq) values (${t2}, 99, 99)`),
    ).rejects.toThrow(/row-level security/);
  });

  it("refuses every event of an offboarded tenant, through the store or inserted as it is, by the runtime role or by a role that sees every tenant, and no other tenant's", async () => {
    const gone = randomUUID();
    const other = randomUUID();
    await store.append(gone, 's', 0, [ev()], meta);
    await store.append(other, 's', 0, [ev()], meta);
    await owner`insert into offboarded_tenants (tenant_id) values (${gone})`;
    /** an event row as the log holds one, at the tenant's next position (its chain is not the point here) */
    const row = (tenant: string, seq: number, type = 'test.happened.v1') => ({
      tenant_id: tenant,
      tenant_seq: seq,
      id: randomUUID(),
      type,
      stream: `raw-${seq}`,
      version: 1,
      occurred_at: new Date(),
      actor: 'user:test',
      correlation_id: 'corr-raw',
      data: {},
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    });
    const columns = [
      'tenant_id',
      'tenant_seq',
      'id',
      'type',
      'stream',
      'version',
      'occurred_at',
      'actor',
      'correlation_id',
      'data',
      'prev_hash',
      'hash',
    ] as const;
    const rolledBack = new Error('rolled back');
    /** inserts as it is, then rolls back whatever was written */
    const raw = (sql: Sql, tenant: string | null, rows: ReturnType<typeof row>[]) =>
      sql
        .begin(async (tx) => {
          if (tenant) await tx`select set_config('mandant.tenant_id', ${tenant}, true)`;
          await tx`insert into events ${tx(rows, ...columns)}`;
          throw rolledBack;
        })
        .catch((err: unknown) => {
          if (err !== rolledBack) throw err;
        });
    const refused = { code: 'MD003' };

    await expect(store.append(gone, 's', 1, [ev()], meta)).rejects.toMatchObject({ code: 'not_found', sqlstate: 'MD003' });
    await expect(store.append(gone, 'batch', 0, [ev(), ev(), ev()], meta)).rejects.toMatchObject({ sqlstate: 'MD003' });
    await expect(raw(app, gone, [row(gone, 2)])).rejects.toMatchObject(refused);
    // a role that bypasses row security sees every offboarded tenant: its rows are checked one by one
    await expect(raw(owner, null, [row(gone, 2)])).rejects.toMatchObject(refused);
    await expect(raw(owner, null, [row(other, 2), row(gone, 2)])).rejects.toMatchObject(refused);
    await expect(raw(owner, other, [row(other, 2), row(gone, 2)])).rejects.toMatchObject(refused);
    await expect(raw(owner, null, [row(other, 2), row(other, 3)])).resolves.toBeUndefined();
    // its own tombstone may still be written; any other tenant goes on
    await expect(raw(owner, null, [row(gone, 2, 'tenant.offboarded.v1')])).resolves.toBeUndefined();
    await expect(raw(app, other, [row(other, 2)])).resolves.toBeUndefined();
    const next = await store.append(other, 's', 1, [ev(), ev()], meta);
    expect(next.events.map((e) => e.tenant_seq)).toEqual([2, 3]);
    expect(await store.head(gone)).toBe(1);
    await owner`delete from offboarded_tenants where tenant_id = ${gone}`;
  });
});
