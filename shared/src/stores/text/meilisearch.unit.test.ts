import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEXT_INDEX_UID,
  createMeilisearchTextIndex,
  legacyTenantIndexUid,
  meiliFilter,
  meiliKey,
  meiliLiteral,
} from './meilisearch.ts';
import type { MeilisearchCalls } from './meilisearch.ts';

describe('Meilisearch filters', () => {
  const tenant = '0190A3C4-5B6D-7E8F-9A0B-1C2D3E4F5A6B';

  it('always starts with the tenant condition', () => {
    expect(meiliFilter(tenant)).toBe('(tenant_id = "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")');
    expect(meiliKey(tenant, 'AB')).toBe('0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b_ab');
  });

  it('adds the any-of project scope, payload filters and an inclusive range in unix seconds', () => {
    expect(
      meiliFilter(tenant, {
        projectIds: ['A', 'b'],
        documentType: 'pdf',
        from: '2024-01-01T00:00:00Z',
        to: '2024-01-01T00:00:01.5Z',
        entity: 'Acme',
      }),
    ).toBe(
      [
        '(tenant_id = "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")',
        '(project_ids IN ["a", "b"])',
        '(document_type = "pdf")',
        '(created_at >= 1704067200)',
        '(created_at <= 1704067201.5)',
        '(entity_names = "Acme")',
      ].join(' AND '),
    );
  });

  it('quotes values so user text cannot change the filter', () => {
    expect(meiliLiteral('x" OR tenant_id EXISTS \\')).toBe('"x\\" OR tenant_id EXISTS \\\\"');
  });
});

interface Call {
  uid: string;
  method: string;
  args: unknown[];
}

/** Records every request the adapter sends, answering like a Meilisearch whose tasks all succeed. */
function recordingClient(keys: string[] = []): { client: MeilisearchCalls; calls: Call[] } {
  const calls: Call[] = [];
  const task = () =>
    Object.assign(Promise.resolve({ taskUid: 1 }), { waitTask: async () => ({ uid: 1, status: 'succeeded', error: null }) });
  const answers: Record<string, (...args: unknown[]) => unknown> = {
    search: async () => ({ hits: [] }),
    getDocuments: async (q: unknown) => {
      const { limit = 20, offset = 0 } = (q ?? {}) as { limit?: number; offset?: number };
      return { results: keys.slice(offset, offset + limit).map((key) => ({ key })), total: keys.length };
    },
  };
  const index = (uid: string) =>
    new Proxy(
      {},
      {
        get:
          (_t, method: string) =>
          (...args: unknown[]) => {
            calls.push({ uid, method, args });
            return (answers[method] ?? task)(...args);
          },
      },
    );
  const client = {
    index,
    createIndex: (uid: string, ...args: unknown[]) => (calls.push({ uid, method: 'createIndex', args }), task()),
    deleteIndex: (uid: string) => (calls.push({ uid, method: 'deleteIndex', args: [] }), task()),
    multiSearch: async (q: { queries: unknown[] }) => {
      calls.push({ uid: '', method: 'multiSearch', args: [q] });
      return { results: q.queries.map(() => ({ hits: [] })) };
    },
  } as unknown as MeilisearchCalls;
  return { client, calls };
}

