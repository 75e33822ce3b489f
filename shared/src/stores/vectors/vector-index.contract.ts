import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VectorIndexInputError } from './port.ts';
import type { ChunkPayload, EmbeddingModel, VectorIndex, VectorPoint } from './port.ts';

/**
 * The behaviour every VectorIndex adapter must show. Each test works in fresh random tenants and
 * drops them afterwards, so adapters (and CI jobs) can share one server.
 */
export function describeVectorIndex(name: string, factory: () => VectorIndex | Promise<VectorIndex>): void {
  describe(`VectorIndex contract: ${name}`, () => {
    let index: VectorIndex;
    const tenants: string[] = [];
    beforeAll(async () => {
      index = await factory();
    });
    afterEach(async () => {
      for (const t of tenants.splice(0)) await index.dropTenant(t);
    });

    const model: EmbeddingModel = { id: 'contract/model-a', dimension: 3 };
    const newTenant = async (...models: EmbeddingModel[]): Promise<string> => {
      const t = randomUUID();
      tenants.push(t);
      for (const m of models.length > 0 ? models : [model]) await index.ensureCollection(t, m);
      return t;
    };
    const point = (tenant: string, vector: number[], p: Partial<ChunkPayload> = {}): VectorPoint => ({
      id: randomUUID(),
      vector,
      payload: {
        tenant_id: tenant,
        document_id: randomUUID(),
        project_ids: [],
        chunk_index: 0,
        document_type: 'pdf',
        created_at: '2024-03-01T12:00:00.000Z',
        entity_names: [],
        ...p,
      },
    });
    const ids = (hits: Array<{ id: string }>): string[] => hits.map((h) => h.id);
    const sorted = (xs: string[]): string[] => [...xs].sort();

    it('returns nearest neighbours first by cosine similarity, ignoring vector length', async () => {
      const t = await newTenant();
      const same = point(t, [10, 0, 0]);
      const near = point(t, [1, 0.2, 0]);
      const far = point(t, [0, 1, 0]);
      const opposite = point(t, [-1, 0, 0]);
      await index.upsert(t, model, [far, opposite, same, near]);
      const hits = await index.search(t, model, [1, 0, 0], { limit: 10 });
      expect(ids(hits)).toEqual([same.id, near.id, far.id, opposite.id]);
      expect(hits[0]?.score).toBeCloseTo(1, 5);
      expect(hits[2]?.score).toBeCloseTo(0, 5);
      expect(hits[3]?.score).toBeCloseTo(-1, 5);
      expect(hits[0]?.payload).toEqual(same.payload);
    });

    it('reports the cosine similarity itself as score, and leaves out points below minScore', async () => {
      const t = await newTenant();
      const close = point(t, [3, 1, 0]);
      const diagonal = point(t, [1, 1, 0]);
      const wide = point(t, [1, 4, 0]);
      const behind = point(t, [-1, 0, 0.5]);
      await index.upsert(t, model, [behind, wide, diagonal, close]);
      const q = [2, 0, 0];
      const hits = await index.search(t, model, q, { limit: 10 });
      const cosine = (v: number[]) => (v[0] ?? 0) / Math.hypot(...v);
      expect(hits.map((h) => h.id)).toEqual([close, diagonal, wide, behind].map((p) => p.id));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(cosine([close, diagonal, wide, behind][i]?.vector ?? []), 5));
      expect(ids(await index.search(t, model, q, { limit: 10, minScore: 0.5 }))).toEqual([close.id, diagonal.id]);
      expect(ids(await index.search(t, model, q, { limit: 10, offset: 1, minScore: 0.5 }))).toEqual([diagonal.id]);
      expect(ids(await index.search(t, model, q, { limit: 10, minScore: 0.99 }))).toEqual([]);
      expect(ids(await index.search(t, model, q, { limit: 10, minScore: -0.5 }))).toEqual(ids(hits.slice(0, 3)));
    });

    it('pages with limit and offset', async () => {
      const t = await newTenant();
      const pts = [0, 1, 2, 3, 4].map((i) => point(t, [1, i, 0]));
      await index.upsert(t, model, pts);
      const all = ids(await index.search(t, model, [1, 0, 0], { limit: 5 }));
      expect(all).toEqual(ids(pts));
      expect(ids(await index.search(t, model, [1, 0, 0], { limit: 2, offset: 2 }))).toEqual(all.slice(2, 4));
      expect(await index.search(t, model, [1, 0, 0], { limit: 2, offset: 5 })).toEqual([]);
    });

    it('scopes a search to any of the given projects; no scope is tenant-wide; an empty scope finds nothing', async () => {
      const t = await newTenant();
      const [pa, pb, pc] = [randomUUID(), randomUUID(), randomUUID()];
      const inA = point(t, [1, 0, 0], { project_ids: [pa] });
      const inB = point(t, [1, 0.1, 0], { project_ids: [pb] });
      const inBoth = point(t, [1, 0.2, 0], { project_ids: [pa, pb] });
      const unassigned = point(t, [1, 0.3, 0]);
      await index.upsert(t, model, [inA, inB, inBoth, unassigned]);
      const q = [1, 0, 0];
      expect(ids(await index.search(t, model, q, { projectIds: [pa], limit: 10 }))).toEqual([inA.id, inBoth.id]);
      expect(ids(await index.search(t, model, q, { projectIds: [pb, pc], limit: 10 }))).toEqual([inB.id, inBoth.id]);
      expect(ids(await index.search(t, model, q, { projectIds: [pc], limit: 10 }))).toEqual([]);
      expect(await index.search(t, model, q, { projectIds: [], limit: 10 })).toEqual([]);
      expect(ids(await index.search(t, model, q, { limit: 10 }))).toEqual([inA.id, inB.id, inBoth.id, unassigned.id]);
      expect(await index.count(t, model, { projectIds: [pa] })).toBe(2);
      expect(await index.count(t, model)).toBe(4);
    });

    it('filters by document type, inclusive date range and entity', async () => {
      const t = await newTenant();
      const a = point(t, [1, 0, 0], { document_type: 'pdf', created_at: '2024-01-01T00:00:00.000Z', entity_names: ['Acme Corp'] });
      const b = point(t, [1, 0.1, 0], {
        document_type: 'docx',
        created_at: '2024-02-01T00:00:00.000Z',
        entity_names: ['Jane Doe', 'Acme Corp'],
      });
      const c = point(t, [1, 0.2, 0], { document_type: 'pdf', created_at: '2024-03-01T00:00:00.000Z', entity_names: [] });
      await index.upsert(t, model, [a, b, c]);
      const q = [1, 0, 0];
      expect(ids(await index.search(t, model, q, { documentType: 'pdf', limit: 10 }))).toEqual([a.id, c.id]);
      expect(ids(await index.search(t, model, q, { from: '2024-02-01T00:00:00Z', to: '2024-03-01T00:00:00Z', limit: 10 }))).toEqual([
        b.id,
        c.id,
      ]);
      expect(ids(await index.search(t, model, q, { to: '2024-01-31T23:59:59Z', limit: 10 }))).toEqual([a.id]);
      expect(ids(await index.search(t, model, q, { entity: 'Acme Corp', limit: 10 }))).toEqual([a.id, b.id]);
      expect(ids(await index.search(t, model, q, { entity: 'Acme Corp', documentType: 'docx', limit: 10 }))).toEqual([b.id]);
    });

    it('setDocumentProjects moves every chunk of a document between project scopes', async () => {
      const t = await newTenant();
      const [pa, pb] = [randomUUID(), randomUUID()];
      const doc = randomUUID();
      const chunks = [0, 1, 2].map((i) => point(t, [1, i / 10, 0], { document_id: doc, chunk_index: i, project_ids: [pa] }));
      const other = point(t, [1, 0, 0.1], { project_ids: [pa] });
      await index.upsert(t, model, [...chunks, other]);

      await index.setDocumentProjects(t, model, doc, [pb]);
      expect(ids(await index.search(t, model, [1, 0, 0], { projectIds: [pa], limit: 10 }))).toEqual([other.id]);
      expect(sorted(ids(await index.search(t, model, [1, 0, 0], { projectIds: [pb], limit: 10 })))).toEqual(sorted(ids(chunks)));
      expect(await index.count(t, model, { documentId: doc, projectIds: [pb] })).toBe(3);

      await index.setDocumentProjects(t, model, doc, []);
      expect(await index.search(t, model, [1, 0, 0], { projectIds: [pb], limit: 10 })).toEqual([]);
      // unlinked chunks stay in the tenant-wide view
      expect(await index.count(t, model, { documentId: doc })).toBe(3);
      const snap = await index.snapshot(t, model);
      expect(snap.find((p) => p.id === other.id)?.payload.project_ids).toEqual([pa]);
    });

    it('setProjectsOfDocuments sets each document its own projects at once, the last entry of a document winning', async () => {
      const t = await newTenant();
      const [pa, pb, pc] = [randomUUID(), randomUUID(), randomUUID()];
      const [one, two] = [randomUUID(), randomUUID()];
      const ofOne = [0, 1].map((i) => point(t, [1, i / 10, 0], { document_id: one, chunk_index: i, project_ids: [pa] }));
      const ofTwo = [0, 1].map((i) => point(t, [1, 0, i / 10], { document_id: two, chunk_index: i, project_ids: [pa] }));
      const other = point(t, [1, 0.2, 0.2], { project_ids: [pa] });
      await index.upsert(t, model, [...ofOne, ...ofTwo, other]);

      await index.setProjectsOfDocuments(t, model, [
        { documentId: one, projectIds: [pc] },
        { documentId: two, projectIds: [pb, pc] },
        { documentId: one, projectIds: [pb] },
      ]);
      expect(ids(await index.search(t, model, [1, 0, 0], { projectIds: [pa], limit: 10 }))).toEqual([other.id]);
      expect(sorted(ids(await index.search(t, model, [1, 0, 0], { projectIds: [pb], limit: 10 })))).toEqual(
        sorted(ids([...ofOne, ...ofTwo])),
      );
      expect(sorted(ids(await index.search(t, model, [1, 0, 0], { projectIds: [pc], limit: 10 })))).toEqual(sorted(ids(ofTwo)));
      await index.setProjectsOfDocuments(t, model, []);
      expect(await index.count(t, model)).toBe(5);
      const none = randomUUID();
      expect(await index.countByDocument(t, model, [one.toUpperCase(), two, none])).toEqual(
        new Map([
          [one, 2],
          [two, 2],
        ]),
      );
    });

    it('deleteDocument removes all chunks of that document only, and again is a no-op', async () => {
      const t = await newTenant();
      const doc = randomUUID();
      const chunks = [0, 1].map((i) => point(t, [1, i, 0], { document_id: doc, chunk_index: i }));
      const keep = point(t, [1, 0, 0]);
      await index.upsert(t, model, [...chunks, keep]);
      await index.deleteDocument(t, model, doc);
      expect(ids(await index.search(t, model, [1, 0, 0], { limit: 10 }))).toEqual([keep.id]);
      await index.deleteDocument(t, model, doc);
      await index.deleteDocument(t, model, randomUUID());
      expect(await index.count(t, model)).toBe(1);
    });

    it('keeps the vectors of two models of one tenant apart, whatever their dimensions', async () => {
      const other: EmbeddingModel = { id: 'contract/model-b', dimension: 3 };
      const wide: EmbeddingModel = { id: 'contract/model-a', dimension: 5 };
      const t = await newTenant(model, other, wide);
      const doc = randomUUID();
      const a = point(t, [1, 0, 0], { document_id: doc });
      const b = point(t, [1, 0, 0], { document_id: doc });
      const w = point(t, [1, 0, 0, 0, 0], { document_id: doc });
      await index.upsert(t, model, [a]);
      await index.upsert(t, other, [b]);
      await index.upsert(t, wide, [w]);
      expect(ids(await index.search(t, model, [1, 0, 0], { limit: 10 }))).toEqual([a.id]);
      expect(ids(await index.search(t, other, [1, 0, 0], { limit: 10 }))).toEqual([b.id]);
      expect(ids(await index.search(t, wide, [1, 0, 0, 0, 0], { limit: 10 }))).toEqual([w.id]);
      await index.deleteDocument(t, other, doc);
      expect([await index.count(t, model), await index.count(t, other), await index.count(t, wide)]).toEqual([1, 0, 1]);
      await expect(index.upsert(t, model, [point(t, [1, 0, 0, 0, 0])])).rejects.toBeInstanceOf(VectorIndexInputError);
      await expect(index.search(t, model, [1, 0], { limit: 1 })).rejects.toBeInstanceOf(VectorIndexInputError);
    });

    it('never shows, changes or deletes another tenant’s points', async () => {
      const [t1, t2] = [await newTenant(), await newTenant()];
      const project = randomUUID();
      const doc = randomUUID();
      const mine = point(t1, [1, 0, 0], { document_id: doc, project_ids: [project] });
      await index.upsert(t1, model, [mine]);
      await index.upsert(t2, model, [point(t2, [0, 1, 0])]);
      expect(ids(await index.search(t2, model, [1, 0, 0], { limit: 10 }))).not.toContain(mine.id);
      // same model (one shared collection on some engines): each tenant sees exactly its own points
      expect(ids(await index.search(t1, model, [0, 1, 0], { limit: 10 }))).toEqual([mine.id]);
      expect([await index.count(t1, model), await index.count(t2, model)]).toEqual([1, 1]);
      expect(await index.search(t2, model, [1, 0, 0], { projectIds: [project], limit: 10 })).toEqual([]);
      await expect(index.upsert(t2, model, [point(t1, [1, 0, 0])])).rejects.toBeInstanceOf(VectorIndexInputError);
      await index.setDocumentProjects(t2, model, doc, []);
      await index.deleteDocument(t2, model, doc);
      await index.dropTenant(t2);
      expect(await index.snapshot(t1, model)).toHaveLength(1);
      expect((await index.snapshot(t1, model))[0]?.payload).toEqual(mine.payload);
      expect(await index.count(t2, model)).toBe(0);
    });

    it('keeps two tenants apart even with equal point ids and documents', async () => {
      const [t1, t2] = [await newTenant(), await newTenant()];
      const [id, doc] = [randomUUID(), randomUUID()];
      const first = { ...point(t1, [1, 0, 0], { document_id: doc }), id };
      const second = { ...point(t2, [0, 1, 0], { document_id: doc, document_type: 'docx' }), id };
      await index.upsert(t1, model, [first]);
      await index.upsert(t2, model, [second]);
      expect((await index.search(t1, model, [1, 0, 0], { limit: 10 })).map((h) => [h.id, h.payload.document_type])).toEqual([[id, 'pdf']]);
      expect((await index.search(t2, model, [1, 0, 0], { limit: 10 })).map((h) => [h.id, h.payload.document_type])).toEqual([[id, 'docx']]);
      await index.deleteDocument(t2, model, doc);
      expect(await index.snapshot(t1, model)).toEqual([first]);
      expect(await index.count(t2, model)).toBe(0);
    });

    it('treats a repeated upsert as one write and a changed one as a replacement', async () => {
      const t = await newTenant();
      const pts = [point(t, [3, 4, 0]), point(t, [0, 0, 2], { entity_names: ['X'] })];
      await index.upsert(t, model, pts);
      const first = await index.snapshot(t, model);
      await index.upsert(t, model, pts);
      expect(await index.snapshot(t, model)).toEqual(first);
      const [p0] = pts;
      if (!p0) throw new Error('unreachable');
      await index.upsert(t, model, [{ ...p0, vector: [0, 1, 0], payload: { ...p0.payload, chunk_index: 7 } }]);
      const snap = await index.snapshot(t, model);
      expect(snap).toHaveLength(2);
      const changed = snap.find((p) => p.id === p0.id);
      expect(changed?.payload.chunk_index).toBe(7);
      expect(changed?.vector.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 1, 0]);
    });

    it('snapshots points sorted by id with unit vectors and canonical dates', async () => {
      const t = await newTenant();
      const pts = [point(t, [3, 4, 0], { created_at: '2024-05-06T07:08:09Z' }), point(t, [0, 0, 2])];
      await index.upsert(t, model, pts);
      const snap = await index.snapshot(t, model);
      expect(ids(snap)).toEqual(sorted(ids(pts)));
      const byId = new Map(snap.map((p) => [p.id, p]));
      const v = byId.get(pts[0]?.id ?? '')?.vector ?? [];
      expect(v[0]).toBeCloseTo(0.6, 6);
      expect(v[1]).toBeCloseTo(0.8, 6);
      expect(byId.get(pts[0]?.id ?? '')?.payload.created_at).toBe('2024-05-06T07:08:09.000Z');
    });

    it('refuses points for a collection never ensured, and finds nothing there', async () => {
      const t = await newTenant();
      const unknown: EmbeddingModel = { id: 'contract/never-ensured', dimension: 3 };
      await expect(index.upsert(t, unknown, [point(t, [1, 0, 0])])).rejects.toThrow();
      expect(await index.search(t, unknown, [1, 0, 0], { limit: 5 })).toEqual([]);
      expect(await index.count(t, unknown)).toBe(0);
      expect(await index.snapshot(t, unknown)).toEqual([]);
      await index.setDocumentProjects(t, unknown, randomUUID(), []);
      await index.deleteDocument(t, unknown, randomUUID());
    });

    it('dropTenant removes every collection of the tenant', async () => {
      const other: EmbeddingModel = { id: 'contract/model-b', dimension: 4 };
      const t = await newTenant(model, other);
      await index.upsert(t, model, [point(t, [1, 0, 0])]);
      await index.upsert(t, other, [point(t, [1, 0, 0, 0])]);
      await index.dropTenant(t);
      expect(await index.count(t, model)).toBe(0);
      expect(await index.search(t, other, [1, 0, 0, 0], { limit: 5 })).toEqual([]);
      await index.dropTenant(t);
    });
  });
}
