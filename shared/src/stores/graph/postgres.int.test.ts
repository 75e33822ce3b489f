import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../db/connect.ts';
import type { Sql } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import { plannedScans, scansOfAtLeast } from '../../testing/plans.ts';
import { describeGraphStore } from './graph-store.contract.ts';
import type { MentionInput } from './port.ts';
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

/**
 * A write changes the rows of its own documents and their entities' appearances: its statements
 * find them by their keys, never by walking all of the tenant's rows of a table, whatever the
 * tenant's graph holds.
 */
describe.skipIf(!pg)("Postgres graph store: a write's statements find their rows by key", () => {
  it("plans no scan of a graph table that reads more than a few of a large tenant's rows", async () => {
    if (!pg) return;
    const owner = createSql(pg.ownerUrl, { max: 1, appName: 'mandant-graph-plan-test' });
    const seeding = createSql(pg.appUrl, { max: 1, appName: 'mandant-graph-plan-test' });
    const tenantId = randomUUID();
    const [p0, p1] = [randomUUID(), randomUUID()];
    const TENANT_DOCUMENTS = 3_000;
    // a tenant's graph: many documents, each naming two of as many entities, all linked to one project
    const entities = Array.from({ length: TENANT_DOCUMENTS }, (_, i) => ({ entity_id: randomUUID(), name: `Entity ${i}`, type: 'person' }));
    const documents = Array.from({ length: TENANT_DOCUMENTS }, (_, i) => ({
      documentId: randomUUID(),
      mentions: [entities[i], entities[(i * 7 + 1) % TENANT_DOCUMENTS]].map((e) => ({ ...(e as MentionInput), count: 1 + (i % 3) })),
    }));
    try {
      const seeded = createPostgresGraphStore({ sql: seeding });
      await seeded.upsertDocuments(
        tenantId,
        documents.map((d) => ({ id: d.documentId, title: null })),
      );
      await seeded.upsertMentionsOfDocuments(tenantId, documents);
      await seeded.changeLinks(tenantId, [{ projectId: p0, linked: documents.map((d) => d.documentId), unlinked: [] }]);
      const tables = ['graph_documents', 'graph_links', 'graph_mentions', 'graph_appearances', 'graph_entities'];
      await owner.unsafe(`analyze ${tables.join(', ')}`);
      // what a projector's page writes: a few documents linked to another project, a few unlinked,
      // a few whose mentions change
      const [linked, unlinked, renamed] = [documents.slice(0, 3), documents.slice(3, 6), documents.slice(6, 9)];
      const writes = await plannedScans(pg.appUrl, tenantId, tables, async (sql) => {
        const graph = createPostgresGraphStore({ sql });
        await graph.changeLinks(tenantId, [
          { projectId: p1, linked: linked.map((d) => d.documentId), unlinked: [] },
          { projectId: p0, linked: [], unlinked: unlinked.map((d) => d.documentId) },
        ]);
        await graph.upsertMentionsOfDocuments(
          tenantId,
          renamed.map((d, i) => ({ documentId: d.documentId, mentions: [{ ...(entities[200 + i] as MentionInput), count: 1 }] })),
          { replace: true },
        );
      });
      expect(writes.length).toBeGreaterThanOrEqual(3);
      expect(scansOfAtLeast(writes, TENANT_DOCUMENTS / 10)).toEqual([]);
    } finally {
      await createPostgresGraphStore({ sql: seeding }).dropTenant(tenantId);
      await Promise.all([owner.end(), seeding.end()]);
    }
  });
});
