import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventMeta } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { VersionConflictError } from '@mandant/shared/errors';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { startProjector } from '@mandant/shared/projection';
import { postgresUrls } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, SETTLE_MS, faultDatabase, seededRandom, sleep, until } from './helpers.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const meta: EventMeta = { actor: 'user:fault', correlation_id: 'fault-writers', causation_id: null, traceparent: null };

const TENANTS = 3;
const WRITERS = 24;
const APPENDS_PER_WRITER = 40;
const HOT_STREAMS = 4;

class Rollback extends Error {}

/** What one reader saw: the (tenant_seq, id) pairs in the order it saw them, and any gap or reordering. */
interface Observation {
  seen: Array<{ seq: number; id: string }>;
  violations: string[];
}

/**
 * Pages through a tenant's log the way an auditor or a catching-up projector does: every page
 * must start right after the last position seen and be contiguous. A position that shows up
 * before an earlier one (a gap later filled) is a violation.
 */
async function readContinuously(
  store: EventStore,
  tenantId: string,
  random: ReturnType<typeof seededRandom>,
  done: () => boolean,
): Promise<Observation> {
  const o: Observation = { seen: [], violations: [] };
  let last = 0;
  for (;;) {
    const finished = done();
    const page = await store.readTenant(tenantId, last, random.int(1, 60));
    for (const e of page) {
      if (e.tenant_seq !== last + 1) o.violations.push(`after ${last} came ${e.tenant_seq}`);
      o.seen.push({ seq: e.tenant_seq, id: e.id });
      last = e.tenant_seq;
    }
    // the writers had stopped before this read, so an empty page means the reader has it all
    if (finished && page.length === 0) return o;
    if (page.length === 0) await sleep(random.int(0, 3));
  }
}

describe.skipIf(!pg)('fault: concurrent writers with random rollbacks and delays', () => {
  let db: FaultDatabase;
  let sql: Sql;

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_writers', log);
    sql = createSql(db.appUrl, { max: 24, appName: 'mandant-fault-writers' });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it(
    'never lets a reader or a projector see a position before an earlier one commits: the log is gapless, chained, and holds exactly the committed appends',
    { timeout: 300_000 },
    async () => {
      const random = seededRandom('concurrent-writers');
      const store = createEventStore(sql);
      const tenants = Array.from({ length: TENANTS }, () => randomUUID());
      const committed = new Map<string, Set<string>>(tenants.map((t) => [t, new Set<string>()]));
      const rolledBack = new Set<string>();
      const outcomes = { plain: 0, slowBefore: 0, throwBefore: 0, slowAfter: 0, throwAfter: 0, conflicts: 0 };

      // the projector runner as another reader: it must apply each tenant's log exactly in order
      const applied = new Map<string, number[]>(tenants.map((t) => [t, []]));
      const projector = startProjector({
        sql,
        log,
        sweepMs: 100,
        maxAttempts: 2,
        projection: {
          name: `fault-order-${randomUUID().slice(0, 8)}`,
          version: 1,
          handles: () => true,
          async apply(_tx, e) {
            applied.get(e.tenant_id)?.push(e.tenant_seq);
          },
          async reset() {},
        },
      });
      const unsubscribe = store.onAppended((t) => void projector.catchUp(t).catch(() => {}));

      let writing = true;
      const readers = tenants.flatMap((t) => [0, 1].map(() => readContinuously(store, t, random, () => !writing)));

      const writer = async (w: number): Promise<void> => {
        const tenant = tenants[w % TENANTS] ?? '';
        const own = `writer-${w}`;
        let ownVersion = 0;
        for (let i = 0; i < APPENDS_PER_WRITER; i++) {
          const hot = random.chance(0.3);
          const stream = hot ? `hot-${random.int(1, HOT_STREAMS)}` : own;
          const events = Array.from({ length: random.int(1, 3) }, (_, k) => ({
            id: uuidv7(),
            type: 'fault.written.v1',
            project_id: null,
            occurred_at: new Date().toISOString(),
            data: { w, i, k },
          }));
          const expected = hot ? (await store.readStream(tenant, stream)).version : ownVersion;
          const mode = random.int(0, 9);
          const delay = random.int(1, 15);
          const opts =
            mode === 0
              ? {
                  beforeCommit: async () => {
                    await sleep(delay);
                  },
                }
              : mode === 1
                ? {
                    beforeCommit: async () => {
                      await sleep(delay);
                      throw new Rollback('before');
                    },
                  }
                : mode === 2
                  ? {
                      afterAppend: async () => {
                        await sleep(delay);
                      },
                    }
                  : // the tenant's next positions are taken (head row locked) when this throws: the rollback must free them
                    mode === 3
                    ? {
                        afterAppend: async () => {
                          await sleep(delay);
                          throw new Rollback('after');
                        },
                      }
                    : undefined;
          try {
            const r = await store.append(tenant, stream, expected, events, meta, opts);
            if (!hot) ownVersion = r.version;
            for (const e of events) committed.get(tenant)?.add(e.id);
            if (mode === 0) outcomes.slowBefore++;
            else if (mode === 2) outcomes.slowAfter++;
            else outcomes.plain++;
          } catch (err) {
            for (const e of events) rolledBack.add(e.id);
            if (err instanceof Rollback) {
              if (err.message === 'before') outcomes.throwBefore++;
              else outcomes.throwAfter++;
            } else if (err instanceof VersionConflictError) outcomes.conflicts++;
            else throw err;
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      } finally {
        writing = false;
      }
      const observations = await Promise.all(readers);
      process.stderr.write(`concurrent writers: ${JSON.stringify(outcomes)}\n`);
      expect(outcomes.throwBefore).toBeGreaterThan(0);
      expect(outcomes.throwAfter).toBeGreaterThan(0);

      const logs = new Map<string, EventEnvelope[]>();
      for (const t of tenants) {
        const events = await store.readTenant(t, 0, 100_000);
        logs.set(t, events);
        const n = events.length;
        // gapless 1..n, and the head agrees
        expect(events.map((e) => e.tenant_seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        expect(await store.head(t)).toBe(n);
        // exactly the appends that reported success: nothing rolled back survived, nothing accepted is missing
        expect(new Set(events.map((e) => e.id))).toEqual(committed.get(t));
        expect(events.some((e) => rolledBack.has(e.id))).toBe(false);
        const report = await store.verify(t);
        expect(report).toMatchObject({ ok: true, checked: n, first_broken: null });
      }

      // every reader saw a gap-free sequence, and each position it saw holds the event it holds now
      for (const [r, o] of observations.entries()) {
        const t = tenants[Math.floor(r / 2)] ?? '';
        const final = logs.get(t) ?? [];
        expect(o.violations).toEqual([]);
        expect(o.seen).toEqual(final.map((e) => ({ seq: e.tenant_seq, id: e.id })));
      }

      // the projector applied every tenant's log once, in order, never skipping
      for (const t of tenants) {
        const head = logs.get(t)?.length ?? 0;
        await until(async () => (await projector.catchUp(t)) >= head, SETTLE_MS, `the projector to reach ${head}`);
        expect(applied.get(t)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      }
      unsubscribe();
      await projector.stop();
      const dead = await withTenant(sql, tenants[0] ?? '', (tx) => tx`select count(*)::int as n from projection_dead_letters`);
      expect(dead[0]?.n).toBe(0);
    },
  );
});
