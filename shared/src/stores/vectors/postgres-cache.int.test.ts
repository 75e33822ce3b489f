import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../db/connect.ts';
import type { Sql } from '../../db/connect.ts';
import { postgresUrls } from '../../testing/backends.ts';
import type { EmbeddingModel, VectorIndex, VectorPoint } from './port.ts';
import { createPostgresVectorIndex } from './postgres.ts';
import { describeVectorIndex } from './vector-index.contract.ts';

const pg = postgresUrls();

describe.skipIf(!pg)('Postgres vector index: cached and streaming paths', () => {
  const pools: Sql[] = [];
  const pool = (max = 4): Sql => {
    const sql = createSql(pg?.appUrl ?? '', { max });
    pools.push(sql);
    return sql;
  };
  afterAll(async () => {
    for (const p of pools) await p.end();
  });

  // the streaming path on its own (cache off), and a budget too small for any collection
  describeVectorIndex('postgres, streaming', () => createPostgresVectorIndex({ sql: pool(), batchSize: 3, cacheBytes: 0 }));
  describeVectorIndex('postgres, cache over budget', () => createPostgresVectorIndex({ sql: pool(), cacheBytes: 1 }));

  const model: EmbeddingModel = { id: 'cache-check', dimension: 3 };
  const point = (tenant: string, vector: number[], document_id = randomUUID(), project_ids: string[] = []): VectorPoint => ({
    id: randomUUID(),
    vector,
    payload: {
      tenant_id: tenant,
      document_id,
      project_ids,
      chunk_index: 0,
      document_type: 'pdf',
      created_at: '2024-01-01T00:00:00.000Z',
      entity_names: [],
    },
  });
  const ids = (hits: Array<{ id: string }>): string[] => hits.map((h) => h.id);
  /** a writer and a reader in "two processes": separate indexes, separate pools, separate caches */
  const twoProcesses = (): { writer: VectorIndex; reader: VectorIndex } => ({
    writer: createPostgresVectorIndex({ sql: pool(2) }),
    reader: createPostgresVectorIndex({ sql: pool(2) }),
  });

  it('a cached reader sees upserts, project moves and deletions made through another index', async () => {
    const { writer, reader } = twoProcesses();
    const t = randomUUID();
    const [pa, pb] = [randomUUID(), randomUUID()];
    const doc = randomUUID();
    await writer.ensureCollection(t, model);
    const a = point(t, [1, 0, 0], doc, [pa]);
    await writer.upsert(t, model, [a]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { projectIds: [pa], limit: 5 }))).toEqual([a.id]);

    const b = point(t, [1, 0.1, 0], randomUUID(), [pa]);
    await writer.upsert(t, model, [b]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { projectIds: [pa], limit: 5 }))).toEqual([a.id, b.id]);

    await writer.setDocumentProjects(t, model, doc, [pb]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { projectIds: [pa], limit: 5 }))).toEqual([b.id]);
    const moved = await reader.search(t, model, [1, 0, 0], { projectIds: [pb], limit: 5 });
    expect(moved[0]?.payload.project_ids).toEqual([pb]);

    await writer.deleteDocument(t, model, doc);
    expect(ids(await reader.search(t, model, [1, 0, 0], { limit: 5 }))).toEqual([b.id]);

    // the deleted id written again comes back
    await writer.upsert(t, model, [a]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { limit: 5 }))).toEqual([a.id, b.id]);
    await writer.dropTenant(t);
  });

  it('a cached reader finds nothing once the tenant is dropped, and only the new points once it is re-created', async () => {
    const { writer, reader } = twoProcesses();
    const t = randomUUID();
    await writer.ensureCollection(t, model);
    const old = point(t, [1, 0, 0]);
    await writer.upsert(t, model, [old]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { limit: 5 }))).toEqual([old.id]);
    await writer.dropTenant(t);
    expect(await reader.search(t, model, [1, 0, 0], { limit: 5 })).toEqual([]);
    await writer.ensureCollection(t, model);
    const fresh = point(t, [0, 1, 0]);
    await writer.upsert(t, model, [fresh]);
    expect(ids(await reader.search(t, model, [1, 0, 0], { limit: 5 }))).toEqual([fresh.id]);
    await writer.dropTenant(t);
  });

  it('cached and streaming searches answer alike over many points, filters and pages', async () => {
    const sql = pool(2);
    const cached = createPostgresVectorIndex({ sql });
    const streaming = createPostgresVectorIndex({ sql, cacheBytes: 0 });
    const t = randomUUID();
    const projects = [randomUUID(), randomUUID(), randomUUID()];
    await cached.ensureCollection(t, model);
    const pts = Array.from({ length: 300 }, (_, i) =>
      point(
        t,
        [Math.sin(i), Math.cos(i * 0.7), (i % 7) - 3],
        randomUUID(),
        projects.filter((_, k) => (i + k) % 3 !== 0 || i % 5 === 0),
      ),
    );
    await cached.upsert(t, model, pts);
    await cached.deleteDocument(t, model, pts[10]?.payload.document_id ?? '');
    for (const options of [
      { limit: 25 },
      { limit: 10, offset: 7 },
      { limit: 50, projectIds: [projects[0] ?? ''] },
      { limit: 50, projectIds: [projects[1] ?? '', projects[2] ?? ''] },
      { limit: 5, documentType: 'pdf', to: '2024-01-01T00:00:00Z' },
    ]) {
      for (const q of [
        [1, 0, 0],
        [0.3, -0.2, 0.9],
      ]) {
        expect(await cached.search(t, model, q, options)).toEqual(await streaming.search(t, model, q, options));
      }
    }
    await cached.dropTenant(t);
  });
  it('a cached reader answers as the stored points do after any run of writes, relinks and deletions by another index', async () => {
    const sql = pool(2);
    const writer = createPostgresVectorIndex({ sql: pool(2) });
    const reader = createPostgresVectorIndex({ sql });
    const streaming = createPostgresVectorIndex({ sql, cacheBytes: 0 });
    const projects = [randomUUID(), randomUUID(), randomUUID()];
    const documents = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const someProjects = fc.subarray(projects);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        document: fc.constantFrom(...documents),
        chunks: fc.integer({ min: 1, max: 3 }),
        projects: someProjects,
        seed: fc.integer({ min: 0, max: 1_000 }),
      }),
      fc.record({ kind: fc.constant('relink' as const), document: fc.constantFrom(...documents), projects: someProjects }),
      fc.record({
        kind: fc.constant('relinkMany' as const),
        documents: fc.array(fc.record({ documentId: fc.constantFrom(...documents), projectIds: someProjects }), { maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), document: fc.constantFrom(...documents) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        const t = randomUUID();
        await writer.ensureCollection(t, model);
        // the reader holds the collection before the writes, so it catches up rather than loads
        await reader.search(t, model, [1, 0, 0], { limit: 1 });
        for (const o of ops) {
          if (o.kind === 'upsert') {
            const chunks = Array.from({ length: o.chunks }, (_, i) => ({
              ...point(t, [Math.sin(o.seed + i), Math.cos(o.seed * 0.3 + i), 0.5], o.document, o.projects),
              id: uuidOf(o.document, i),
            }));
            await writer.upsert(t, model, chunks);
          } else if (o.kind === 'relink') await writer.setDocumentProjects(t, model, o.document, o.projects);
          else if (o.kind === 'relinkMany') await writer.setProjectsOfDocuments(t, model, o.documents);
          else await writer.deleteDocument(t, model, o.document);
          for (const scope of [undefined, [projects[0] ?? ''], [projects[1] ?? '', projects[2] ?? '']]) {
            const options = { limit: 20, ...(scope ? { projectIds: scope } : {}) };
            expect(await reader.search(t, model, [1, 0.2, 0], options)).toEqual(await streaming.search(t, model, [1, 0.2, 0], options));
          }
        }
        await writer.dropTenant(t);
      }),
      { numRuns: 25 },
    );
  });
});

/** A point id per document and chunk, so writing a chunk again replaces it. */
const uuidOf = (document: string, chunk: number): string => `${document.slice(0, 34)}${chunk.toString(16).padStart(2, '0')}`;
