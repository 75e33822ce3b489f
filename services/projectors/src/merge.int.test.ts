import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streams } from '@mandant/contracts';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { chunkId, entityId, uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { createNeo4jGraphStore } from '@mandant/shared/stores/graph';
import { type RunningNeo4j, embeddedNeo4jUnavailable, startEmbeddedNeo4j } from '@mandant/shared/stores/graph';
import type { GraphStore } from '@mandant/shared/stores/graph';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { dropQdrantTestCollections, newQdrantTestTarget } from '@mandant/shared/testing';
import { qdrantTestUrl } from '@mandant/shared/testing';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConsistency, hasDrift } from './consistency.ts';
import { documentProjections } from './index.ts';
import { fakeDocuments, fakeVector } from './testing/fake-documents.ts';
import { isolate } from './testing/isolate.ts';
import { MODEL_A, MODEL_B, applyEachEvent, applyInPages, readLog } from './testing/scenario.ts';
import { catchUpAll, startAll, stopAll, storesSnapshot } from './testing/snapshot.ts';
import { type TestEngines, createTestStores, newMasterKey } from './testing/stores.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const models = [MODEL_A, MODEL_B];
const org = 'organisation' as const;
const idOf = (tenant: string, name: string, type: string = org) => entityId(tenant, type, name.toLowerCase());

/** An `entity.merged.v1` as the entity service appends it. */
async function merge(events: EventStore, tenant: string, from: string, into: string): Promise<void> {
  await events.append(
    tenant,
    streams.entity(from),
    0,
    [
      {
        id: uuidv7(),
        type: 'entity.merged.v1',
        project_id: null,
        occurred_at: new Date().toISOString(),
        data: { from_entity_id: from, into_entity_id: into },
      },
    ],
    { actor: 'user:test', correlation_id: randomUUID(), causation_id: null, traceparent: null },
  );
}

/**
 * Acme Ltd (doc a, p1) merged into Acme Holdings (doc b, p2), which is then merged into Acme
 * Group (doc d); doc c names Acme Ltd after the first merge; doc e is deleted after them.
 */
async function writeMergeScenario(fake: ReturnType<typeof fakeDocuments>, events: EventStore, tenant: string) {
  const [p1, p2] = [randomUUID(), randomUUID()];
  const a = await fake.add(tenant, {
    title: 'Ledger',
    chunks: ['Acme Ltd paid Alice Meyer', 'nothing here'],
    entities: [
      { name: 'Acme Ltd', type: org, chunks: [0] },
      { name: 'Alice Meyer', type: 'person', chunks: [0] },
    ],
    models: [MODEL_A, MODEL_B],
    projectIds: [p1],
  });
  const b = await fake.add(tenant, {
    title: 'Registry',
    chunks: ['Acme Holdings in Panama'],
    entities: [
      { name: 'Acme Holdings', type: org, chunks: [0] },
      { name: 'Panama', type: 'place', chunks: [0] },
    ],
    models: [MODEL_A],
    projectIds: [p2],
  });
  const e = await fake.add(tenant, {
    title: 'Gone',
    chunks: ['Acme Ltd once'],
    entities: [{ name: 'Acme Ltd', type: org, chunks: [0] }],
    models: [MODEL_A],
    projectIds: [p1],
  });
  await merge(events, tenant, idOf(tenant, 'Acme Ltd'), idOf(tenant, 'Acme Holdings'));
  const c = await fake.add(tenant, {
    title: 'Later',
    chunks: ['Acme Ltd again'],
    entities: [{ name: 'Acme Ltd', type: org, chunks: [0] }],
    models: [MODEL_A],
    projectIds: [p1],
  });
  const d = await fake.add(tenant, {
    title: 'Group',
    chunks: ['Acme Group owns it all'],
    entities: [{ name: 'Acme Group', type: org, chunks: [0] }],
    models: [MODEL_A],
    projectIds: [p2],
  });
  await merge(events, tenant, idOf(tenant, 'Acme Holdings'), idOf(tenant, 'Acme Group'));
  await fake.link(tenant, a.documentId, p2);
  await fake.remove(tenant, e.documentId);
  return { projects: { p1, p2 }, documents: { a: a.documentId, b: b.documentId, c: c.documentId, d: d.documentId, e: e.documentId } };
}

