import type { EventMeta } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../log.ts';
import { postgresUrls } from '../testing/backends.ts';
import { eventually } from '../testing/eventually.ts';
import { ownDatabase } from '../testing/own-database.ts';
import { type Sql, createSql } from './connect.ts';
import { migrate, prepareAppRole } from './migrate.ts';
import { keepStatistics } from './statistics.ts';

const pg = postgresUrls();
const log = createLogger({ level: 'silent' });
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };

describe.skipIf(!pg)('planner statistics on a server that keeps none', () => {
  let owner: Sql;
  let app: Sql;
  let db: { url: string; drop(): Promise<void> } | undefined;
  // a database of its own: what changed in it is only what this suite writes
  beforeAll(async () => {
    if (!pg) return;
    db = await ownDatabase(pg.ownerUrl, 'statistics');
    await migrate(db.url, createLogger({ level: 'warn' }));
    owner = createSql(db.url, { max: 1 });
    app = createSql(await prepareAppRole(db.url, undefined), { max: 2 });
  });
  afterAll(async () => {
    await owner?.end();
    await app?.end();
    await db?.drop();
  });

  it('analyses the tables whose rows changed past autovacuum’s threshold, once, when autovacuum is off, and nothing when it is on', async () => {
    const [{ autovacuum } = { autovacuum: '' }] = await owner<{ autovacuum: string }[]>`show autovacuum`;
    const keeper = keepStatistics({ sql: app, log, everyMs: 3_600_000 });
    try {
      const store = createEventStore(app);
      const tenant = uuidv7();
      const ev = (i: number) => ({
        id: uuidv7(),
        type: 'test.counted.v1',
        project_id: null,
        occurred_at: new Date().toISOString(),
        data: { i },
      });
      // 90 events: past the threshold of an empty table (50 rows); the tenant's head and outbox runs are not
      for (let s = 0; s < 3; s++)
        await store.append(
          tenant,
          `s${s}`,
          0,
          Array.from({ length: 30 }, (_, i) => ev(i)),
          meta,
        );
      if (autovacuum === 'on') {
        // the server keeps them: nothing to do
        expect(await keeper.check()).toEqual([]);
        return;
      }
      // the server's change counters reach its statistics views a moment after the commits
      const analysed = await eventually(async () => {
        const tables = await keeper.check();
        return tables.includes('events') ? tables : undefined;
      }, 'the log analysed');
      expect(analysed).not.toContain('tenant_heads');
      const [events] = await owner<{ analysed: boolean; tuples: number }[]>`
        select s.last_analyze is not null as analysed, c.reltuples::int as tuples
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'events'`;
      expect(events).toEqual({ analysed: true, tuples: 90 });
      // a rough picture (a statistics target of 10): at most 11 histogram bounds for 90 distinct positions
      const [positions] = await owner<{ bounds: number }[]>`
        select cardinality(histogram_bounds::text::text[]) as bounds from pg_stats where tablename = 'events' and attname = 'tenant_seq'`;
      expect(positions?.bounds).toBeLessThanOrEqual(11);
      expect(positions?.bounds).toBeGreaterThan(1);
      // analysed, it is not stale again until it changes again
      expect(await keeper.check()).not.toContain('events');
    } finally {
      await keeper.stop();
    }
  });
});
