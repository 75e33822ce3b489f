import { randomUUID } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { describe, expect, it } from 'vitest';
import { meilisearchServer } from '../../testing/backends.ts';
import { createMeilisearchTextIndex, meiliIndexUid } from './meilisearch.ts';
import { describeTextIndex } from './text-index.contract.ts';

// The run's Meilisearch: MEILI_URL, or the server the global setup started from the packaged binary.
const server = meilisearchServer();
const client = (): Meilisearch => new Meilisearch({ host: server?.url ?? '', apiKey: server?.masterKey });

describe.skipIf(server === null)(`Meilisearch text index at ${server?.url ?? '(none)'}`, () => {
  describeTextIndex('meilisearch', () => createMeilisearchTextIndex({ client: client(), batchSize: 2 }));

  it('creates one index per tenant with the filterable and ranked searchable attributes', async () => {
    const meili = client();
    const index = createMeilisearchTextIndex({ client: meili });
    const tenant = randomUUID();
    try {
      await index.ensureIndex(tenant);
      await index.ensureIndex(tenant);
      const settings = await meili.index(meiliIndexUid(tenant)).getSettings();
      expect(settings.searchableAttributes).toEqual(['title', 'entity_names', 'content']);
      expect([...(settings.filterableAttributes ?? [])].map(String).sort())
        .toEqual(['created_at', 'document_id', 'document_type', 'entity_names', 'project_ids', 'tenant_id']);
      expect((await meili.index(meiliIndexUid(tenant)).getRawInfo()).primaryKey).toBe('id');
    } finally {
      await index.dropTenant(tenant);
    }
  });
});
