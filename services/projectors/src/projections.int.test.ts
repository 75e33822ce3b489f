import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentKeys } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { chunkId } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { meilisearchServer, postgresUrls } from '@mandant/shared/testing';
import { dropQdrantTestCollections, newQdrantTestTarget } from '@mandant/shared/testing';
import { qdrantTestUrl } from '@mandant/shared/testing';
import { dropMeilisearchTestIndex, newMeilisearchTestTarget } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConsistency, hasDrift, repairConsistency } from './consistency.ts';
import { documentProjections } from './index.ts';
import { isolate } from './testing/isolate.ts';
import { fakeDocuments, fakeVector } from './testing/fake-documents.ts';
import { MODEL_A, MODEL_B, applyEachEvent, applyInPages, readLog, writeScenario } from './testing/scenario.ts';
import { catchUpAll, startAll, stopAll, storesSnapshot } from './testing/snapshot.ts';
import { type TestEngines, createTestStores, newMasterKey } from './testing/stores.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const models = [MODEL_A, MODEL_B];
/** own checkpoint names per test, so no other test's projectors (nor their start-up sweep) touch its tenants */
const suffix = (): string => `t${randomUUID().slice(0, 8)}`;

describeProjections('the embedded stores (Postgres, local blobs)', {}, !pg);
// QDRANT_URL when set; else the Qdrant 1.16 the test global setup started
const qdrant = qdrantTestUrl();
describeProjections('Qdrant vectors', qdrant === null ? {} : { qdrant: newQdrantTestTarget(qdrant) }, !pg || qdrant === null);
// MEILI_URL when set; else the Meilisearch 1.21 the test global setup started
const meili = meilisearchServer();
describeProjections('Meilisearch text', meili === null ? {} : { meili: newMeilisearchTestTarget(meili) }, !pg || meili === null);

