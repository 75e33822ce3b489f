import { randomUUID } from 'node:crypto';
import type { EventMeta } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import { migrate, prepareAppRole } from '../db/migrate.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { postgresUrls } from '../testing/backends.ts';
import { ownDatabase } from '../testing/own-database.ts';
import { listDeadLetters, requestRetry, retryDeadLetters } from './dead-letters.ts';
import { type Projection, startProjector } from './projector.ts';
import { SETTLE_MS } from '../testing/eventually.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'dead-letters', causation_id: null, traceparent: null };
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 12 };

/**
 * Every way an event can be one the projection cannot apply: a throw in the projection, a value
 * Postgres refuses in a statement (NUL: 22021), a constraint that fails only at COMMIT (the page's
 * transaction fails as a whole, outside any savepoint), an envelope that does not parse.
 */
const POISON = ['throw', 'nul', 'at-commit', 'unparsable'] as const;
type Kind = 'good' | 'renamed' | (typeof POISON)[number];
const typeOf = (kind: Kind) => (kind === 'unparsable' ? 'test.unparsable' : `test.${kind.replace('-', '_')}.v1`);

/** Counts each application (not idempotent on purpose): a good event applied twice shows. */
const recorder = (name: string, fixed = { now: false }): Projection => ({
  name,
  version: 1,
  handles: (t) => t.startsWith('test.'),
  async apply(tx, e) {
    if (e.type === 'test.throw.v1' && !fixed.now) throw new Error(`cannot project "${String(e.data.secret)}"`);
    if (e.type === 'test.nul.v1' && !fixed.now)
      await tx`insert into test_texts (tenant_id, text) values (${e.tenant_id}, ${`x\u0000${String(e.data.secret)}`})`;
    if (e.type === 'test.at_commit.v1')
      await tx`insert into test_deferred (tenant_id, ref) values (${e.tenant_id}, ${fixed.now ? null : 1})`;
    if (e.type === 'test.renamed.v1')
      await tx`update test_named set name = ${String(e.data.name)} where tenant_id = ${e.tenant_id} and stream = ${e.stream}`;
    if (e.type === 'test.throw.v1') {
      await tx`insert into test_named (tenant_id, stream, name) values (${e.tenant_id}, ${e.stream}, 'created') on conflict do nothing`;
    }
    await tx`insert into test_applied (tenant_id, projector, tenant_seq, n) values (${e.tenant_id}, ${name}, ${e.tenant_seq}, 1)
             on conflict (tenant_id, projector, tenant_seq) do update set n = test_applied.n + 1`;
  },
  async reset(tx, tenantId) {
    await tx`delete from test_applied where tenant_id = ${tenantId} and projector = ${name}`;
  },
});

