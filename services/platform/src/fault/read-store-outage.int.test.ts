import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { type Projector, startProjector } from '@mandant/shared/projection';
import { createNeo4jGraphStore } from '@mandant/shared/stores/graph';
import { embeddedNeo4jUnavailable } from '@mandant/shared/stores/graph';
import type { GraphStore } from '@mandant/shared/stores/graph';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { checkConsistency } from '@mandant/projectors';
import { documentProjections } from '@mandant/projectors';
import { fakeDocuments } from '@mandant/projectors/testing';
import { isolate } from '@mandant/projectors/testing';
import { MODEL_A } from '@mandant/projectors/testing';
import { createTestStores, newMasterKey } from '@mandant/projectors/testing';
import neo4j, { type Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, SETTLE_MS, faultDatabase, sleep, until } from './helpers.ts';
import { type Neo4jProcess, startNeo4jProcess } from './neo4j-process.ts';
import { type TcpRelay, startTcpRelay } from './tcp-relay.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
// The suite kills and restarts the server itself, so it always runs the embedded Neo4j 5 (never NEO4J_URL).
const reason = embeddedNeo4jUnavailable();

/** The graph store with every failure it reports recorded (code or name), then rethrown. */
function recordingFailures(graph: GraphStore, failures: string[], failedAt: number[]): GraphStore {
  return new Proxy(graph, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          const { code, name } = err as { code?: unknown; name?: unknown };
          failures.push(String(code ?? name));
          failedAt.push(Date.now());
          throw err;
        }
      };
    },
  });
}

