import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { type Projector, startProjector } from '@mandant/shared/projection';
import { createNeo4jGraphStore } from '@mandant/shared/stores/graph';
import { type RunningNeo4j, startEmbeddedNeo4j } from '@mandant/shared/stores/graph';
import { externalNeo4jUrl, neo4jTestAuth, neo4jUnavailable } from '@mandant/shared/testing';
import type { GraphStore } from '@mandant/shared/stores/graph';
import { createPostgresGraphStore } from '@mandant/shared/stores/graph';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConsistency } from '../consistency.ts';
import { documentProjections } from '../index.ts';
import { fakeDocuments } from '../testing/fake-documents.ts';
import { isolate } from '../testing/isolate.ts';
import { applyEachEvent, readLog, writeScenario } from '../testing/scenario.ts';
import { createTestStores, newMasterKey } from '../testing/stores.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const externalUrl = externalNeo4jUrl;
const auth = neo4jTestAuth;

const reason = await neo4jUnavailable();

// NEO4J_URL when set; else a real Neo4j 5 started here from tools/neo4j-embedded (java + mvn).
describe.skipIf(!pg || backendMissing('neo4j', reason))(`graph projector on Neo4j (${externalUrl ?? 'embedded Neo4j 5'})`, () => {
  let server: RunningNeo4j | undefined;
  let driver: Driver;
  let sql: Sql;
  let root: string;
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let fake: ReturnType<typeof fakeDocuments>;
  let graph: GraphStore;

  beforeAll(async () => {
    server = externalUrl === undefined ? await startEmbeddedNeo4j({ log }) : undefined;
    driver = neo4j.driver(externalUrl ?? server?.url ?? '', auth);
    graph = createNeo4jGraphStore({ driver });
    root = await mkdtemp(join(tmpdir(), 'mandant-projectors-neo4j-'));
    sql = createSql(pg?.appUrl ?? '', { max: 8, appName: 'mandant-projectors-neo4j-test' });
    stores = await createTestStores({ appUrl: pg?.appUrl ?? '', blobRoot: root, masterKey: newMasterKey(), graph });
    fake = fakeDocuments({ events: createEventStore(sql), stores });
  }, 600_000); // a cold Maven cache downloads Neo4j first; a warm start takes seconds
  afterAll(async () => {
    await stores?.close();
    await graph?.close();
    await driver?.close();
    await server?.stop();
    await sql?.end();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** The graph projection alone, under a checkpoint name of its own, for the given tenants. */
  const graphProjector = (suffix: string, ...tenants: string[]): Projector =>
    startProjector({
      sql,
      projection: isolate(documentProjections(stores), suffix, ...tenants).graph,
      log,
      sweepMs: 3_600_000,
      maxAttempts: 2,
    });

  it('ends in the same graph when each event is applied twice and the log replayed twice, and agrees with the Postgres graph', async () => {
    const tenant = randomUUID();
    await writeScenario(fake, tenant);
    const suffix = `n${randomUUID().slice(0, 8)}`;
    const p = graphProjector(suffix, tenant);
    await p.catchUp(tenant);
    const once = await graph.snapshot(tenant);
    expect(once.documents.length).toBeGreaterThan(0);
    expect(once.appearances.length).toBeGreaterThan(0);

    await withTenant(sql, tenant, (tx) => tx`delete from projection_checkpoints where tenant_id = ${tenant}`);
    await p.stop();
    const again = graphProjector(suffix, tenant);
    await again.catchUp(tenant);
    await again.stop();
    expect(await graph.snapshot(tenant)).toEqual(once);

    const projection = isolate(documentProjections(stores), suffix, tenant).graph;
    await withTenant(sql, tenant, (tx) => projection.reset(tx, tenant));
    await applyEachEvent(sql, projection, await readLog(sql, tenant), 2);
    expect(await graph.snapshot(tenant)).toEqual(once);

    // the same log through the embedded (Postgres) graph adapter gives the same graph
    const pgGraph = createPostgresGraphStore({ sql: stores.sql });
    const onPostgres = isolate(documentProjections({ ...stores, graph: pgGraph }), suffix, tenant).graph;
    await withTenant(sql, tenant, (tx) => onPostgres.reset(tx, tenant));
    await applyEachEvent(sql, onPostgres, await readLog(sql, tenant), 1);
    expect(await pgGraph.snapshot(tenant)).toEqual(once);
    expect((await checkConsistency({ sql, stores, tenantId: tenant })).find((d) => d.store === 'graph')).toEqual({
      store: 'graph',
      missing: [],
      stale: [],
      wrong_projects: [],
    });
  });

  it('takes an entity out of a project once the last linked document mentioning it is unlinked', async () => {
    const tenant = randomUUID();
    const project = randomUUID();
    const other = randomUUID();
    const frank = { name: 'Frank Ocean Holdings', type: 'organisation' as const, chunks: [0] };
    const one = await fake.add(tenant, { title: 'one', chunks: ['Frank Ocean Holdings'], entities: [frank], projectIds: [project, other] });
    const two = await fake.add(tenant, { title: 'two', chunks: ['Frank Ocean Holdings'], entities: [frank], projectIds: [project] });
    const p = graphProjector(`n${randomUUID().slice(0, 8)}`, tenant);
    await p.catchUp(tenant);
    const [entity] = (await graph.snapshot(tenant)).entities;
    const projectsOf = async () => (await graph.projectsOfEntity(tenant, entity?.id ?? '')).map((x) => x.project_id).sort();
    expect(await projectsOf()).toEqual([project, other].sort());

    await fake.unlink(tenant, one.documentId, project);
    await p.catchUp(tenant);
    expect(await projectsOf()).toEqual([project, other].sort());

    await fake.unlink(tenant, two.documentId, project);
    await p.catchUp(tenant);
    await p.stop();
    expect(await projectsOf()).toEqual([other]);
    expect(await graph.entitiesInProject(tenant, project)).toEqual([]);
  });

  it("never shows one tenant's graph to another", async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    const project = randomUUID();
    const gina = { name: 'Gina Hidden', type: 'person' as const, chunks: [0] };
    await fake.add(mine, { title: 'mine', chunks: ['Gina Hidden'], entities: [gina], projectIds: [project] });
    const their = await fake.add(theirs, { title: 'theirs', chunks: ['Gina Hidden'], entities: [gina], projectIds: [project] });
    const p = graphProjector(`n${randomUUID().slice(0, 8)}`, mine, theirs);
    await p.catchUp(mine);
    await p.catchUp(theirs);
    await p.stop();
    const snap = await graph.snapshot(mine);
    expect(snap.documents.map((d) => d.title)).toEqual(['mine']);
    expect(snap.mentions.map((m) => m.document_id)).not.toContain(their.documentId);
    expect((await graph.entitiesInProject(mine, project)).map((e) => e.documents)).toEqual([1]);
    const theirEntity = (await graph.snapshot(theirs)).entities[0]?.id ?? '';
    // the entity id is per tenant; theirs is unknown here
    expect(await graph.projectsOfEntity(mine, theirEntity)).toEqual([]);
    expect((await graph.neighbourhood(mine, theirEntity)).nodes).toEqual([]);
  });
});