describe.skipIf(!pg)('dead letters: whatever an event does to a projection, it is dead-lettered and the tenant moves on', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: Sql;
  let store: EventStore;

  beforeAll(async () => {
    if (!pg) return;
    // a database of its own: each projector's start-up sweep walks every tenant of its database
    db = await ownDatabase(pg.ownerUrl, 'dead_letters');
    await migrate(db.url, log);
    const owner = createSql(db.url, { max: 1 });
    await owner.unsafe(`
      create table test_applied (tenant_id uuid, projector text, tenant_seq bigint, n int, primary key (tenant_id, projector, tenant_seq));
      create table test_texts (tenant_id uuid, text text);
      create table test_named (tenant_id uuid, stream text, name text, primary key (tenant_id, stream));
      create table test_ref (id int primary key);
      create table test_deferred (tenant_id uuid, ref int references test_ref (id) deferrable initially deferred);
      grant select on test_ref to mandant_app;
      select mandant_isolate_tenant_table('test_applied'); select mandant_isolate_tenant_table('test_texts');
      select mandant_isolate_tenant_table('test_named'); select mandant_isolate_tenant_table('test_deferred');`);
    await owner.end();
    sql = createSql(await prepareAppRole(db.url, undefined), { max: 8 });
    store = createEventStore(sql);
  });
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  const append = async (tenant: string, kind: Kind, data: Record<string, unknown> = {}, stream = `s-${uuidv7()}`) => {
    const body = kind === 'unparsable' ? ([data] as unknown as Record<string, unknown>) : data;
    return (
      await store.append(
        tenant,
        stream,
        'any',
        [{ id: uuidv7(), type: typeOf(kind), project_id: null, occurred_at: new Date().toISOString(), data: body }],
        meta,
      )
    ).position;
  };
  const appliedSeqs = async (tenant: string, name: string) =>
    withTenant(
      sql,
      tenant,
      (tx) =>
        tx<
          { tenant_seq: number; n: number }[]
        >`select tenant_seq, n from test_applied where tenant_id = ${tenant} and projector = ${name} order by tenant_seq`,
    );
  const checkpoint = async (tenant: string, key: string) =>
    (
      await withTenant(
        sql,
        tenant,
        (tx) => tx<{ position: number }[]>`select position from projection_checkpoints where tenant_id = ${tenant} and projector = ${key}`,
      )
    )[0]?.position ?? 0;

  it.each(POISON)(
    'dead-letters a %s event after the bounded retries, applies the events after it and lets read-your-writes pass it',
    async (kind) => {
      const name = `dl-${randomUUID().slice(0, 8)}`;
      const tenant = randomUUID();
      await append(tenant, 'good');
      const bad = await append(tenant, kind, { secret: 'Ms Nightingale' });
      await append(tenant, 'good');
      const head = await append(tenant, 'good');
      const projector = startProjector({ sql, projection: recorder(name), log, sweepMs: 2 ** 30, maxAttempts: 3 });
      try {
        await projector.waitFor(tenant, head, SETTLE_MS);
        expect(await appliedSeqs(tenant, name)).toEqual([1, 3, 4].map((tenant_seq) => ({ tenant_seq, n: 1 })));
        const dead = await withTenant(sql, tenant, (tx) => listDeadLetters(tx, tenant));
        expect(dead).toEqual([expect.objectContaining({ projector: `${name}@v1`, tenant_seq: bad, type: typeOf(kind), attempts: 3 })]);
        expect(dead[0]?.error).not.toMatch(/Nightingale|\u0000/);
        expect(await checkpoint(tenant, `${name}@v1`)).toBe(head);
      } finally {
        await projector.stop();
      }
    },
  );

  it('retries a dead letter after the fix: applies it, then the later events of its stream again, and removes it; one that fails again stays with attempts + 1', async () => {
    const name = `rt-${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    const fixed = { now: false };
    const stream = `s-${uuidv7()}`;
    const created = await append(tenant, 'throw', {}, stream);
    await append(tenant, 'renamed', { name: 'renamed later' }, stream);
    const stuck = await append(tenant, 'nul');
    const projector = startProjector({ sql, projection: recorder(name, fixed), log, sweepMs: 2 ** 30, maxAttempts: 2 });
    try {
      await projector.catchUp(tenant);
      expect((await withTenant(sql, tenant, (tx) => listDeadLetters(tx, tenant))).map((d) => d.tenant_seq)).toEqual([created, stuck]);
      // the rename applied without its row: nothing to rename yet
      expect(await withTenant(sql, tenant, (tx) => tx`select name from test_named where tenant_id = ${tenant}`)).toEqual([]);

      const again = await retryDeadLetters({ sql, projection: recorder(name, fixed), tenantId: tenant, seq: created });
      expect(again).toEqual({ projector: `${name}@v1`, applied: [], failed: [{ tenant_seq: created, error: expect.any(String) }] });
      expect((await withTenant(sql, tenant, (tx) => listDeadLetters(tx, tenant))).map((d) => [d.tenant_seq, d.attempts])).toEqual([
        [created, 3],
        [stuck, 2],
      ]);

      fixed.now = true;
      const outcome = await retryDeadLetters({ sql, projection: recorder(name, fixed), tenantId: tenant });
      expect(outcome).toEqual({ projector: `${name}@v1`, applied: [created, stuck], failed: [] });
      expect(await withTenant(sql, tenant, (tx) => listDeadLetters(tx, tenant))).toEqual([]);
      expect(await withTenant(sql, tenant, (tx) => tx`select name from test_named where tenant_id = ${tenant}`)).toEqual([
        { name: 'renamed later' },
      ]);
      // the rename ran twice in all (live, then after the created event), every other event once
      expect(await appliedSeqs(tenant, name)).toEqual([
        { tenant_seq: created, n: 1 },
        { tenant_seq: created + 1, n: 2 },
        { tenant_seq: stuck, n: 1 },
      ]);
    } finally {
      await projector.stop();
    }
  });

  it('applies nothing again for an offboarded tenant: its read models stay empty', async () => {
    const name = `off-${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    const fixed = { now: false };
    await append(tenant, 'throw');
    const tombstone = await store.append(
      tenant,
      `tenant-${tenant}`,
      'any',
      [{ id: uuidv7(), type: 'tenant.offboarded.v1', project_id: null, occurred_at: new Date().toISOString(), data: {} }],
      meta,
    );
    const projector = startProjector({ sql, projection: recorder(name, fixed), log, sweepMs: 2 ** 30, maxAttempts: 2 });
    try {
      expect(await projector.catchUp(tenant)).toBe(tombstone.position);
      fixed.now = true;
      expect(await retryDeadLetters({ sql, projection: recorder(name, fixed), tenantId: tenant })).toEqual({
        projector: `${name}@v1`,
        applied: [],
        failed: [],
      });
      expect(await appliedSeqs(tenant, name)).toEqual([]);
    } finally {
      await projector.stop();
    }
  });

  it('carries out a retry asked for over the API in the projector that owns the read model', async () => {
    const name = `rq-${randomUUID().slice(0, 8)}`;
    const tenant = randomUUID();
    const fixed = { now: false };
    const bad = await append(tenant, 'throw');
    const projector = startProjector({ sql, projection: recorder(name, fixed), log, sweepMs: 2 ** 30, maxAttempts: 2, retryPollMs: 50 });
    try {
      await projector.catchUp(tenant);
      const dead = () => withTenant(sql, tenant, (tx) => listDeadLetters(tx, tenant));
      expect((await dead()).map((d) => [d.tenant_seq, d.retry_requested_at])).toEqual([[bad, null]]);
      fixed.now = true;
      // another projector's name marks nothing of this one
      expect(await withTenant(sql, tenant, (tx) => requestRetry(tx, tenant, 'elsewhere@v1'))).toBe(0);
      expect(await withTenant(sql, tenant, (tx) => requestRetry(tx, tenant, `${name}@v1`))).toBe(1);
      const deadline = Date.now() + SETTLE_MS;
      while ((await dead()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await dead()).toEqual([]);
      expect(await appliedSeqs(tenant, name)).toEqual([{ tenant_seq: bad, n: 1 }]);
    } finally {
      await projector.stop();
    }
  });

  it(
    'property: poison at random positions among good events of several tenants: every good event applied once, every poison dead-lettered once, clean tenants untouched',
    { timeout: 240_000 },
    async () => {
      const kind = fc.oneof(
        { arbitrary: fc.constant<Kind>('good'), weight: 4 },
        { arbitrary: fc.constantFrom<Kind>(...POISON), weight: 1 },
      );
      const tenants = fc
        .array(fc.array(kind, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 4 })
        .map((ts) => [Array.from({ length: 5 }, (): Kind => 'good'), ...ts]); // the first tenant is always clean
      await fc.assert(
        fc.asyncProperty(tenants, async (logs) => {
          const name = `pb-${randomUUID().slice(0, 8)}`;
          const ids = logs.map(() => randomUUID());
          for (const [i, kinds] of logs.entries()) for (const k of kinds) await append(ids[i] ?? '', k);
          const projector = startProjector({ sql, projection: recorder(name), log, sweepMs: 2 ** 30, maxAttempts: 2 });
          try {
            await Promise.all(ids.map((t, i) => projector.waitFor(t, logs[i]?.length ?? 0, SETTLE_MS)));
            for (const [i, kinds] of logs.entries()) {
              const t = ids[i] ?? '';
              const seqs = (want: (k: Kind) => boolean) => kinds.flatMap((k, j) => (want(k) ? [j + 1] : []));
              expect(await appliedSeqs(t, name)).toEqual(seqs((k) => k === 'good').map((tenant_seq) => ({ tenant_seq, n: 1 })));
              const dead = await withTenant(sql, t, (tx) => listDeadLetters(tx, t));
              expect(dead.map((d) => [d.tenant_seq, d.attempts])).toEqual(seqs((k) => k !== 'good').map((s) => [s, 2]));
              expect(await checkpoint(t, `${name}@v1`)).toBe(kinds.length);
            }
          } finally {
            await projector.stop();
          }
        }),
        runs,
      );
    },
  );
});
