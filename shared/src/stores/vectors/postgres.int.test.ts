import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql, withTenant } from '../../db/connect.ts';
import type { Sql } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { createPostgresVectorIndex } from './postgres.ts';
import { describeVectorIndex } from './vector-index.contract.ts';

const pg = postgresUrls();

describe.skipIf(!pg)('Postgres vector index', () => {
  const pools: Sql[] = [];
  const pool = (url: string | undefined, max = 4): Sql => {
    const sql = createSql(url ?? '', { max });
    pools.push(sql);
    return sql;
  };
  afterAll(async () => {
    for (const p of pools) await p.end();
  });

  // the runtime role, as the services connect: RLS applies to every statement
  describeVectorIndex('postgres', () => createPostgresVectorIndex({ sql: pool(pg?.appUrl), batchSize: 3 }));

  it('keeps stored points behind row-level security even for a query without a tenant filter', async () => {
    const sql = pool(pg?.appUrl, 1);
    const index = createPostgresVectorIndex({ sql });
    const [t1, t2] = [randomUUID(), randomUUID()];
    const model = { id: 'rls-check', dimension: 2 };
    for (const t of [t1, t2]) {
      await index.ensureCollection(t, model);
      await index.upsert(t, model, [
        {
          id: randomUUID(),
          vector: [1, 0],
          payload: {
            tenant_id: t,
            document_id: randomUUID(),
            project_ids: [],
            chunk_index: 0,
            document_type: 'txt',
            created_at: new Date().toISOString(),
            entity_names: [],
          },
        },
      ]);
    }
    const seen = await withTenant(sql, t1, (tx) => tx<{ tenant_id: string }[]>`select tenant_id from vector_points`);
    expect(seen.map((r) => r.tenant_id)).toEqual([t1]);
    expect(await sql`select * from vector_points`).toEqual([]);
    for (const t of [t1, t2]) await index.dropTenant(t);
  });
});