function describeProjections(name: string, engines: TestEngines, skip: boolean): void {
  describe.skipIf(skip)(`document projectors on ${name}`, () => {
    let sql: Sql;
    let events: EventStore;
    let root: string;
    let stores: Awaited<ReturnType<typeof createTestStores>>;
    let fake: ReturnType<typeof fakeDocuments>;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'mandant-projectors-'));
      sql = createSql(pg?.appUrl ?? '', { max: 8, appName: 'mandant-projectors-test' });
      events = createEventStore(sql);
      stores = await createTestStores({ appUrl: pg?.appUrl ?? '', blobRoot: root, masterKey: newMasterKey(), engines });
      fake = fakeDocuments({ events, stores });
    });
    afterAll(async () => {
      await stores?.close();
      await sql?.end();
      if (root) await rm(root, { recursive: true, force: true });
      if (engines.qdrant) await dropQdrantTestCollections(engines.qdrant);
      if (engines.meili) await dropMeilisearchTestIndex(engines.meili);
    });

    it('names the projections after their stores', () => {
      expect(Object.entries(documentProjections(stores)).map(([k, p]) => [k, p.name, p.version])).toEqual([
        ['vectors', 'vectors', 1],
        ['text', 'text', 1],
        ['graph', 'graph', 1],
        ['blobs', 'blobs', 1],
      ]);
    });

    it('projects the log into every store, and a deleted document is gone from all of them', async () => {
      const tenant = randomUUID();
      const { projects, documents } = await writeScenario(fake, tenant);
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix(), tenant), log);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);

      const snap = await storesSnapshot(stores, tenant, models);
      const a0 = snap.vectors[MODEL_A.id]?.find((p) => p.id === chunkId(documents.a, 0));
      expect(a0?.payload).toMatchObject({
        document_id: documents.a,
        project_ids: [projects.p1, projects.p2].sort(),
        chunk_index: 0,
        document_type: 'text',
        entity_names: ['Acme Ltd', 'Alice Meyer'],
      });
      // D was unlinked from p1; E lost p3 with its project; G was re-processed down to one chunk
      expect(snap.text.filter((t) => t.document_id === documents.d).map((t) => t.project_ids)).toEqual([[projects.p2]]);
      expect(snap.text.filter((t) => t.document_id === documents.e).map((t) => t.project_ids)).toEqual([[]]);
      expect(snap.text.filter((t) => t.document_id === documents.g).map((t) => [t.title, t.content])).toEqual([
        ['Draft v2', 'one and two'],
      ]);
      expect(snap.vectors[MODEL_A.id]?.filter((p) => p.payload.document_id === documents.g)).toHaveLength(1);
      expect(snap.text.find((t) => t.id === chunkId(documents.a, 1))).toMatchObject({
        title: 'Offshore ledger',
        entity_names: ['Acme Ltd'],
      });
      expect(snap.graph.documents.find((d) => d.id === documents.f)).toEqual({ id: documents.f, title: 'Never processed' });
      expect(snap.graph.projects).not.toContain(projects.p3);

      // the deleted document C: no vectors, no text, no graph node, no blobs
      expect(
        Object.values(snap.vectors)
          .flat()
          .filter((p) => p.payload.document_id === documents.c),
      ).toEqual([]);
      expect(snap.text.filter((t) => t.document_id === documents.c)).toEqual([]);
      expect(snap.graph.documents.map((d) => d.id)).not.toContain(documents.c);
      expect(snap.graph.mentions.filter((m) => m.document_id === documents.c)).toEqual([]);
      expect(snap.blobs.filter((b) => b.key.includes(documents.c))).toEqual([]);
      expect(snap.blobs.filter((b) => b.key.startsWith(documentKeys.prefix(documents.a).processed)).length).toBeGreaterThan(0);

      expect((await checkConsistency({ sql, stores, tenantId: tenant })).filter(hasDrift)).toEqual([]);
    });

    it('ends in the same stores when every event is applied twice in a row, and when the whole log is replayed twice', async () => {
      const tenant = randomUUID();
      await writeScenario(fake, tenant);
      const projections = isolate(documentProjections(stores), suffix(), tenant);
      const projectors = startAll(sql, projections, log);
      await catchUpAll(sql, projectors, tenant);
      const once = await storesSnapshot(stores, tenant, models);

      // replay: forget the checkpoints and apply the whole log again on top of the stores
      await withTenant(sql, tenant, (tx) => tx`delete from projection_checkpoints where tenant_id = ${tenant}`);
      await stopAll(projectors);
      const again = startAll(sql, projections, log);
      await catchUpAll(sql, again, tenant);
      await stopAll(again);
      expect(await storesSnapshot(stores, tenant, models)).toEqual(once);

      // every event twice in a row, from empty stores
      const history = await readLog(sql, tenant);
      for (const projection of Object.values(projections)) {
        await withTenant(sql, tenant, (tx) => projection.reset(tx, tenant));
        await applyEachEvent(sql, projection, history, 2);
      }
      expect(await storesSnapshot(stores, tenant, models)).toEqual(once);
    });

    it('ends in the same stores whether the log is applied in batches (whole log, pages of 7, of 1) or event by event', async () => {
      const tenant = randomUUID();
      const { documents } = await writeScenario(fake, tenant);
      // more link churn in one page: linked, unlinked and linked again; linked then unlinked (the project node stays)
      const [q1, q2] = [randomUUID(), randomUUID()];
      await fake.link(tenant, documents.b, q1);
      await fake.unlink(tenant, documents.b, q1);
      await fake.link(tenant, documents.b, q1);
      await fake.link(tenant, documents.a, q2);
      await fake.unlink(tenant, documents.a, q2);
      // re-processed with other entities and fewer chunks, then re-embedded
      await fake.process(tenant, documents.b, {
        title: 'Berlin memo v2',
        chunks: ['Carol Diaz in Berlin'],
        entities: [
          { name: 'Carol Diaz', type: 'person', chunks: [0] },
          { name: 'Berlin', type: 'place', chunks: [0] },
        ],
      });
      await fake.embed(tenant, documents.b, ['Carol Diaz in Berlin'], MODEL_A);
      const projections = documentProjections(stores);
      const history = await readLog(sql, tenant);
      const resetAll = async () => {
        for (const projection of Object.values(projections)) await withTenant(sql, tenant, (tx) => projection.reset(tx, tenant));
      };
      await resetAll();
      for (const projection of Object.values(projections)) await applyEachEvent(sql, projection, history, 1);
      const eachEvent = await storesSnapshot(stores, tenant, models);
      expect(eachEvent.graph.projects).toContain(q2);
      expect(eachEvent.text.filter((t) => t.document_id === documents.b).map((t) => t.title)).toEqual(['Berlin memo v2']);
      for (const pageSize of [history.length, 7, 1]) {
        await resetAll();
        for (const projection of [projections.vectors, projections.text, projections.graph])
          await applyInPages(sql, projection, history, pageSize);
        await applyEachEvent(sql, projections.blobs, history, 1);
        expect(await storesSnapshot(stores, tenant, models), `pages of ${pageSize}`).toEqual(eachEvent);
      }
    });

    it('removes an entity from a project in every store once the last document mentioning it there is unlinked', async () => {
      const tenant = randomUUID();
      const project = randomUUID();
      const other = randomUUID();
      const carol = { name: 'Carol Diaz', type: 'person' as const };
      const one = await fake.add(tenant, {
        title: 'one',
        chunks: ['Carol Diaz signs'],
        entities: [{ ...carol, chunks: [0] }],
        models: [MODEL_A],
        projectIds: [project, other],
      });
      const two = await fake.add(tenant, {
        title: 'two',
        chunks: ['Carol Diaz again'],
        entities: [{ ...carol, chunks: [0] }],
        models: [MODEL_A],
        projectIds: [project],
      });
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix(), tenant), log);
      await catchUpAll(sql, projectors, tenant);
      const appearances = async () => (await stores.graph.snapshot(tenant)).appearances.map((a) => [a.project_id, a.documents]);
      expect((await appearances()).sort()).toEqual(
        [
          [project, 2],
          [other, 1],
        ].sort(),
      );

      await fake.unlink(tenant, one.documentId, project);
      await catchUpAll(sql, projectors, tenant);
      expect((await appearances()).sort()).toEqual(
        [
          [project, 1],
          [other, 1],
        ].sort(),
      );

      await fake.unlink(tenant, two.documentId, project);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);
      expect(await appearances()).toEqual([[other, 1]]);
      const scoped = { projectIds: [project], entity: 'Carol Diaz', limit: 10 };
      expect(await stores.vectors.search(tenant, MODEL_A, fakeVector('Carol Diaz signs', MODEL_A.dimension), scoped)).toEqual([]);
      expect(await stores.text.search(tenant, 'Carol', scoped)).toEqual([]);
      expect((await stores.vectors.snapshot(tenant, MODEL_A)).map((p) => [p.payload.document_id, p.payload.project_ids]).sort()).toEqual(
        [
          [one.documentId, [other]],
          [two.documentId, []],
        ].sort(),
      );
      expect((await stores.text.snapshot(tenant)).map((t) => [t.document_id, t.project_ids]).sort()).toEqual(
        [
          [one.documentId, [other]],
          [two.documentId, []],
        ].sort(),
      );
      expect(await stores.graph.entitiesInProject(tenant, project)).toEqual([]);
    });

    it("never shows one tenant's documents, entities or blobs to another", async () => {
      const mine = randomUUID();
      const theirs = randomUUID();
      const shared = randomUUID(); // the same project id in both tenants must still not mix
      await fake.add(mine, {
        title: 'mine',
        chunks: ['Dora Secret owns the yacht'],
        entities: [{ name: 'Dora Secret', type: 'person', chunks: [0] }],
        models: [MODEL_A],
        projectIds: [shared],
      });
      await fake.add(theirs, {
        title: 'theirs',
        chunks: ['Dora Secret owns the yacht too'],
        entities: [{ name: 'Dora Secret', type: 'person', chunks: [0] }],
        models: [MODEL_A],
        projectIds: [shared],
      });
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix(), mine, theirs), log);
      await catchUpAll(sql, projectors, mine);
      await catchUpAll(sql, projectors, theirs);
      await stopAll(projectors);

      const theirDocs = new Set((await stores.graph.snapshot(theirs)).documents.map((d) => d.id));
      const q = fakeVector('Dora Secret owns the yacht', MODEL_A.dimension);
      for (const scope of [{}, { projectIds: [shared] }]) {
        const hits = await stores.vectors.search(mine, MODEL_A, q, { ...scope, limit: 50 });
        expect(hits.length).toBeGreaterThan(0);
        expect(hits.every((h) => h.payload.tenant_id === mine && !theirDocs.has(h.payload.document_id))).toBe(true);
        const text = await stores.text.search(mine, 'Dora yacht', { ...scope, limit: 50 });
        expect(text.map((t) => t.title)).toEqual(['mine']);
      }
      const graph = await stores.graph.snapshot(mine);
      expect(graph.documents.map((d) => d.title)).toEqual(['mine']);
      expect(graph.mentions.every((m) => !theirDocs.has(m.document_id))).toBe(true);
      const blobs = await stores.blobs.list(mine, '');
      expect(blobs.length).toBeGreaterThan(0);
      expect(blobs.some((b) => [...theirDocs].some((d) => b.key.includes(d)))).toBe(false);
    });

    it('finds drift between a store and the log, and repairs it by rebuilding that projection', async () => {
      const tenant = randomUUID();
      const { documents, projects } = await writeScenario(fake, tenant);
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix(), tenant), log);
      await catchUpAll(sql, projectors, tenant);
      const live = await storesSnapshot(stores, tenant, models);

      // drift behind the projectors' backs: a lost text entry, stale vectors, wrong graph links
      await stores.text.deleteDocument(tenant, documents.b);
      await stores.vectors.setDocumentProjects(tenant, MODEL_A, documents.a, [projects.p3]);
      await stores.graph.linkDocuments(tenant, projects.p3, [documents.f]);
      const ghost = randomUUID();
      await stores.graph.upsertDocuments(tenant, [{ id: ghost, title: 'ghost' }]);
      const drift = await checkConsistency({ sql, stores, tenantId: tenant });
      const by = Object.fromEntries(drift.map((d) => [d.store, d]));
      expect(by.text?.missing).toEqual([chunkId(documents.b, 0), chunkId(documents.b, 1)].sort());
      expect(by.vectors?.wrong_projects).toEqual([0, 1, 2].map((i) => `${MODEL_A.id}/${chunkId(documents.a, i)}`).sort());
      expect(by.graph).toMatchObject({ stale: [ghost], wrong_projects: [documents.f] });
      expect(hasDrift(by.blobs ?? { store: 'blobs', missing: [], stale: [], wrong_projects: [] })).toBe(false);

      const { rebuilt, drift: after } = await repairConsistency({ sql, stores, tenantId: tenant, projectors });
      await stopAll(projectors);
      expect(rebuilt.sort()).toEqual(['graph', 'text', 'vectors']);
      expect(after.filter(hasDrift)).toEqual([]);
      expect(await storesSnapshot(stores, tenant, models)).toEqual(live);
    });

    it('purges a document whose content was crypto-shredded instead of failing on it', async () => {
      const tenant = randomUUID();
      await fake.add(tenant, {
        title: 'gone soon',
        chunks: ['Eve Erased'],
        entities: [{ name: 'Eve Erased', type: 'person', chunks: [0] }],
        models: [MODEL_A],
        projectIds: [randomUUID()],
      });
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix(), tenant), log);
      await catchUpAll(sql, projectors, tenant);
      expect(await stores.vectors.count(tenant, MODEL_A)).toBe(1);
      await stores.keyring.destroy(tenant);
      for (const p of Object.values(projectors)) await p.rebuild(tenant);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);
      expect(await stores.vectors.count(tenant, MODEL_A)).toBe(0);
      expect(await stores.text.snapshot(tenant)).toEqual([]);
      expect((await stores.graph.snapshot(tenant)).documents).toEqual([]);
      expect((await checkConsistency({ sql, stores, tenantId: tenant })).filter(hasDrift)).toEqual([]);
    });
  });
}
