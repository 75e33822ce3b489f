import { randomUUID } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { describe, expect, it } from 'vitest';
import { qdrantTestUrl } from '../../testing/qdrant.ts';
import { createQdrantVectorIndex, qdrantCollectionName } from './qdrant.ts';
import { describeVectorIndex } from './vector-index.contract.ts';

// QDRANT_URL (and QDRANT_API_KEY) when set; else the Qdrant 1.16 the global setup started.
const url = qdrantTestUrl();
// the server is pinned to 1.16; the client's minor-version check would only warn about that
const client = (): QdrantClient => new QdrantClient({ url: url ?? '', apiKey: process.env.QDRANT_API_KEY, checkCompatibility: false });
// a prefix per run, so parallel runs on one server never touch each other's collections
const prefix = `mandanttest${randomUUID().replaceAll('-', '').slice(0, 8)}`;

describe.skipIf(url === null)(`Qdrant vector index at ${url ?? '(none)'}`, () => {
  describeVectorIndex('qdrant', () => createQdrantVectorIndex({ client: client(), prefix, upsertBatchSize: 2 }));

  it('creates one cosine collection per tenant and model, with the tenant key and filter fields indexed', async () => {
    const qdrant = client();
    const index = createQdrantVectorIndex({ client: qdrant, prefix });
    const tenant = randomUUID();
    const model = { id: 'BAAI/bge-small-en-v1.5', dimension: 4 };
    try {
      await index.ensureCollection(tenant, model);
      await index.ensureCollection(tenant, model);
      const info = await qdrant.getCollection(qdrantCollectionName(prefix, tenant, model));
      expect(info.config.params.vectors).toMatchObject({ size: 4, distance: 'Cosine' });
      expect(Object.keys(info.payload_schema).sort()).toEqual(['created_at', 'document_id', 'document_type', 'entity_names', 'project_ids', 'tenant_id']);
      expect(info.payload_schema.tenant_id?.params).toMatchObject({ is_tenant: true });
    } finally {
      await index.dropTenant(tenant);
    }
  });
});