describe.skipIf(!pg || backendMissing('neo4j', reason))('fault: the Neo4j read store killed and restarted mid-stream', () => {
  let db: FaultDatabase;
  let sql: Sql;
  let root: string;
  let dataDir: string;
  let server: Neo4jProcess | undefined;
  let driver: Driver;
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let relay: TcpRelay | undefined;
  const failures: string[] = [];
  const failedAt: number[] = [];

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_neo4j', log);
    root = await mkdtemp(join(tmpdir(), 'mandant-fault-neo4j-blobs-'));
    dataDir = await mkdtemp(join(tmpdir(), 'mandant-fault-neo4j-data-'));
    server = await startNeo4jProcess({ dataDir, log });
    // the driver talks to a relay on a port bound for the whole suite; it forwards to whichever
    // server runs (none while killed), so the restart may get any port
    relay = await startTcpRelay(() => server?.port ?? null);
    // short driver-side retries: the projector runner's own retry (its sweep) is what is under test
    driver = neo4j.driver(`bolt://127.0.0.1:${relay.port}`, undefined, {
      maxTransactionRetryTime: 2_000,
      connectionTimeout: 3_000,
      connectionAcquisitionTimeout: 5_000,
    });
    sql = createSql(db.appUrl, { max: 10, appName: 'mandant-fault-neo4j' });
    const graph = recordingFailures(createNeo4jGraphStore({ driver }), failures, failedAt);
    stores = await createTestStores({ appUrl: db.appUrl, blobRoot: root, masterKey: newMasterKey(), graph });
  }, 600_000); // a cold Maven cache downloads Neo4j first
  afterAll(async () => {
    await stores?.close();
    await driver?.close();
    await server?.stop();
    await relay?.close();
    await sql?.end({ timeout: 5 });
    await db?.drop();
    for (const d of [root, dataDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it(
    'retries without dead-lettering while Neo4j is down, catches up to lag 0 after the restart, and equals a rebuild',
    { timeout: 600_000 },
    async () => {
      const store = createEventStore(sql);
      const tenant = randomUUID();
      const fake = fakeDocuments({ events: store, stores });
      const projects = [randomUUID(), randomUUID(), randomUUID()];
      const projector: Projector = startProjector({
        sql,
        log,
        sweepMs: 250,
        maxAttempts: 2,
        projection: isolate(documentProjections(stores), `fn${randomUUID().slice(0, 8)}`, tenant).graph,
      });
      const position = async (): Promise<number> =>
        (
          await withTenant(
            sql,
            tenant,
            (tx) => tx<{ position: number }[]>`
      select position from projection_checkpoints where tenant_id = ${tenant} and projector = ${projector.key}`,
          )
        )[0]?.position ?? 0;
      const lag = async (): Promise<number> => (await store.head(tenant)) - (await position());

      let writing = true;
      let written = 0;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await fake.add(tenant, {
            title: `doc ${i}`,
            chunks: [`Person ${i % 9} met Firm ${i % 4}`, `chunk two of ${i}`],
            entities: [
              { name: `Person ${i % 9}`, type: 'person', chunks: [0] },
              { name: `Firm ${i % 4}`, type: 'organisation', chunks: [0, 1] },
            ],
            models: [MODEL_A],
            projectIds: [projects[i % projects.length] ?? '', ...(i % 5 === 0 ? [projects[(i + 1) % projects.length] ?? ''] : [])],
          });
          written++;
          await sleep(150); // the command rate: about 25 events a second
        }
      })();
      const lags: number[] = [];
      const t0 = Date.now();
      try {
        await until(async () => (await position()) >= 40, SETTLE_MS, 'the graph projector to be under way');
        await server?.kill();
        server = undefined;
        const killedAt = Date.now();
        const atKill = await position();
        const headAtKill = await store.head(tenant);
        // events keep coming while the store is down, and the projector cannot follow
        await until(
          async () => (await store.head(tenant)) >= headAtKill + 100 && failures.length > 0,
          SETTLE_MS,
          'more events, and the projector meeting the store down',
        );
        lags.push(await lag());
        // at most the page it was applying when the store died
        expect(await position()).toBeLessThanOrEqual(atKill + 500);

        const restartAt = Date.now();
        server = await startNeo4jProcess({ dataDir, log });
        const writtenAtRestart = written;
        await until(
          async () => written >= writtenAtRestart + 5 && (await position()) > atKill,
          SETTLE_MS,
          'the projector to resume while events keep coming',
        );
        process.stderr.write(
          `neo4j outage: checkpoint ${atKill} at the kill, lag ${lags[0]} before the restart, ${failures.length} store failures until resumed, at ${JSON.stringify(failedAt.map((t) => t - killedAt))} ms after the kill, restart took ${Date.now() - restartAt} ms\n`,
        );
        // it kept retrying while the store was down (the restart alone takes many sweep intervals)
        expect(failures.length).toBeGreaterThan(1);
      } finally {
        writing = false;
        await writer;
      }

      await until(async () => (await lag()) === 0, 2 * SETTLE_MS, 'lag to recover to 0');
      process.stderr.write(`neo4j outage: lag 0 at ${Date.now() - t0} ms, failures ${JSON.stringify([...new Set(failures)])}\n`);
      expect(await position()).toBe(await store.head(tenant));
      // connection failures only, never the event's fault: nothing was dead-lettered
      expect(failures.every((f) => /^(ServiceUnavailable|SessionExpired)$/.test(f))).toBe(true);
      const dead = await withTenant(
        sql,
        tenant,
        (tx) => tx`select tenant_seq, error from projection_dead_letters where tenant_id = ${tenant}`,
      );
      expect(dead).toEqual([]);
      expect((await checkConsistency({ sql, stores, tenantId: tenant })).find((d) => d.store === 'graph')).toEqual({
        store: 'graph',
        missing: [],
        stale: [],
        wrong_projects: [],
      });

      const live = await stores.graph.snapshot(tenant);
      expect(live.documents.length).toBeGreaterThan(0);
      expect(await projector.rebuild(tenant)).toBe(await store.head(tenant));
      expect(await stores.graph.snapshot(tenant)).toEqual(live);
      await projector.stop();
    },
  );
});
