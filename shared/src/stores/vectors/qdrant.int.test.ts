import { randomUUID } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, describe, expect, it } from 'vitest';
import { qdrantTestUrl } from '../../testing/qdrant.ts';
import { createQdrantVectorIndex, legacyTenantPrefix, qdrantCollectionName } from './qdrant.ts';
import { describeVectorIndex } from './vector-index.contract.ts';

// QDRANT_URL (and QDRANT_API_KEY) when set; else the Qdrant 1.16 the global setup started.
const url = qdrantTestUrl();
// the server is pinned to 1.16; the client's minor-version check would only warn about that
const client = (): QdrantClient => new QdrantClient({ url: url ?? '', apiKey: process.env.QDRANT_API_KEY, checkCompatibility: false });
// a prefix per run, so parallel runs on one server never touch each other's collections
const prefix = `mandanttest${randomUUID().replaceAll('-', '').slice(0, 8)}`;

describe.skipIf(url === null)(`Qdrant vector index at ${url ?? '(none)'}`, () => {
  describeVectorIndex('qdrant', () => createQdrantVectorIndex({ client: client(), prefix, upsertBatchSize: 2 }));

  it('keeps one cosine collection per model for all tenants, the tenant key and filter fields indexed', async () => {
    const qdrant = client();
    // a prefix of its own: the contract suite's collections are not this test's
    const own = `${prefix}layout`;
    const index = createQdrantVectorIndex({ client: qdrant, prefix: own });
    const [t1, t2] = [randomUUID(), randomUUID()];
    const model = { id: 'BAAI/bge-small-en-v1.5', dimension: 4 };
    try {
      await index.ensureCollection(t1, model);
      await index.ensureCollection(t2, model);
      const mine = (await qdrant.getCollections()).collections.filter((c) => c.name.startsWith(`${own}_`)).map((c) => c.name);
      expect(mine).toEqual([qdrantCollectionName(own, model)]);
      const info = await qdrant.getCollection(qdrantCollectionName(own, model));
      expect(info.config.params.vectors).toMatchObject({ size: 4, distance: 'Cosine' });
      expect(info.config.hnsw_config).toMatchObject({ m: 0, payload_m: 16 });
      expect(Object.keys(info.payload_schema).sort()).toEqual([
        'created_at',
        'document_id',
        'document_type',
        'entity_names',
        'project_ids',
        'tenant_id',
      ]);
      expect(info.payload_schema.tenant_id?.params).toMatchObject({ is_tenant: true });
    } finally {
      await index.dropTenant(t1);
      await index.dropTenant(t2);
    }
  });

  it('drops a tenant’s collections of the earlier per-tenant layout when the tenant is dropped (rebuild, offboarding)', async () => {
    const qdrant = client();
    const index = createQdrantVectorIndex({ client: qdrant, prefix });
    const [tenant, other] = [randomUUID(), randomUUID()];
    const [old, kept] = [`${legacyTenantPrefix(prefix, tenant)}m_0123456789_2`, `${legacyTenantPrefix(prefix, other)}m_0123456789_2`];
    for (const c of [old, kept]) await qdrant.createCollection(c, { vectors: { size: 2, distance: 'Cosine' } });
    try {
      await index.dropTenant(tenant);
      const left = (await qdrant.getCollections()).collections.map((c) => c.name);
      expect(left).toContain(kept);
      expect(left).not.toContain(old);
    } finally {
      for (const c of [old, kept]) await qdrant.deleteCollection(c);
    }
  });

  afterAll(async () => {
    // the shared model collections outlive tenants by design; this run's are removed here
    const qdrant = client();
    for (const { name } of (await qdrant.getCollections()).collections) if (name.startsWith(prefix)) await qdrant.deleteCollection(name);
  });
});
