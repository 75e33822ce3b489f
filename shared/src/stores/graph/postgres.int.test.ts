import { afterAll, describe } from 'vitest';
import { createSql } from '../../db/connect.ts';
import type { Sql } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { describeGraphStore } from './graph-store.contract.ts';
import { createPostgresGraphStore } from './postgres.ts';

const pg = postgresUrls();
const pools: Sql[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

// As the runtime role, so row-level security is in force for every statement of the suite.
describe.skipIf(!pg)('Postgres graph store', () => {
  describeGraphStore('postgres', async () => {
    const sql = createSql(pg?.appUrl ?? '', { max: 4, appName: 'mandant-graph-test' });
    pools.push(sql);
    return createPostgresGraphStore({ sql });
  });
});