describe('Meilisearch adapter requests', () => {
  const tenant = randomUUID();
  const uid = DEFAULT_TEXT_INDEX_UID;
  const [project, documentId] = [randomUUID(), randomUUID()];
  const documentFilter = meiliFilter(tenant, { documentId });

  it('asks for the hits with every term first, then, as they do not fill the page, for each term in one multi-search; none may miss a word', async () => {
    const { client, calls } = recordingClient();
    await createMeilisearchTextIndex({ client }).search(tenant, 'Boris "Petrov payment" -leak OR', {
      limit: 5,
      offset: 5,
      projectIds: [project],
    });
    expect(calls.map((c) => c.method)).toEqual(['search', 'multiSearch']);
    const [q, first] = calls[0]?.args as [string, Record<string, unknown>];
    const { queries } = calls[1]?.args[0] as { queries: Array<Record<string, unknown>> };
    expect([q, ...queries.map((x) => x.q)]).toEqual(['Boris "Petrov payment" -leak', 'Boris -leak', '"Petrov payment" -leak']);
    const filter = meiliFilter(tenant, { projectIds: [project] });
    for (const x of [first, ...queries]) expect(x).toMatchObject({ matchingStrategy: 'all', limit: 10, offset: 0, filter });
    for (const x of queries) expect(x).toMatchObject({ indexUid: uid });
  });

  it('filters every read and delete in the shared index by tenant, and searches with the project scope when asked', async () => {
    const { client, calls } = recordingClient();
    const index = createMeilisearchTextIndex({ client });
    await index.search(tenant, 'leak', { limit: 5, projectIds: [project] });
    await index.deleteDocument(tenant, documentId);
    await index.snapshot(tenant);
    await index.dropTenant(tenant);
    expect(calls.map((c) => [c.uid, c.method])).toEqual([
      [uid, 'search'],
      [uid, 'deleteDocuments'],
      [uid, 'getDocuments'],
      [uid, 'deleteDocuments'],
      [legacyTenantIndexUid(tenant), 'deleteIndex'],
    ]);
    expect(calls[0]?.args[1]).toMatchObject({ filter: meiliFilter(tenant, { projectIds: [project] }), limit: 5, offset: 0 });
    expect(calls[1]?.args[0]).toEqual({ filter: documentFilter });
    expect(calls[2]?.args[0]).toMatchObject({ filter: meiliFilter(tenant) });
    expect(calls[3]?.args[0]).toEqual({ filter: meiliFilter(tenant) });
  });

  it('relinks a document with one read of its entry keys and one batched partial update', async () => {
    const keys = [randomUUID(), randomUUID(), randomUUID()].map((id) => meiliKey(tenant, id));
    const { client, calls } = recordingClient(keys);
    await createMeilisearchTextIndex({ client }).setDocumentProjects(tenant, documentId, [project]);
    expect(calls.map((c) => c.method)).toEqual(['getDocuments', 'updateDocuments']);
    expect(calls[0]?.args[0]).toMatchObject({ filter: documentFilter, fields: ['key'] });
    expect(calls[1]?.args[0]).toEqual(keys.map((key) => ({ key, project_ids: [project] })));
  });

  it('relinks a document of 10,000 entries with one read and one update, larger ones per 10,000, never reading an empty page', async () => {
    const keysOf = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => meiliKey(tenant, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    for (const [n, keyBatchSize, reads] of [
      [10_000, undefined, 1],
      [8, 4, 2],
      [10, 4, 3],
    ] as const) {
      const { client, calls } = recordingClient(keysOf(n));
      await createMeilisearchTextIndex({ client, ...(keyBatchSize ? { keyBatchSize } : {}) }).setDocumentProjects(tenant, documentId, [
        project,
      ]);
      expect(calls.map((c) => c.method)).toEqual([
        ...Array<string>(reads).fill('getDocuments'),
        ...Array<string>(reads).fill('updateDocuments'),
      ]);
      expect(calls.filter((c) => c.method === 'updateDocuments').flatMap((c) => c.args[0] as unknown[])).toHaveLength(n);
    }
  });

  it('relinks with a single filtered edit when the function feature is on', async () => {
    const { client, calls } = recordingClient();
    await createMeilisearchTextIndex({ client, editByFunction: true }).setDocumentProjects(tenant, documentId, [project]);
    expect(calls).toEqual([
      {
        uid,
        method: 'updateDocumentsByFunction',
        args: [
          {
            function: 'doc.project_ids = context.project_ids',
            filter: documentFilter,
            context: { project_ids: [project] },
          },
        ],
      },
    ]);
  });

  it('sends nothing for an empty query or an empty project scope', async () => {
    const { client, calls } = recordingClient();
    const index = createMeilisearchTextIndex({ client });
    expect(await index.search(tenant, '  ', { limit: 5 })).toEqual([]);
    expect(await index.search(tenant, 'leak', { limit: 5, projectIds: [] })).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('creates the index with its settings before the first write', async () => {
    const { client, calls } = recordingClient();
    const index = createMeilisearchTextIndex({ client });
    const doc = {
      id: randomUUID(),
      document_id: documentId,
      title: 't',
      content: 'c',
      project_ids: [],
      document_type: 'txt',
      entity_names: [],
      created_at: '2024-01-01T00:00:00Z',
    };
    await index.upsert(tenant, [doc]);
    await index.upsert(tenant, [doc]);
    expect(calls.map((c) => c.method)).toEqual(['createIndex', 'updateSettings', 'addDocuments', 'addDocuments']);
    expect(calls[0]?.args).toEqual([{ primaryKey: 'key' }]);
    expect(calls[2]?.args[0]).toEqual([{ key: meiliKey(tenant, doc.id), ...doc, tenant_id: tenant, created_at: 1704067200 }]);
  });
});