function describeMerges(name: string, graphFactory: () => Promise<GraphStore | undefined>, skip: boolean, engines: TestEngines = {}) {
  describe.skipIf(skip)(`entity merges in every document store (${name})`, () => {
    let sql: Sql;
    let events: EventStore;
    let root: string;
    let stores: Awaited<ReturnType<typeof createTestStores>>;
    let fake: ReturnType<typeof fakeDocuments>;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'mandant-merges-'));
      sql = createSql(pg?.appUrl ?? '', { max: 8, appName: 'mandant-merges-test' });
      events = createEventStore(sql);
      stores = await createTestStores({
        appUrl: pg?.appUrl ?? '',
        blobRoot: root,
        masterKey: newMasterKey(),
        graph: await graphFactory(),
        engines,
      });
      fake = fakeDocuments({ events, stores });
    }, 600_000);
    afterAll(async () => {
      await stores?.close();
      await sql?.end();
      if (root) await rm(root, { recursive: true, force: true });
      if (engines.qdrant) await dropQdrantTestCollections(engines.qdrant);
    });

    it("gives the survivor every name and mention: graph merged, chunks of merged entities carry the survivor's name", async () => {
      const tenant = randomUUID();
      const { projects, documents } = await writeMergeScenario(fake, events, tenant);
      const projectors = startAll(sql, isolate(documentProjections(stores), `m${randomUUID().slice(0, 8)}`, tenant), log);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);

      const group = idOf(tenant, 'Acme Group');
      expect(await stores.graph.entity(tenant, idOf(tenant, 'Acme Ltd'))).toEqual({
        id: group,
        name: 'Acme Group',
        type: org,
        aliases: ['Acme Group', 'Acme Holdings', 'Acme Ltd'],
        ids: [group, idOf(tenant, 'Acme Holdings'), idOf(tenant, 'Acme Ltd')].sort(),
      });
      expect((await stores.graph.projectsOfEntity(tenant, group)).map((p) => p.project_id).sort()).toEqual(
        [projects.p1, projects.p2].sort(),
      );

      const text = await stores.text.snapshot(tenant);
      const names = (doc: string, i = 0) => text.find((t) => t.id === chunkId(doc, i))?.entity_names;
      expect(names(documents.a)).toEqual(['Acme Group', 'Acme Ltd', 'Alice Meyer']);
      expect(names(documents.a, 1)).toEqual([]);
      expect(names(documents.b)).toEqual(['Acme Group', 'Acme Holdings', 'Panama']);
      expect(names(documents.c)).toEqual(['Acme Group', 'Acme Ltd']);
      expect(names(documents.d)).toEqual(['Acme Group']);
      for (const model of models) {
        for (const p of await stores.vectors.snapshot(tenant, model)) {
          expect(p.payload.entity_names, `${model.id} ${p.id}`).toEqual(text.find((t) => t.id === p.id)?.entity_names);
        }
      }
      // the search filter on the survivor's name finds the chunks of every merged entity
      const filtered = await stores.text.search(tenant, 'Acme', { entity: 'Acme Group', limit: 20 });
      expect([...new Set(filtered.map((h) => h.document_id))].sort()).toEqual([documents.a, documents.b, documents.c, documents.d].sort());
      const near = await stores.vectors.search(tenant, MODEL_A, fakeVector('Acme Ltd paid', MODEL_A.dimension), {
        entity: 'Acme Group',
        limit: 20,
      });
      expect([...new Set(near.map((h) => h.payload.document_id))].sort()).toEqual(
        [documents.a, documents.b, documents.c, documents.d].sort(),
      );
      expect((await checkConsistency({ sql, stores, tenantId: tenant })).filter(hasDrift)).toEqual([]);
    });

    it('ends identical live, rebuilt, with every event applied twice, and in pages of any size', async () => {
      const tenant = randomUUID();
      await writeMergeScenario(fake, events, tenant);
      const projections = isolate(documentProjections(stores), `m${randomUUID().slice(0, 8)}`, tenant);
      const projectors = startAll(sql, projections, log);
      await catchUpAll(sql, projectors, tenant);
      const live = await storesSnapshot(stores, tenant, models);
      expect(live.graph.entities.map((e) => e.name).sort()).toEqual(['Acme Group', 'Alice Meyer', 'Panama']);

      for (const p of Object.values(projectors)) await p.rebuild(tenant);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);
      expect(await storesSnapshot(stores, tenant, models), 'rebuilt').toEqual(live);

      const history = await readLog(sql, tenant);
      const resetAll = async () => {
        for (const projection of Object.values(projections)) await withTenant(sql, tenant, (tx) => projection.reset(tx, tenant));
      };
      await resetAll();
      for (const projection of Object.values(projections)) await applyEachEvent(sql, projection, history, 2);
      expect(await storesSnapshot(stores, tenant, models), 'each event twice').toEqual(live);
      for (const pageSize of [history.length, 5, 1]) {
        await resetAll();
        for (const projection of [projections.vectors, projections.text, projections.graph])
          await applyInPages(sql, projection, history, pageSize);
        await applyEachEvent(sql, projections.blobs, history, 1);
        expect(await storesSnapshot(stores, tenant, models), `pages of ${pageSize}`).toEqual(live);
      }
    });
  });
}

describeMerges('Postgres graph', async () => undefined, !pg);
// QDRANT_URL when set; else the Qdrant 1.16 the test global setup started
const qdrant = qdrantTestUrl();
describeMerges(
  'Postgres graph, Qdrant vectors',
  async () => undefined,
  !pg || qdrant === null,
  qdrant === null ? {} : { qdrant: newQdrantTestTarget(qdrant) },
);

const externalUrl = process.env.NEO4J_URL;
const auth = process.env.NEO4J_USER ? neo4j.auth.basic(process.env.NEO4J_USER, process.env.NEO4J_PASSWORD ?? '') : undefined;
const neo4jReason = externalUrl === undefined ? embeddedNeo4jUnavailable() : null;
let server: RunningNeo4j | undefined;
let driver: Driver | undefined;
afterAll(async () => {
  await driver?.close();
  await server?.stop();
});
// NEO4J_URL when set; else a real Neo4j 5 started here from tools/neo4j-embedded (java + mvn).
describeMerges(
  'Neo4j graph',
  async () => {
    server = externalUrl === undefined ? await startEmbeddedNeo4j({ log }) : undefined;
    driver = neo4j.driver(externalUrl ?? server?.url ?? '', auth);
    return createNeo4jGraphStore({ driver });
  },
  !pg || backendMissing('neo4j', neo4jReason),
);
