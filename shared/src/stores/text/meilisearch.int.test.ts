import { randomUUID } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { afterAll, describe, expect, it } from 'vitest';
import { meilisearchServer } from '../../testing/backends.ts';
import { createMeilisearchTextIndex, legacyTenantIndexUid } from './meilisearch.ts';
import { describeTextIndex } from './text-index.contract.ts';

// The run's Meilisearch: MEILI_URL, or the server the global setup started from the packaged binary.
const server = meilisearchServer();
const client = (): Meilisearch => new Meilisearch({ host: server?.url ?? '', apiKey: server?.masterKey });

describe.skipIf(server === null)(`Meilisearch text index at ${server?.url ?? '(none)'}`, () => {
  // an index of this suite's own (a server named by MEILI_URL may serve a platform too), deleted at the end
  const contractIndex = `text-test-${randomUUID()}`;
  afterAll(async () => {
    await client().deleteIndex(contractIndex).waitTask();
  });
  describeTextIndex('meilisearch', () => createMeilisearchTextIndex({ client: client(), indexUid: contractIndex, batchSize: 2 }));

  it('keeps all tenants in one index with the filterable and ranked searchable attributes, and offboards by filter', async () => {
    const meili = client();
    const indexUid = `text-test-${randomUUID()}`;
    const index = createMeilisearchTextIndex({ client: meili, indexUid });
    const [gone, stays] = [randomUUID(), randomUUID()];
    try {
      await index.ensureIndex(gone);
      await index.ensureIndex(stays);
      const settings = await meili.index(indexUid).getSettings();
      expect(settings.searchableAttributes).toEqual(['title', 'entity_names', 'content']);
      expect([...(settings.filterableAttributes ?? [])].map(String).sort()).toEqual([
        'created_at',
        'document_id',
        'document_type',
        'entity_names',
        'project_ids',
        'tenant_id',
      ]);
      expect((await meili.index(indexUid).getRawInfo()).primaryKey).toBe('key');
      const entry = {
        id: randomUUID(),
        document_id: randomUUID(),
        title: 't',
        content: 'ledger',
        project_ids: [],
        document_type: 'pdf',
        entity_names: [],
        created_at: '2024-01-01T00:00:00.000Z',
      };
      await index.upsert(gone, [entry]);
      await index.upsert(stays, [entry]);
      expect((await meili.getIndexes({ limit: 1_000 })).results.filter((i) => i.uid.includes(gone) || i.uid.includes(stays))).toEqual([]);
      await index.dropTenant(gone);
      expect(await index.snapshot(gone)).toEqual([]);
      expect(await index.snapshot(stays)).toEqual([entry]);
      expect((await meili.index(indexUid).getStats()).numberOfDocuments).toBe(1);
    } finally {
      await meili.deleteIndex(indexUid).waitTask();
    }
  });

  it("drops a tenant's index of the earlier one-per-tenant layout with the tenant", async () => {
    const meili = client();
    const index = createMeilisearchTextIndex({ client: meili, indexUid: `text-test-${randomUUID()}` });
    const tenant = randomUUID();
    const legacy = legacyTenantIndexUid(tenant);
    await meili.createIndex(legacy, { primaryKey: 'id' }).waitTask();
    await meili
      .index(legacy)
      .addDocuments([{ id: randomUUID(), tenant_id: tenant, content: 'old layout' }])
      .waitTask();
    await index.dropTenant(tenant);
    await expect(meili.index(legacy).getRawInfo()).rejects.toMatchObject({ cause: { code: 'index_not_found' } });
    await index.dropTenant(tenant);
  });
});
