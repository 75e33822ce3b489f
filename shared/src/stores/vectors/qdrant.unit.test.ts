import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VectorIndexUnavailableError } from './port.ts';
import { closedUnderRequest, createQdrantVectorIndex, legacyTenantPrefix, qdrantCollectionName, qdrantPointId } from './qdrant.ts';
import type { QdrantCalls } from './qdrant.ts';

describe('qdrantCollectionName', () => {
  it('names the model and dimension in Qdrant-safe characters, one collection for all tenants', () => {
    const name = qdrantCollectionName('mandant', { id: 'BAAI/bge-m3', dimension: 1024 });
    expect(name).toMatch(/^mandant_vectors_baai-bge-m3_[0-9a-f]{10}_1024$/);
  });

  it('never gives two models, or two dimensions of one model, the same collection', () => {
    const names = [
      { id: 'a/b', dimension: 8 },
      { id: 'a_b', dimension: 8 },
      { id: 'A/B', dimension: 8 },
      { id: 'a/b', dimension: 16 },
    ].map((m) => qdrantCollectionName('mandant', m));
    expect(new Set(names).size).toBe(names.length);
  });

  it('cannot be mistaken for a collection of the earlier per-tenant layout', () => {
    const tenant = '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b';
    expect(qdrantCollectionName('mandant', { id: 'm', dimension: 2 }).startsWith(legacyTenantPrefix('mandant', tenant))).toBe(false);
  });
});

