import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { postgresUrls } from '../testing/backends.ts';
import { createSql, derivedStateSettings, readOfTheLog, withTenant } from './connect.ts';

const pg = postgresUrls();

/** The planner settings readOfTheLog changes, as one row of text values. */
const PLANNING = `current_setting('plan_cache_mode') || ' ' || current_setting('enable_seqscan') || ' ' ||
  current_setting('enable_hashjoin') || ' ' || current_setting('enable_mergejoin')`;

describe.skipIf(!pg)('a read of the log in a derived-state transaction (readOfTheLog)', () => {
  it('is planned once and by the indexes, while the statements sent around it keep the server settings', async () => {
    if (!pg) return;
    // one connection: every transaction runs on the same server process, whose prepared
    // statements (pg_prepared_statements) count the plans each statement was given
    const sql = createSql(pg.appUrl, { max: 1, appName: 'mandant-plan-test' });
    const tenantId = randomUUID();
    try {
      const [{ planning: serverDefault } = { planning: '' }] = await sql<
        { planning: string }[]
      >`select ${sql.unsafe(PLANNING)} as planning`;
      expect(serverDefault).not.toContain('force_generic_plan');
      expect(serverDefault).not.toContain('off');
      for (let i = 0; i < 8; i++) {
        const [before, inside, after] = await withTenant(sql, tenantId, async (tx) => {
          // sent together, as the shares of a projector page send theirs side by side
          const [, first, read, last] = await Promise.all([
            derivedStateSettings(tx).execute(),
            tx<{ planning: string }[]>`select ${tx.unsafe(PLANNING)} as planning, position from projection_checkpoints
              where tenant_id = ${tenantId} and projector = ${'plan-test'}
              union all select ${tx.unsafe(PLANNING)}, ${i}::bigint`.execute(),
            readOfTheLog(
              tx,
              tx<{ planning: string }[]>`select ${tx.unsafe(PLANNING)} as planning, count(*)::int as n from events
                where tenant_id = ${tenantId} and tenant_seq > ${i}`,
            ),
            tx<{ planning: string }[]>`select ${tx.unsafe(PLANNING)} as planning from projection_checkpoints
              where tenant_id = ${tenantId} and position > ${i}
              union all select ${tx.unsafe(PLANNING)}`.execute(),
          ]);
          return [first[0]?.planning, read[0]?.planning, last[0]?.planning];
        });
        expect([before, inside, after]).toEqual([serverDefault, 'force_generic_plan off off off', serverDefault]);
      }
      // the log's read was planned once and its plan kept; the others as the server chose
      const plans = await sql<{ statement: string; generic_plans: number; custom_plans: number }[]>`
        select statement, generic_plans::int, custom_plans::int from pg_prepared_statements where statement like '%enable_mergejoin%'`;
      const of = (part: string) => plans.filter((p) => p.statement.includes('tenant_seq >') && p.statement.includes(part));
      expect(of('from events')).toEqual([expect.objectContaining({ generic_plans: 8, custom_plans: 0 })]);
    } finally {
      await sql.end();
    }
  });

  it('goes by the indexes on a log whose statistics were taken while it was small, where the server alone scans it whole', async () => {
    if (!pg) return;
    const sql = createSql(pg.ownerUrl, { max: 1, appName: 'mandant-plan-test' });
    const log = `plan_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    try {
      // a log of the events table's shape and indexes, still small when its statistics were taken
      // (a fresh database, a new tenant): a plan made then and kept would walk it whole once it grew
      const tenant = randomUUID();
      await sql`create table ${sql(log)} (like events including indexes)`;
      await sql`insert into ${sql(log)} (tenant_id, tenant_seq, id, type, stream, version, occurred_at, actor, correlation_id, data, prev_hash, hash)
                select ${tenant}, g, gen_random_uuid(), 'x.v1', 's' || (g % 10), g / 10 + 1, now(), 'a', 'c', '{}', '', ''
                from generate_series(1, 200) g`;
      await sql`analyze ${sql(log)}`;
      const shapes = [
        // a tenant's page after a checkpoint, counted (what a plan made on a small log chose a scan for)
        `select count(*) from ${log} where tenant_id = $1 and tenant_seq > $2`,
        // a stream's versions after a known one, joined with a list of streams (the document states' read)
        `select e.id from ${log} e join unnest($3::text[], $4::int[]) as p(stream, after)
           on e.tenant_id = $1 and e.stream = p.stream and e.version > p.after where e.tenant_seq > $2`,
      ];
      for (const [i, shape] of shapes.entries()) {
        await sql.unsafe(`prepare log_read_${i} as ${shape}`);
        const args = i === 0 ? `'${tenant}', 0` : `'${tenant}', 0, array['s1','s2'], array[1,2]`;
        const plan = await sql.begin(async (tx) => {
          const rows = await readOfTheLog(tx, tx.unsafe<{ 'QUERY PLAN': string }[]>(`explain execute log_read_${i}(${args})`));
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
        const alone = (await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain execute log_read_${i}(${args})`))
          .map((r) => r['QUERY PLAN'])
          .join('\n');
        expect(plan, plan).toMatch(/Index/);
        expect(plan, plan).not.toMatch(/Seq Scan|Hash Join|Merge Join/);
        // the case the settings are for: the server's own choice on this log scans it
        expect(alone, alone).toMatch(/Seq Scan|Hash Join|Merge Join/);
      }
    } finally {
      await sql`drop table if exists ${sql(log)}`;
      await sql.end();
    }
  });
});
