import { randomUUID } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { describe, expect, it } from 'vitest';
import { createMeilisearchTextIndex, meiliIndexUid } from './meilisearch.ts';
import { describeTextIndex } from './text-index.contract.ts';

// Meilisearch is optional here (not a required CI backend): the suite runs only against a server
// named by MEILI_URL, so it skips with a note instead of the SKIPPED-BACKEND marker.
const url = process.env.MEILI_URL;
if (!url) process.stderr.write('meilisearch text index suite skipped: set MEILI_URL (and MEILI_MASTER_KEY) to run it\n');
const client = (): Meilisearch => new Meilisearch({ host: url ?? '', apiKey: process.env.MEILI_MASTER_KEY });

describe.skipIf(!url)(`Meilisearch text index at ${url ?? '(MEILI_URL unset)'}`, () => {
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
