import type { EventEnvelope } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '../db/connect.ts';
import type { Projection } from '../projection/projector.ts';

/** A statement as a pool sent it: its text and its parameters (serialised as sent). */
interface SentStatement {
  query: string;
  parameters: readonly unknown[];
}

type PlanNode = { 'Relation Name'?: string; 'Plan Rows'?: number; Plans?: PlanNode[] };

/** A statement `run` sent that reads or writes some of the tables asked about, and its plan's scans of them. */
export interface PlannedScans {
  query: string;
  /** per table the plan scans: the most rows the planner expects one scan of it to read */
  rows: Record<string, number>;
}

/**
 * Runs `run` on a pool of the runtime role (one connection) that keeps the statements it sends,
 * then explains each one naming a table of `tables`, for `tenantId` and its own parameter values,
 * as the server plans a statement the first times a connection runs it (the statements are not
 * run again). An index lookup repeated per row counts the rows of one lookup: a write that finds
 * its rows by their keys expects a few, one that walks the tenant's rows of a table all of them.
 */
export async function plannedScans(
  appUrl: string,
  tenantId: string,
  tables: readonly string[],
  run: (sql: Sql) => Promise<void>,
): Promise<PlannedScans[]> {
  const sent: SentStatement[] = [];
  const recording = createSql(appUrl, {
    max: 1,
    appName: 'mandant-plan-test',
    onStatement: (query, parameters) => sent.push({ query, parameters }),
  });
  const sql = createSql(appUrl, { max: 1, appName: 'mandant-plan-test' });
  try {
    await run(recording);
    const planned: PlannedScans[] = [];
    for (const { query, parameters } of sent.filter((s) => tables.some((t) => s.query.includes(t)))) {
      const [row] = await withTenant(sql, tenantId, (tx) =>
        tx.unsafe<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }[]>(`explain (format json) ${query}`, [...parameters] as never[]),
      );
      const rows: Record<string, number> = {};
      const walk = (node: PlanNode): void => {
        const table = node['Relation Name'];
        if (table !== undefined && tables.includes(table)) rows[table] = Math.max(rows[table] ?? 0, node['Plan Rows'] ?? 0);
        for (const child of node.Plans ?? []) walk(child);
      };
      for (const plan of row?.['QUERY PLAN'] ?? []) walk(plan.Plan);
      planned.push({ query, rows });
    }
    return planned;
  } finally {
    await Promise.all([recording.end(), sql.end()]);
  }
}

/** `plannedScans` of `projection` applying `page` (its `applyBatch`) in one transaction for `tenantId`. */
export function plannedScansOfPage(
  appUrl: string,
  tenantId: string,
  tables: readonly string[],
  projection: Projection,
  page: EventEnvelope[],
): Promise<PlannedScans[]> {
  return plannedScans(appUrl, tenantId, tables, (sql) =>
    withTenant(sql, tenantId, async (tx) => {
      if (!projection.applyBatch) throw new Error(`${projection.name} has no applyBatch`);
      await projection.applyBatch(tx, page);
    }),
  );
}

/** The scans of `planned` that expect `limit` rows or more, as `table in: statement` (none: every write finds its rows by key). */
export const scansOfAtLeast = (planned: readonly PlannedScans[], limit: number): string[] =>
  planned.flatMap(({ query, rows }) =>
    Object.entries(rows)
      .filter(([, n]) => n >= limit)
      .map(([table, n]) => `${table} (${n} rows) in: ${query}`),
  );
