import { randomBytes, randomUUID } from 'node:crypto';
import type { EventMeta, NewEvent } from '@mandant/contracts';
import { type Sql, createSql } from '@mandant/shared/db';
import { DomainError, VersionConflictError } from '@mandant/shared/errors';
import { AppendRejectedError } from '@mandant/shared/eventstore';
import { type AppendResult, type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { postgresUrls } from '@mandant/shared/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, faultDatabase } from './helpers.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-bad-appends', causation_id: null, traceparent: null };
// seeded so a failure replays: FAULT_SEED=<seed> (printed; FC_SEED too) reruns the same cases; bounded in time
const seed = Number(process.env.FAULT_SEED ?? process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = { seed, numRuns: Number(process.env.FC_RUNS ?? 30), interruptAfterTimeLimit: 90_000 };

/**
 * Every way the database can refuse one append (and the one the event store refuses before it,
 * data that is not JSON), each with the typed error its append must fail with.
 */
const BAD = {
  /** U+0000 in a string of the event data: jsonb cannot hold it (22P05) */
  nul: 'validation.failed',
  /** an unpaired surrogate: no valid UTF-8 (22P02) */
  surrogate: 'validation.failed',
  /** an event id that is no UUID (22P02) */
  malformedId: 'validation.failed',
  /** the metadata lacks a column the log requires (23502) */
  missingActor: 'validation.failed',
  /** a stream name longer than its index can take (54000) */
  tooLarge: 'validation.failed',
  /** the same event id twice in one append (23505) */
  repeatedId: 'conflict',
  /** some of its event ids stored already, others not (MD002) */
  partlyStored: 'conflict',
  /** a stale expected version (MD001) */
  staleVersion: 'version.conflict',
  /** a BigInt cannot be written as JSON: refused before the group */
  notJson: 'validation.failed',
} as const;
type BadKind = keyof typeof BAD;
type Kind = 'good' | BadKind;

const event = (data: Record<string, unknown>, id = uuidv7()): NewEvent => ({
  id,
  type: 'fault.appended.v1',
  project_id: null,
  occurred_at: new Date().toISOString(),
  data,
});

/** A string the log can hold, awkward as it gets: quotes, escapes, joiners, astral characters. */
const storable = fc.string({
  unit: fc.constantFrom('a', 'é', '"', '\\', '\u0001', '\u200b', '\u202e', '日', '\u{1f600}', '\n'),
  maxLength: 20,
});

interface Planned {
  kind: Kind;
  text: string;
  count: number;
}
const planned: fc.Arbitrary<Planned> = fc.record({
  kind: fc.oneof({ weight: 3, arbitrary: fc.constant<Kind>('good') }, fc.constantFrom<Kind>(...(Object.keys(BAD) as BadKind[]))),
  text: storable,
  count: fc.integer({ min: 1, max: 3 }),
});
/** Waves of appends: each wave starts when an append of the previous one settles, so it queues behind a group in flight. */
const waves = fc.array(fc.array(planned, { minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 4 });

interface Prepared {
  kind: Kind;
  stream: string;
  expected: number | 'any';
  events: NewEvent[];
  meta: EventMeta;
}

function prepare(p: Planned, n: number, stored: { hot: string; ids: string[] }): Prepared {
  const events = Array.from({ length: p.count }, (_, k) => event({ n, k, text: p.text }));
  const own = { kind: p.kind, stream: `s-${n}`, expected: 0 as number | 'any', events, meta };
  const first = events[0] ?? event({});
  switch (p.kind) {
    case 'good':
      return own;
    case 'nul':
      return { ...own, events: [...events, event({ text: `${p.text}\u0000${p.text}` })] };
    case 'surrogate':
      return { ...own, events: [event({ nested: { text: `${p.text}\ud800` } }), ...events] };
    case 'malformedId':
      return { ...own, events: [...events, { ...first, id: `not-a-uuid-${n}` }] };
    case 'missingActor':
      return { ...own, meta: { ...meta, actor: undefined as unknown as string } };
    // random bytes as hex do not compress: the index entry stays over its 2,704-byte limit
    case 'tooLarge':
      return { ...own, stream: `s-${n}-${randomBytes(2_000).toString('hex')}` };
    case 'repeatedId':
      return { ...own, events: [...events, { ...first, data: { again: true } }] };
    case 'partlyStored':
      return { ...own, events: [event({}, stored.ids[n % stored.ids.length]), ...events] };
    case 'staleVersion':
      return { ...own, stream: stored.hot, expected: 0 };
    case 'notJson':
      return { ...own, events: [...events, event({ big: BigInt(n) })] };
  }
}

async function appendAll(store: EventStore, tenant: string, plan: Planned[][], stored: { hot: string; ids: string[] }) {
  const all: Array<{ p: Prepared; outcome: Promise<AppendResult> }> = [];
  let n = 0;
  for (const wave of plan) {
    const issued = wave.map((w) => {
      const p = prepare(w, n++, stored);
      return { p, outcome: store.append(tenant, p.stream, p.expected, p.events, p.meta) };
    });
    all.push(...issued);
    await Promise.race(
      issued.map((i) =>
        i.outcome.then(
          () => {},
          () => {},
        ),
      ),
    );
  }
  const settled = await Promise.allSettled(all.map((a) => a.outcome));
  return all.map((a, i) => ({ ...a, settled: settled[i] as PromiseSettledResult<AppendResult> }));
}

describe.skipIf(!pg)('fault: concurrent good and bad appends of one tenant', () => {
  let db: FaultDatabase;
  let sql: Sql;

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_bad_appends', log);
    sql = createSql(db.appUrl, { max: 8, appName: 'mandant-fault-bad-appends' });
    process.stderr.write(`bad appends: FAULT_SEED=${seed}\n`);
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it(
    'every good append commits (in the log, chain intact), every bad one fails alone with its typed error',
    { timeout: 180_000 },
    async () => {
      const store = createEventStore(sql);
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(waves, async (plan) => {
          const tenant = randomUUID();
          // what the bad appends collide with: a stream at version 1 and two stored event ids
          const setup = await store.append(tenant, 'hot', 0, [event({ setup: 1 }), event({ setup: 2 })], meta);
          const stored = { hot: 'hot', ids: setup.events.map((e) => e.id) };
          const results = await appendAll(store, tenant, plan, stored);

          const committed = new Set(stored.ids);
          for (const { p, settled } of results) {
            seen.set(p.kind, (seen.get(p.kind) ?? 0) + 1);
            if (p.kind === 'good') {
              if (settled.status === 'rejected') throw new Error(`a good append failed: ${String(settled.reason)}`);
              expect(settled.value.events.map((e) => e.id)).toEqual(p.events.map((e) => e.id));
              for (const e of p.events) committed.add(e.id);
              continue;
            }
            if (settled.status === 'fulfilled') throw new Error(`a ${p.kind} append was accepted`);
            const err: unknown = settled.reason;
            // typed: a domain error with the stable code of its kind, never a bare database error
            expect(err, `${p.kind}: ${String(err)}`).toBeInstanceOf(DomainError);
            expect((err as DomainError).code, p.kind).toBe(BAD[p.kind]);
            if (p.kind === 'staleVersion') expect(err).toBeInstanceOf(VersionConflictError);
            if (p.kind !== 'staleVersion' && p.kind !== 'partlyStored' && p.kind !== 'notJson')
              expect(err).toBeInstanceOf(AppendRejectedError);
          }

          const logged = await store.readTenant(tenant, 0, 100_000);
          expect(logged.map((e) => e.tenant_seq)).toEqual(logged.map((_, i) => i + 1));
          expect(new Set(logged.map((e) => e.id))).toEqual(committed);
          expect(await store.head(tenant)).toBe(logged.length);
          expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: logged.length });
        }),
        runs,
      );
      process.stderr.write(`bad appends: ${JSON.stringify(Object.fromEntries(seen))}\n`);
    },
  );

  it(
    "appends racing the tenant's offboarding commit before its tombstone or fail as not found, alone, beside bad ones",
    { timeout: 180_000 },
    async () => {
      const store = createEventStore(sql);
      const plan = fc.record({
        before: fc.array(planned, { minLength: 0, maxLength: 20 }),
        after: fc.array(planned, { minLength: 1, maxLength: 20 }),
      });
      await fc.assert(
        fc.asyncProperty(plan, async ({ before, after }) => {
          const tenant = randomUUID();
          const setup = await store.append(tenant, 'hot', 0, [event({ setup: 1 }), event({ setup: 2 })], meta);
          const stored = { hot: 'hot', ids: setup.events.map((e) => e.id) };
          // the tombstone goes out between the two lists, in its own transaction (as the tenant service offboards)
          const issue = (list: Planned[], from: number) =>
            list.map((w, i) => {
              const p = prepare(w, from + i, stored);
              return { p, outcome: store.append(tenant, p.stream, p.expected, p.events, p.meta) };
            });
          const first = issue(before, 0);
          const tombstone = store.append(tenant, 'tenant', 'any', [{ ...event({}), type: 'tenant.offboarded.v1' }], meta, {
            beforeCommit: async (tx) => {
              await tx`insert into offboarded_tenants (tenant_id) values (${tenant})`;
            },
          });
          const all = [...first, ...issue(after, before.length)];
          const settled = await Promise.allSettled(all.map((a) => a.outcome));
          const last = (await tombstone).position;

          const committed = new Map<string, number>(setup.events.map((e) => [e.id, e.tenant_seq]));
          for (const [i, { p }] of all.entries()) {
            const s = settled[i];
            if (!s) continue;
            if (s.status === 'fulfilled') {
              expect(p.kind, 'only a good append commits').toBe('good');
              for (const e of s.value.events) committed.set(e.id, e.tenant_seq);
              continue;
            }
            expect(s.reason, `${p.kind}: ${String(s.reason)}`).toBeInstanceOf(DomainError);
            const code = (s.reason as DomainError).code;
            // a good append fails only because the tenant is gone; a bad one with its own error, or that
            if (p.kind === 'good') expect(code).toBe('not_found');
            else expect([BAD[p.kind], 'not_found']).toContain(code);
          }
          const logged = await store.readTenant(tenant, 0, 100_000);
          expect(logged.at(-1)?.type).toBe('tenant.offboarded.v1');
          expect(logged.length).toBe(last);
          expect(new Map(logged.slice(0, -1).map((e) => [e.id, e.tenant_seq]))).toEqual(committed);
          expect(await store.verify(tenant)).toMatchObject({ ok: true, checked: last });
          // whatever comes after the tombstone fails as not found
          await expect(store.append(tenant, 'late', 0, [event({})], meta)).rejects.toMatchObject({ code: 'not_found' });
        }),
        { ...runs, numRuns: Math.ceil(runs.numRuns / 2) },
      );
    },
  );
});
