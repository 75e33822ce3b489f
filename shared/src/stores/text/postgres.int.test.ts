import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql, withTenant } from '../../db/connect.ts';
import type { Sql } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { createPostgresTextIndex } from './postgres.ts';
import { describeTextIndex } from './text-index.contract.ts';

const pg = postgresUrls();

describe.skipIf(!pg)('Postgres text index', () => {
  const pools: Sql[] = [];
  const pool = (max = 4): Sql => {
    const sql = createSql(pg?.appUrl ?? '', { max });
    pools.push(sql);
    return sql;
  };
  afterAll(async () => {
    for (const p of pools) await p.end();
  });

  // the runtime role, as the services connect: RLS applies to every statement
  describeTextIndex('postgres', () => createPostgresTextIndex({ sql: pool() }));

  it('keeps indexed text behind row-level security even for a query without a tenant filter', async () => {
    const sql = pool(1);
    const index = createPostgresTextIndex({ sql });
    const [t1, t2] = [randomUUID(), randomUUID()];
    for (const t of [t1, t2]) {
      await index.upsert(t, [
        {
          id: randomUUID(),
          document_id: randomUUID(),
          title: 't',
          content: 'c',
          project_ids: [],
          document_type: 'txt',
          entity_names: [],
          created_at: new Date().toISOString(),
        },
      ]);
    }
    const seen = await withTenant(sql, t1, (tx) => tx<{ tenant_id: string }[]>`select tenant_id from text_documents`);
    expect(seen.map((r) => r.tenant_id)).toEqual([t1]);
    expect(await sql`select * from text_documents`).toEqual([]);
    for (const t of [t1, t2]) await index.dropTenant(t);
  });
});
