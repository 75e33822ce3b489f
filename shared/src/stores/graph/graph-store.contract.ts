import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSnapshot, GraphStore } from './port.ts';
import { SETTLE_MS } from '../../testing/eventually.ts';

/**
 * The behaviour every GraphStore adapter must show. Each test works in its own random tenant
 * (dropped afterwards), so adapters and CI jobs can share one server; ids inside a tenant are
 * random too, and some tests deliberately reuse one tenant's ids in another.
 */
export interface GraphStoreContractOptions {
  /** per test; default 30 s */
  timeoutMs?: number;
  /** for the factory, e.g. a server built and started on first use; default: the runner's hook timeout */
  setupTimeoutMs?: number;
}

export function describeGraphStore(name: string, factory: () => Promise<GraphStore>, options: GraphStoreContractOptions = {}): void {
  describe(`GraphStore contract: ${name}`, { timeout: options.timeoutMs ?? 2 * SETTLE_MS }, () => {
    let store: GraphStore;
    const tenants: string[] = [];
    beforeAll(async () => {
      store = await factory();
      await store.init();
    }, options.setupTimeoutMs);
    afterEach(async () => {
      for (const t of tenants.splice(0)) await store.dropTenant(t);
    });
    afterAll(async () => {
      await store?.close();
    });

    const tenant = (): string => {
      const t = randomUUID();
      tenants.push(t);
      return t;
    };
    const ids = (n: number): string[] => Array.from({ length: n }, () => randomUUID());
    const mention = (entity_id: string, name: string, count = 1, type = 'person') => ({ entity_id, name, type, count });

    /** APPEARS_IN_PROJECT must equal what mentions and links imply, after every write. */
    async function exactSnapshot(t: string): Promise<GraphSnapshot> {
      const s = await store.snapshot(t);
      const expected = new Map<string, { entity_id: string; project_id: string; mentions: number; documents: number }>();
      for (const m of s.mentions) {
        for (const l of s.links.filter((x) => x.document_id === m.document_id)) {
          const k = `${m.entity_id}|${l.project_id}`;
          const a = expected.get(k) ?? { entity_id: m.entity_id, project_id: l.project_id, mentions: 0, documents: 0 };
          expected.set(k, { ...a, mentions: a.mentions + m.count, documents: a.documents + 1 });
        }
      }
      const sorted = [...expected.values()].sort((x, y) => (x.entity_id + x.project_id < y.entity_id + y.project_id ? -1 : 1));
      expect(s.appearances).toEqual(sorted);
      return s;
    }

    it('makes an entity appear in a project once a document that mentions it is linked, in either order', async () => {
      const t = tenant();
      const [p, d1, d2, e1, e2] = ids(5) as [string, string, string, string, string];
      await store.upsertDocuments(t, [
        { id: d1, title: 'one' },
        { id: d2, title: 'two' },
      ]);
      await store.upsertMentions(t, d1, [mention(e1, 'Ada Lovelace', 3)]);
      await store.linkDocuments(t, p, [d1, d2]);
      await store.upsertMentions(t, d2, [mention(e2, 'Acme', 2, 'organisation'), mention(e1, 'ada  LOVELACE', 1)]);
      expect(await store.entitiesInProject(t, p)).toEqual([
        { id: e1, name: 'Ada Lovelace', type: 'person', mentions: 4, documents: 2 },
        { id: e2, name: 'Acme', type: 'organisation', mentions: 2, documents: 1 },
      ]);
      expect(await store.projectsOfEntity(t, e1)).toEqual([{ project_id: p, mentions: 4, documents: 2 }]);
      const s = await exactSnapshot(t);
      expect(s.entities.map((e) => e.id).sort()).toEqual([e1, e2].sort());
    });

    it('keeps an entity in a project while another linked document mentions it, and removes it with the last', async () => {
      const t = tenant();
      const [p, q, d1, d2, e] = ids(5) as [string, string, string, string, string];
      await store.upsertMentions(t, d1, [mention(e, 'Grace Hopper', 2)]);
      await store.upsertMentions(t, d2, [mention(e, 'Grace Hopper', 5)]);
      await store.linkDocuments(t, p, [d1, d2]);
      await store.linkDocuments(t, q, [d2]);
      await store.unlinkDocuments(t, p, [d1]);
      expect(await store.projectsOfEntity(t, e)).toEqual(
        [
          { project_id: p, mentions: 5, documents: 1 },
          { project_id: q, mentions: 5, documents: 1 },
        ].sort((x, y) => (x.project_id < y.project_id ? -1 : 1)),
      );
      await exactSnapshot(t);
      await store.unlinkDocuments(t, p, [d2]);
      expect(await store.entitiesInProject(t, p)).toEqual([]);
      expect(await store.projectsOfEntity(t, e)).toEqual([{ project_id: q, mentions: 5, documents: 1 }]);
      await store.upsertMentions(t, d2, [], { replace: true });
      expect(await store.projectsOfEntity(t, e)).toEqual([]);
      await exactSnapshot(t);
    });

    it('removes a deleted document from every project, mention, relation and appearance, keeping its entities', async () => {
      const t = tenant();
      const [p, d1, d2, e1, e2] = ids(5) as [string, string, string, string, string];
      await store.upsertDocuments(t, [
        { id: d1, title: 'gone' },
        { id: d2, title: 'kept' },
      ]);
      await store.linkDocuments(t, p, [d1, d2]);
      await store.upsertMentions(t, d1, [mention(e1, 'Alan Turing'), mention(e2, 'Bletchley Park', 1, 'place')]);
      await store.upsertMentions(t, d2, [mention(e2, 'Bletchley Park', 1, 'place')]);
      await store.upsertRelations(t, [{ from_entity_id: e1, to_entity_id: e2, document_id: d1, confidence: 0.8 }]);
      await store.deleteDocuments(t, [d1]);
      const s = await exactSnapshot(t);
      expect(s.documents).toEqual([{ id: d2, title: 'kept' }]);
      expect(s.links).toEqual([{ document_id: d2, project_id: p }]);
      expect(s.mentions).toEqual([{ entity_id: e2, document_id: d2, count: 1 }]);
      expect(s.relations).toEqual([]);
      expect(s.entities.map((e) => e.id).sort()).toEqual([e1, e2].sort());
      expect((await store.entitiesInProject(t, p)).map((e) => e.id)).toEqual([e2]);
    });

    it('changeLinks and upsertMentionsOfDocuments end as the same calls one at a time, in order', async () => {
      const [one, each] = [tenant(), tenant()];
      const [p, q, d1, d2, d3, e1, e2, e3] = ids(8) as [string, string, string, string, string, string, string, string];
      const docs = [
        // d2 names e2's entity first, d3 then resolves to it by name; d1 comes twice, its second list replaces the first
        { documentId: d1, mentions: [mention(e1, 'Ada Lovelace', 2), mention(e3, 'Grace', 1)] },
        { documentId: d2, mentions: [mention(e2, 'Acme', 2, 'organisation')] },
        { documentId: d3, mentions: [mention(e3, 'ACME', 1, 'organisation'), mention(e1, 'ada lovelace', 1)] },
        { documentId: d1, mentions: [mention(e1, 'Ada Lovelace', 4)] },
      ];
      const changes = [
        { projectId: p, linked: [d1, d2], unlinked: [] },
        { projectId: q, linked: [d3], unlinked: [d1] },
        { projectId: p, linked: [], unlinked: [d2] },
        { projectId: p, linked: [d2, d3], unlinked: [d1] },
      ];
      for (const t of [one, each]) await store.linkDocuments(t, q, [d1]);
      await store.upsertMentionsOfDocuments(one, docs, { replace: true });
      await store.changeLinks(one, changes);
      for (const d of docs) await store.upsertMentions(each, d.documentId, d.mentions, { replace: true });
      for (const c of changes) {
        await store.linkDocuments(each, c.projectId, c.linked);
        await store.unlinkDocuments(each, c.projectId, c.unlinked);
      }
      expect(await exactSnapshot(one)).toEqual(await exactSnapshot(each));
      expect((await store.snapshot(one)).links.length).toBeGreaterThan(0);
    });

    it('leaves the same snapshot when every write is applied twice', async () => {
      const [once, twice] = [tenant(), tenant()];
      const [p, q, d1, d2, d3, e1, e2, e3] = ids(8) as [string, string, string, string, string, string, string, string];
      const writes: Array<(t: string) => Promise<unknown>> = [
        (t) =>
          store.upsertDocuments(t, [
            { id: d1, title: 'a' },
            { id: d2, title: null },
            { id: d3, title: 'c' },
          ]),
        (t) => store.linkDocuments(t, p, [d1, d2, d3]),
        (t) => store.linkDocuments(t, q, [d2]),
        (t) => store.upsertMentions(t, d1, [mention(e1, 'Mata Hari', 2), mention(e2, 'Paris', 1, 'place')]),
        (t) => store.upsertMentions(t, d2, [mention(e1, 'MATA HARI', 1), mention(e3, 'Berlin', 4, 'place')]),
        (t) => store.upsertMentions(t, d3, [mention(e3, 'Berlin', 1, 'place')], { replace: true }),
        (t) =>
          store.upsertRelations(t, [
            { from_entity_id: e1, to_entity_id: e2, document_id: d1, confidence: 0.5 },
            { from_entity_id: e3, to_entity_id: e1, document_id: d2, confidence: 0.7 },
          ]),
        (t) => store.mergeEntities(t, e2, e3),
        (t) => store.unlinkDocuments(t, p, [d3]),
        (t) => store.deleteDocuments(t, [d1]),
        (t) => store.deleteProject(t, q),
      ];
      for (const w of writes) {
        await w(once);
        await w(twice);
        await w(twice);
        expect(await exactSnapshot(twice)).toEqual(await exactSnapshot(once));
      }
      expect((await store.snapshot(once)).entities.length).toBe(2);
    });

    it('keeps every appearance what mentions and links imply through any sequence of writes (property)', async () => {
      // a small world, so writes meet each other: names repeat across entity ids (one entity),
      // documents are linked, unlinked, re-mentioned and deleted, entities merged, projects deleted
      const [projects, docs, entityIds] = [ids(3), ids(4), ids(5)];
      const names: Array<[string, string]> = [
        ['Ada Lovelace', 'person'],
        ['ada lovelace', 'person'],
        ['Acme', 'organisation'],
        ['Paris', 'place'],
        ['Berlin', 'place'],
      ];
      const pick = <T>(xs: T[]) => fc.constantFrom(...xs);
      const someDocs = fc.subarray(docs, { minLength: 1 });
      const mentions = fc.array(
        fc.record({ entity: fc.nat({ max: 4 }), name: fc.nat({ max: 4 }), count: fc.integer({ min: 1, max: 3 }) }),
        { minLength: 1, maxLength: 4 },
      );
      const asMentions = (ms: Array<{ entity: number; name: number; count: number }>) =>
        ms.map((m) => {
          const [name, type] = names[m.name] ?? ['x', 'person'];
          return mention(entityIds[m.entity] ?? '', name, m.count, type);
        });
      type Write = (t: string) => Promise<unknown>;
      const write: fc.Arbitrary<Write> = fc.oneof(
        fc.tuple(pick(projects), someDocs).map(
          ([p, ds]): Write =>
            (t) =>
              store.linkDocuments(t, p, ds),
        ),
        fc.tuple(pick(projects), someDocs).map(
          ([p, ds]): Write =>
            (t) =>
              store.unlinkDocuments(t, p, ds),
        ),
        fc
          .array(fc.record({ projectId: pick(projects), linked: fc.subarray(docs), unlinked: fc.subarray(docs) }), {
            minLength: 1,
            maxLength: 3,
          })
          .map(
            (changes): Write =>
              (t) =>
                store.changeLinks(t, changes),
          ),
        fc.tuple(pick(docs), mentions, fc.boolean()).map(
          ([d, ms, replace]): Write =>
            (t) =>
              store.upsertMentions(t, d, asMentions(ms), { replace }),
        ),
        fc.tuple(fc.array(fc.record({ documentId: pick(docs), ms: mentions }), { minLength: 1, maxLength: 3 }), fc.boolean()).map(
          ([list, replace]): Write =>
            (t) =>
              store.upsertMentionsOfDocuments(
                t,
                list.map((x) => ({ documentId: x.documentId, mentions: asMentions(x.ms) })),
                { replace },
              ),
        ),
        someDocs.map(
          (ds): Write =>
            (t) =>
              store.deleteDocuments(t, ds),
        ),
        fc.tuple(pick(entityIds), pick(entityIds)).map(
          ([a, b]): Write =>
            (t) =>
              store.mergeEntities(t, a, b),
        ),
        pick(projects).map(
          (p): Write =>
            (t) =>
              store.deleteProject(t, p),
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          // every run starts from documents that mention entities and are linked to projects
          fc.tuple(fc.array(mentions, { minLength: docs.length, maxLength: docs.length }), fc.subarray(projects, { minLength: 1 })),
          fc.array(write, { minLength: 1, maxLength: 10 }),
          async ([start, linkedTo], writes) => {
            const t = randomUUID();
            try {
              await store.upsertMentionsOfDocuments(
                t,
                docs.map((documentId, i) => ({ documentId, mentions: asMentions(start[i] ?? []) })),
              );
              for (const p of linkedTo) await store.linkDocuments(t, p, docs);
              await exactSnapshot(t);
              for (const w of writes) {
                await w(t);
                await exactSnapshot(t);
              }
            } finally {
              await store.dropTenant(t);
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('merges an entity into another: aliases kept, mentions, projects and relations follow the survivor', async () => {
      const t = tenant();
      const [p1, p2, d1, d2, from, into, x] = ids(7) as [string, string, string, string, string, string, string];
      await store.linkDocuments(t, p1, [d1]);
      await store.linkDocuments(t, p2, [d2]);
      await store.upsertMentions(t, d1, [
        mention(from, 'Acme Corp', 2, 'org'),
        mention(into, 'ACME Corporation', 1, 'org'),
        mention(x, 'Zurich', 1, 'place'),
      ]);
      await store.upsertMentions(t, d2, [mention(from, 'Acme Corp', 3, 'org'), mention(x, 'Zurich', 1, 'place')]);
      await store.upsertRelations(t, [
        { from_entity_id: from, to_entity_id: x, document_id: d1, confidence: 0.9 },
        { from_entity_id: into, to_entity_id: x, document_id: d1, confidence: 0.4 },
        { from_entity_id: from, to_entity_id: x, document_id: d2, confidence: 0.6 },
        { from_entity_id: from, to_entity_id: into, document_id: d1, confidence: 0.3 },
      ]);
      expect(await store.mergeEntities(t, from, into)).toBe(true);
      const s = await exactSnapshot(t);
      const survivor = s.entities.find((e) => e.id === into);
      expect(survivor).toEqual({
        id: into,
        name: 'ACME Corporation',
        type: 'org',
        aliases: ['ACME Corporation', 'Acme Corp'],
        ids: [from, into].sort(),
      });
      expect(s.entities.some((e) => e.id === from)).toBe(false);
      expect(s.mentions.filter((m) => m.entity_id === into)).toEqual(
        [
          { entity_id: into, document_id: d1, count: 3 },
          { entity_id: into, document_id: d2, count: 3 },
        ].sort((a, b) => (a.document_id < b.document_id ? -1 : 1)),
      );
      expect((await store.projectsOfEntity(t, into)).map((p) => p.project_id).sort()).toEqual([p1, p2].sort());
      expect(await store.projectsOfEntity(t, from)).toEqual([]);
      const edge = (await store.neighbourhood(t, into)).edges;
      expect(edge).toEqual([{ a: [into, x].sort()[0], b: [into, x].sort()[1], confidence: 0.9, documents: 2 }]);
      // a replay changes nothing; later mentions by the old name or the old id reach the survivor
      expect(await store.mergeEntities(t, from, into)).toBe(false);
      expect(await store.snapshot(t)).toEqual(s);
      await store.upsertMentions(t, d2, [mention(randomUUID(), 'acme corp', 1, 'org'), mention(from, 'Acme Holdings', 1, 'org')]);
      const after = await exactSnapshot(t);
      expect(after.entities.map((e) => e.id).sort()).toEqual([into, x].sort());
      expect(after.mentions.find((m) => m.entity_id === into && m.document_id === d2)?.count).toBe(2);
    });

    it('ranks cross-project entities by projects shared, then mentions, then id', async () => {
      const t = tenant();
      const [p1, p2, p3, d1, d2, d3, a, b, c, d] = ids(10) as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      await store.upsertMentions(t, d1, [mention(a, 'A'), mention(b, 'B', 5), mention(c, 'C', 9), mention(d, 'D', 9)]);
      await store.upsertMentions(t, d2, [mention(a, 'A'), mention(b, 'B', 5), mention(d, 'D', 9)]);
      await store.upsertMentions(t, d3, [mention(a, 'A')]);
      for (const [p, doc] of [
        [p1, d1],
        [p2, d2],
        [p3, d3],
      ] as const)
        await store.linkDocuments(t, p, [doc]);
      const ranked = await store.crossProjectEntities(t);
      expect(ranked.map((e) => e.id)).toEqual([a, d, b]);
      expect(ranked[0]).toEqual({ id: a, name: 'A', type: 'person', project_ids: [p1, p2, p3].sort(), mentions: 3 });
      expect((await store.crossProjectEntities(t, { minProjects: 3 })).map((e) => e.id)).toEqual([a]);
      expect(await store.crossProjectEntities(t, { limit: 1 })).toHaveLength(1);
    });

    it('bounds a neighbourhood by depth and limit, strongest links first, optionally within one project', async () => {
      const t = tenant();
      const [p, doc, other, center, ...rest] = ids(16) as [string, string, string, string, ...string[]];
      const ring = rest.slice(0, 6);
      const outer = rest.slice(6);
      await store.upsertMentions(
        t,
        doc,
        [center, ...rest].map((e, i) => mention(e, `E${i}`)),
      );
      await store.upsertDocuments(t, [{ id: other, title: null }]);
      await store.linkDocuments(t, p, [doc]);
      await store.upsertRelations(t, [
        ...ring.map((e, i) => ({ from_entity_id: center, to_entity_id: e, document_id: doc, confidence: (i + 1) / 10 })),
        ...outer.map((e, i) => ({ from_entity_id: ring[i % ring.length] ?? center, to_entity_id: e, document_id: doc, confidence: 0.5 })),
        { from_entity_id: center, to_entity_id: outer[0] ?? center, document_id: other, confidence: 1 },
      ]);
      const one = await store.neighbourhood(t, center, { depth: 1, limit: 4 });
      expect(one.nodes.map((n) => [n.id, n.depth])).toEqual([
        [center, 0],
        [outer[0], 1],
        [ring[5], 1],
        [ring[4], 1],
      ]);
      expect(one.edges.every((e) => [e.a, e.b].every((id) => one.nodes.some((n) => n.id === id)))).toBe(true);
      const scoped = await store.neighbourhood(t, center, { depth: 1, limit: 4, projectId: p });
      expect(scoped.nodes.map((n) => n.id)).toEqual([center, ring[5], ring[4], ring[3]]);
      const two = await store.neighbourhood(t, center, { depth: 2, limit: 100 });
      expect(two.nodes).toHaveLength(16 - 3);
      expect(two.nodes.filter((n) => n.depth === 2)).toHaveLength(outer.length - 1);
      expect(two.edges).toHaveLength(ring.length + outer.length + 1);
      expect((await store.neighbourhood(t, center, { depth: 9, limit: 3 })).nodes).toHaveLength(3);
      expect(await store.neighbourhood(t, randomUUID())).toEqual({ nodes: [], edges: [] });
    });

    it('searches entities by any name, ignoring case and accents, by type, within projects or tenant-wide, paginated', async () => {
      const t = tenant();
      const [p, q, d1, d2, d3, maria, acme, panama, other] = ids(9) as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      await store.upsertMentions(t, d1, [
        mention(maria, 'María González', 3),
        mention(acme, 'Acme Holdings', 2, 'organisation'),
        mention(panama, 'Panama', 1, 'place'),
      ]);
      await store.upsertMentions(t, d2, [
        mention(acme, 'Acme Holdings', 5, 'organisation'),
        mention(other, 'ACME Shell Co', 1, 'organisation'),
      ]);
      await store.upsertMentions(t, d3, [mention(panama, 'Panama', 7, 'place')]); // unassigned
      await store.linkDocuments(t, p, [d1, d2]);
      await store.linkDocuments(t, q, [d2]);
      const found = async (o: Parameters<GraphStore['searchEntities']>[1]) => (await store.searchEntities(t, o)).map((e) => e.id);
      expect(await store.searchEntities(t, { projectIds: [p], query: 'gonzalez' })).toEqual([
        { id: maria, name: 'María González', type: 'person', mentions: 3, documents: 1, project_ids: [p] },
      ]);
      expect(await found({ projectIds: [p], query: 'GONZÁLEZ' })).toEqual([maria]);
      // a document in two projects of the scope counts once
      expect((await store.searchEntities(t, { projectIds: [p, q], query: 'acme h' }))[0]).toMatchObject({
        id: acme,
        mentions: 7,
        documents: 2,
        project_ids: [p, q].sort(),
      });
      expect(await found({ projectIds: [q] })).toEqual([acme, other]);
      expect(await found({ projectIds: [p], type: 'ORGANISATION' })).toEqual([acme, other]);
      expect(await found({ projectIds: [p], query: 'acme', type: 'place' })).toEqual([]);
      expect(await found({ projectIds: [] })).toEqual([]);
      // tenant-wide: every document, unassigned ones included
      expect(await found({})).toEqual([panama, acme, maria, other]);
      expect((await store.searchEntities(t, { query: 'panama' }))[0]).toMatchObject({ mentions: 8, documents: 2, project_ids: [p] });
      expect(await found({ limit: 2, offset: 1 })).toEqual([acme, maria]);
      // a merged-away name still finds the survivor
      await store.mergeEntities(t, other, acme);
      expect(await found({ projectIds: [q], query: 'shell' })).toEqual([acme]);
    });

    it('gets one entity with its aliases and ids, resolving a merged-away id to its survivor', async () => {
      const [t, u] = [tenant(), tenant()];
      const [d, from, into] = ids(3) as [string, string, string];
      await store.upsertMentions(t, d, [mention(from, 'Acme Corp', 1, 'org'), mention(into, 'Acme Holdings', 1, 'org')]);
      expect(await store.entity(t, from)).toEqual({ id: from, name: 'Acme Corp', type: 'org', aliases: ['Acme Corp'], ids: [from] });
      await store.mergeEntities(t, from, into);
      const survivor = { id: into, name: 'Acme Holdings', type: 'org', aliases: ['Acme Corp', 'Acme Holdings'], ids: [from, into].sort() };
      expect(await store.entity(t, into)).toEqual(survivor);
      expect(await store.entity(t, from.toUpperCase())).toEqual(survivor);
      expect(await store.entity(t, randomUUID())).toBeNull();
      expect(await store.entity(u, into)).toBeNull();
    });

    it('draws the graph of a scope: its most mentioned entities and the relations among them evidenced there, bounded', async () => {
      const t = tenant();
      const [p, q, d1, d2, a, b, c] = ids(7) as [string, string, string, string, string, string, string];
      await store.upsertMentions(t, d1, [mention(a, 'A', 5), mention(b, 'B', 3), mention(c, 'C', 1)]);
      await store.upsertMentions(t, d2, [mention(b, 'B', 1), mention(c, 'C', 9)]);
      await store.linkDocuments(t, p, [d1]);
      await store.linkDocuments(t, q, [d2]);
      await store.upsertRelations(t, [
        { from_entity_id: a, to_entity_id: b, document_id: d1, confidence: 0.8 },
        { from_entity_id: b, to_entity_id: c, document_id: d2, confidence: 0.6 },
      ]);
      const pair = (x: string, y: string) => (x < y ? { a: x, b: y } : { a: y, b: x });
      expect(await store.graph(t, { projectIds: [p] })).toEqual({
        entities: [
          { id: a, name: 'A', type: 'person', mentions: 5 },
          { id: b, name: 'B', type: 'person', mentions: 3 },
          { id: c, name: 'C', type: 'person', mentions: 1 },
        ],
        edges: [{ ...pair(a, b), confidence: 0.8, documents: 1 }],
        truncated: false,
      });
      const all = await store.graph(t);
      expect(all.entities.map((e) => e.id)).toEqual([c, a, b]);
      expect(all.edges).toHaveLength(2);
      const cut = await store.graph(t, { limit: 2 });
      expect(cut).toMatchObject({ entities: [{ id: c }, { id: a }], edges: [], truncated: true });
      expect(await store.graph(t, { projectIds: [] })).toEqual({ entities: [], edges: [], truncated: false });
    });

    it('counts cross-project entities and walks neighbourhoods over a given set of projects only', async () => {
      const t = tenant();
      const [p1, p2, p3, d1, d2, d3, x, y] = ids(8) as [string, string, string, string, string, string, string, string];
      for (const [p, d] of [
        [p1, d1],
        [p2, d2],
        [p3, d3],
      ] as const) {
        await store.upsertMentions(t, d, [mention(x, 'X'), mention(y, 'Y')]);
        await store.linkDocuments(t, p, [d]);
      }
      await store.upsertRelations(t, [{ from_entity_id: x, to_entity_id: y, document_id: d3, confidence: 0.9 }]);
      expect((await store.crossProjectEntities(t, { projectIds: [p1, p2] })).map((e) => [e.id, e.project_ids, e.mentions])).toEqual(
        [x, y].sort().map((id) => [id, [p1, p2].sort(), 2]),
      );
      expect(await store.crossProjectEntities(t, { projectIds: [p1] })).toEqual([]);
      expect(await store.crossProjectEntities(t, { projectIds: [] })).toEqual([]);
      expect((await store.neighbourhood(t, x, { projectIds: [p1, p2] })).nodes.map((n) => n.id)).toEqual([x]);
      expect((await store.neighbourhood(t, x, { projectIds: [p1, p3] })).nodes.map((n) => n.id)).toEqual([x, y]);
      expect((await store.neighbourhood(t, x, { projectIds: [p1, p3], projectId: p1 })).nodes.map((n) => n.id)).toEqual([x]);
    });

    it('deletes a project by removing its links and appearances only', async () => {
      const t = tenant();
      const [p, q, d, e] = ids(4) as [string, string, string, string];
      await store.upsertMentions(t, d, [mention(e, 'Kept')]);
      await store.linkDocuments(t, p, [d]);
      await store.linkDocuments(t, q, [d]);
      await store.deleteProject(t, p);
      const s = await exactSnapshot(t);
      expect(s.projects).toEqual([q]);
      expect(s.documents.map((x) => x.id)).toEqual([d]);
      expect(s.appearances.map((a) => a.project_id)).toEqual([q]);
    });

    it("never shows or changes one tenant's graph through another tenant, even with its ids", async () => {
      const [a, b] = [tenant(), tenant()];
      const [p, d, e1, e2] = ids(4) as [string, string, string, string];
      await store.upsertMentions(a, d, [mention(e1, 'Secret'), mention(e2, 'Source')]);
      await store.upsertRelations(a, [{ from_entity_id: e1, to_entity_id: e2, document_id: d, confidence: 1 }]);
      await store.linkDocuments(a, p, [d]);
      const before = await store.snapshot(a);
      expect(await store.entitiesInProject(b, p)).toEqual([]);
      expect(await store.projectsOfEntity(b, e1)).toEqual([]);
      expect(await store.crossProjectEntities(b, { minProjects: 1 })).toEqual([]);
      expect(await store.searchEntities(b, { query: 'secret' })).toEqual([]);
      expect(await store.searchEntities(b, { projectIds: [p] })).toEqual([]);
      expect(await store.entity(b, e1)).toBeNull();
      expect(await store.graph(b, { projectIds: [p] })).toEqual({ entities: [], edges: [], truncated: false });
      expect(await store.neighbourhood(b, e1, { depth: 3 })).toEqual({ nodes: [], edges: [] });
      expect(await store.mergeEntities(b, e1, e2)).toBe(false);
      await store.upsertRelations(b, [{ from_entity_id: e1, to_entity_id: e2, document_id: d, confidence: 0 }]);
      await store.unlinkDocuments(b, p, [d]);
      await store.deleteDocuments(b, [d]);
      await store.deleteProject(b, p);
      await store.dropTenant(b);
      expect(await store.snapshot(a)).toEqual(before);
      expect(await store.snapshot(b)).toEqual({
        projects: [],
        documents: [],
        links: [],
        entities: [],
        mentions: [],
        appearances: [],
        relations: [],
      });
    });

    it('rejects ids that are not UUIDs and counts that are not positive integers, changing nothing', async () => {
      const t = tenant();
      await expect(store.linkDocuments(t, 'not-a-uuid', [randomUUID()])).rejects.toMatchObject({ code: 'validation.failed' });
      await expect(store.upsertMentions(t, randomUUID(), [mention(randomUUID(), 'X', 0)])).rejects.toMatchObject({
        code: 'validation.failed',
      });
      expect((await store.snapshot(t)).documents).toEqual([]);
    });
  });
}
