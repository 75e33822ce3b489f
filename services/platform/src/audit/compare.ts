import { createHash } from 'node:crypto';
import { type Sql, withTenant } from '@mandant/shared/db';
import { canonicalJson } from '@mandant/shared/eventstore';
import type { BlobEntry } from '@mandant/shared/stores/blobs';
import type { EmbeddingModel } from '@mandant/shared/stores/vectors';
import type { DocumentStores } from '@mandant/projectors';

/** One compared store: a content hash of what the live side and the replay hold for the tenant. */
export interface StoreComparison {
  store: string;
  live: { hash: string; items: number };
  replay: { hash: string; items: number };
  equal: boolean;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Hash of a list of values, independent of the order a store returns them in. */
function hashItems(items: unknown[]): { hash: string; items: number } {
  const lines = items.map((i) => canonicalJson(i)).sort();
  return { hash: sha256(lines.join('\n')), items: items.length };
}

export const compared = (
  store: string,
  live: { hash: string; items: number },
  replay: { hash: string; items: number },
): StoreComparison => ({ store, live, replay, equal: live.hash === replay.hash && live.items === replay.items });

/**
 * The relational read models: every `*_view` table with a `tenant_id`, and which of its columns
 * are purely technical (defaulted by the database clock, so a replay cannot reproduce them).
 */
export async function viewTables(sql: Sql): Promise<{ table: string; technical: string[] }[]> {
  const rows = await sql<{ table_name: string; column_name: string; column_default: string | null }[]>`
    select table_name, column_name, column_default from information_schema.columns
    where table_schema = 'public' and table_name like '%\\_view'
      and table_name in (select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id')
    order by table_name, ordinal_position`;
  const tables = new Map<string, string[]>();
  for (const r of rows) {
    const technical = tables.get(r.table_name) ?? [];
    if (r.column_default && /now\(\)|current_timestamp|clock_timestamp/i.test(r.column_default)) technical.push(r.column_name);
    tables.set(r.table_name, technical);
  }
  return [...tables].map(([table, technical]) => ({ table, technical }));
}

/** The tenant's rows of one view, as canonical JSON (timestamps in UTC) minus technical columns, hashed. */
export async function hashViewRows(
  sql: Sql,
  tenantId: string,
  view: { table: string; technical: string[] },
): Promise<{ hash: string; items: number }> {
  const rows = await withTenant(sql, tenantId, async (tx) => {
    await tx`select set_config('TimeZone', 'UTC', true)`;
    return tx<{ r: Record<string, unknown> }[]>`select to_jsonb(t) as r from ${tx(view.table)} t where tenant_id = ${tenantId}`;
  });
  return hashItems(
    rows.map(({ r }) => {
      for (const c of view.technical) delete r[c];
      return r;
    }),
  );
}

/**
 * Vectors compare as float32: an engine may keep them as float32 and answer the shortest decimal
 * of that, another as the float64 of the same float32; `Math.fround` maps both to one value.
 */
export async function hashVectors(
  stores: Pick<DocumentStores, 'vectors'>,
  tenantId: string,
  model: EmbeddingModel,
): Promise<{ hash: string; items: number }> {
  const points = await stores.vectors.snapshot(tenantId, model);
  return hashItems(points.map((p) => ({ ...p, vector: p.vector.map((v) => Math.fround(v)) })));
}

export async function hashText(stores: Pick<DocumentStores, 'text'>, tenantId: string): Promise<{ hash: string; items: number }> {
  return hashItems(await stores.text.snapshot(tenantId));
}

/** The graph snapshot's parts, each order-independent. */
export async function hashGraph(stores: Pick<DocumentStores, 'graph'>, tenantId: string): Promise<{ hash: string; items: number }> {
  const snapshot = (await stores.graph.snapshot(tenantId)) as unknown as Record<string, unknown>;
  const parts: unknown[] = [];
  for (const [key, value] of Object.entries(snapshot)) {
    if (Array.isArray(value)) for (const v of value as unknown[]) parts.push({ [key]: v });
    else parts.push({ [key]: value });
  }
  return hashItems(parts);
}

export const hashBlobs = (entries: BlobEntry[]): { hash: string; items: number } => hashItems(entries);
