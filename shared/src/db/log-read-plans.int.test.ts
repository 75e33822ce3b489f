import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { postgresUrls } from '../testing/backends.ts';
import { createSql, derivedStateSettings, readOfTheLog, withTenant } from './connect.ts';

const pg = postgresUrls();

describe.skipIf(!pg)('a read of the log in a derived-state transaction (readOfTheLog)', () => {
  it('is planned for its values every time, while the statements sent around it keep the plan cache', async () => {
    if (!pg) return;
    // one connection: every transaction runs on the same server process, whose prepared
    // statements (pg_prepared_statements) count the plans each statement was given
    const sql = createSql(pg.appUrl, { max: 1, appName: 'mandant-plan-test' });
    const tenantId = randomUUID();
    try {
      const [{ mode: serverDefault } = { mode: '' }] = await sql<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode`;
      expect(serverDefault).not.toBe('force_custom_plan');
      for (let i = 0; i < 8; i++) {
        const [before, inside, after] = await withTenant(sql, tenantId, async (tx) => {
          // sent together, as the shares of a projector page send theirs side by side
          const [, first, read, last] = await Promise.all([
            derivedStateSettings(tx).execute(),
            tx<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode, position from projection_checkpoints
              where tenant_id = ${tenantId} and projector = ${'plan-test'}
              union all select current_setting('plan_cache_mode'), ${i}::bigint`.execute(),
            readOfTheLog(
              tx,
              tx<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode, count(*)::int as n from events
                where tenant_id = ${tenantId} and tenant_seq > ${i}`,
            ),
            tx<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode from projection_checkpoints
              where tenant_id = ${tenantId} and position > ${i}
              union all select current_setting('plan_cache_mode')`.execute(),
          ]);
          return [first[0]?.mode, read[0]?.mode, last[0]?.mode];
        });
        expect([before, inside, after]).toEqual([serverDefault, 'force_custom_plan', serverDefault]);
      }
      // the log's read was planned afresh each time; the others were given the cached plan once
      // the server found it no worse than the custom ones
      const plans = await sql<{ statement: string; generic_plans: number; custom_plans: number }[]>`
        select statement, generic_plans::int, custom_plans::int from pg_prepared_statements where statement like '%plan_cache_mode%'`;
      const of = (part: string) => plans.filter((p) => p.statement.includes(part));
      expect(of('from events')).toEqual([expect.objectContaining({ generic_plans: 0, custom_plans: 8 })]);
      const around = of('from projection_checkpoints');
      expect(around).toHaveLength(2);
      for (const p of around) expect(p.generic_plans).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  });
});