describe('qdrantPointId', () => {
  it('gives an id of two tenants two points, the same one every time, as a UUID Qdrant accepts', () => {
    const [t1, t2, id] = [randomUUID(), randomUUID(), randomUUID()];
    expect(qdrantPointId(t1, id)).toBe(qdrantPointId(t1.toUpperCase(), id.toUpperCase()));
    expect(qdrantPointId(t1, id)).not.toBe(qdrantPointId(t2, id));
    expect(qdrantPointId(t1, id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

interface Call {
  method: string;
  collection: string | undefined;
  args: Record<string, unknown>;
}

/** Records every request the adapter sends, answering like an empty Qdrant would. */
function recordingClient(collections: string[] = []): { client: QdrantCalls; calls: Call[] } {
  const calls: Call[] = [];
  const answers: Record<string, unknown> = {
    collectionExists: { exists: true },
    query: { points: [] },
    count: { count: 0 },
    scroll: { points: [], next_page_offset: null },
    getCollections: { collections: collections.map((name) => ({ name })) },
    deleteCollection: true,
  };
  const client = new Proxy(
    {},
    {
      get:
        (_target, method: string) =>
        async (collection?: string, args: Record<string, unknown> = {}) => {
          calls.push({ method, collection, args });
          return answers[method] ?? { operation_id: 1, status: 'completed' };
        },
    },
  ) as QdrantCalls;
  return { client, calls };
}

describe('Qdrant adapter requests', () => {
  const tenant = randomUUID();
  const model = { id: 'm', dimension: 2 };
  const [project, documentId] = [randomUUID(), randomUUID()];
  const tenantCondition = { key: 'tenant_id', match: { value: tenant } };

  it('puts the tenant condition first in every filtered request, and the project scope when asked', async () => {
    const { client, calls } = recordingClient();
    const index = createQdrantVectorIndex({ client });
    await index.search(tenant, model, [1, 0], { limit: 5 });
    await index.search(tenant, model, [1, 0], { limit: 5, projectIds: [project], documentType: 'pdf', from: '2024-01-01', entity: 'X' });
    await index.count(tenant, model, { projectIds: [project] });
    await index.deleteDocument(tenant, model, documentId);
    await index.setDocumentProjects(tenant, model, documentId, [project]);
    await index.snapshot(tenant, model);
    expect(calls.map((c) => c.method)).toEqual(['query', 'query', 'count', 'delete', 'setPayload', 'scroll']);
    for (const c of calls) {
      expect(c.collection).toBe(qdrantCollectionName('mandant', model));
      expect((c.args.filter as { must: unknown[] }).must[0]).toEqual(tenantCondition);
    }
    expect((calls[1]?.args.filter as { must: unknown[] }).must).toEqual([
      tenantCondition,
      { key: 'project_ids', match: { any: [project] } },
      { key: 'document_type', match: { value: 'pdf' } },
      { key: 'created_at', range: { gte: '2024-01-01T00:00:00.000Z' } },
      { key: 'entity_names', match: { value: 'X' } },
    ]);
  });

  it('relinks a document of any size with one filtered setPayload, never per point', async () => {
    const { client, calls } = recordingClient();
    await createQdrantVectorIndex({ client }).setDocumentProjects(tenant, model, documentId, [project]);
    expect(calls).toEqual([
      {
        method: 'setPayload',
        collection: qdrantCollectionName('mandant', model),
        args: {
          payload: { project_ids: [project] },
          filter: { must: [tenantCondition, { key: 'document_id', match: { value: documentId } }] },
          wait: true,
        },
      },
    ]);
  });

  it('sends nothing for an empty project scope', async () => {
    const { client, calls } = recordingClient();
    expect(await createQdrantVectorIndex({ client }).search(tenant, model, [1, 0], { limit: 5, projectIds: [] })).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('offboards a tenant by deleting its points from every model collection, and its own collections of the earlier layout', async () => {
    const shared = [qdrantCollectionName('mandant', model), qdrantCollectionName('mandant', { id: 'other', dimension: 3 })];
    const mineLegacy = `${legacyTenantPrefix('mandant', tenant)}m_0123456789_2`;
    const theirsLegacy = `${legacyTenantPrefix('mandant', randomUUID())}m_0123456789_2`;
    const { client, calls } = recordingClient([...shared, mineLegacy, theirsLegacy, 'unrelated']);
    await createQdrantVectorIndex({ client }).dropTenant(tenant);
    expect(calls).toEqual([
      { method: 'getCollections', collection: undefined, args: {} },
      ...shared.map((collection) => ({ method: 'delete', collection, args: { filter: { must: [tenantCondition] }, wait: true } })),
      { method: 'deleteCollection', collection: mineLegacy, args: {} },
    ]);
  });

  /** What undici's fetch throws when the server closed a kept-alive connection under the request. */
  const closedConnection = (): Error =>
    new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });

  /** A recording client whose first call of `method` fails with `err`. */
  function failingOnce(method: string, err: Error): { client: QdrantCalls; calls: Call[] } {
    const { client: inner, calls } = recordingClient();
    let failed = false;
    const client = new Proxy(inner, {
      get:
        (target, name: string) =>
        async (...args: unknown[]) => {
          if (name === method && !failed) {
            failed = true;
            calls.push({ method, collection: args[0] as string, args: {} });
            throw err;
          }
          return (Reflect.get(target, name) as (...a: unknown[]) => Promise<unknown>)(...args);
        },
    });
    return { client, calls };
  }

  it('sends a request once more when the server closed the kept-alive connection under it', async () => {
    for (const method of ['upsert', 'query', 'setPayload'] as const) {
      const { client, calls } = failingOnce(method, closedConnection());
      const index = createQdrantVectorIndex({ client });
      await index.upsert(tenant, model, [
        {
          id: randomUUID(),
          vector: [1, 0],
          payload: {
            tenant_id: tenant,
            document_id: documentId,
            project_ids: [],
            chunk_index: 0,
            document_type: 'pdf',
            created_at: '2024-01-01T00:00:00.000Z',
            entity_names: [],
          },
        },
      ]);
      await index.search(tenant, model, [1, 0], { limit: 5 });
      await index.setDocumentProjects(tenant, model, documentId, [project]);
      expect(calls.map((c) => c.method)).toEqual(['upsert', 'query', 'setPayload'].flatMap((m) => (m === method ? [m, m] : [m])));
    }
  });

  it('does not send again a request the server answered with an error', async () => {
    const { client, calls } = failingOnce('query', Object.assign(new Error('Internal Server Error'), { status: 500 }));
    await expect(createQdrantVectorIndex({ client }).search(tenant, model, [1, 0], { limit: 5 })).rejects.toBeInstanceOf(
      VectorIndexUnavailableError,
    );
    expect(calls.map((c) => c.method)).toEqual(['query']);
    expect(closedUnderRequest(new Error('fetch failed'))).toBe(false);
  });
});
