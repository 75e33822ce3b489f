import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { SETTLE_MS, meilisearchServer, postgresUrls } from '@mandant/shared/testing';
import { dropQdrantTestCollections, newQdrantTestTarget } from '@mandant/shared/testing';
import { qdrantTestUrl } from '@mandant/shared/testing';
import { dropMeilisearchTestIndex, newMeilisearchTestTarget } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConsistency, hasDrift } from './consistency.ts';
import { documentProjections } from './index.ts';
import { fakeDocuments } from './testing/fake-documents.ts';
import { isolate } from './testing/isolate.ts';
import { MODEL_A } from './testing/scenario.ts';
import { catchUpAll, startAll, stopAll, storesSnapshot } from './testing/snapshot.ts';
import { type TestEngines, createTestStores, newMasterKey } from './testing/stores.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
const CHILD = fileURLToPath(new URL('./testing/kill-child.ts', import.meta.url));
const DOCUMENTS = 150;

/** Polls `condition` until it holds; fails after `timeoutMs` (a deadline, never a fixed sleep). */
async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describeKill('the embedded stores', {}, !pg);
// QDRANT_URL when set; else the Qdrant 1.16 the test global setup started
const qdrant = qdrantTestUrl();
describeKill('Qdrant vectors', qdrant === null ? {} : { qdrant: newQdrantTestTarget(qdrant) }, !pg || qdrant === null);
// MEILI_URL when set; else the Meilisearch 1.21 the test global setup started
const meili = meilisearchServer();
describeKill('Meilisearch text', meili === null ? {} : { meili: newMeilisearchTestTarget(meili) }, !pg || meili === null);

function describeKill(name: string, engines: TestEngines, skip: boolean): void {
  describe.skipIf(skip)(`document projectors killed with SIGKILL (${name})`, () => {
    let sql: Sql;
    let root: string;
    let child: ChildProcess | undefined;
    const masterKey = newMasterKey();
    let stores: Awaited<ReturnType<typeof createTestStores>>;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'mandant-projectors-kill-'));
      sql = createSql(pg?.appUrl ?? '', { max: 8, appName: 'mandant-projectors-kill-test' });
      stores = await createTestStores({ appUrl: pg?.appUrl ?? '', blobRoot: root, masterKey, engines });
    });
    afterAll(async () => {
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await stores?.close();
      await sql?.end();
      if (root) await rm(root, { recursive: true, force: true });
      if (engines.qdrant) await dropQdrantTestCollections(engines.qdrant);
      if (engines.meili) await dropMeilisearchTestIndex(engines.meili);
    });

    it('restarted after a kill mid-batch, ends with the same stores as a rebuild from the log', async () => {
      const tenant = randomUUID();
      const suffix = `kill${randomUUID().slice(0, 8)}`;
      const fake = fakeDocuments({ events: createEventStore(sql), stores });
      const projects = [randomUUID(), randomUUID(), randomUUID()];
      const ids: string[] = [];
      for (let i = 0; i < DOCUMENTS; i++) {
        const p = projects[i % projects.length] ?? '';
        const { documentId } = await fake.add(tenant, {
          title: `doc ${i}`,
          chunks: [`Person ${i % 7} met Firm ${i % 5}`, `chunk two of ${i}`],
          entities: [
            { name: `Person ${i % 7}`, type: 'person', chunks: [0] },
            { name: `Firm ${i % 5}`, type: 'organisation', chunks: [0] },
          ],
          models: [MODEL_A],
          projectIds: [p],
        });
        ids.push(documentId);
      }
      for (let i = 0; i < DOCUMENTS; i += 10) await fake.link(tenant, ids[i] ?? '', projects[(i + 1) % projects.length] ?? '');
      for (let i = 3; i < DOCUMENTS; i += 15) await fake.unlink(tenant, ids[i] ?? '', projects[i % projects.length] ?? '');
      for (let i = 7; i < DOCUMENTS; i += 25) await fake.remove(tenant, ids[i] ?? '');
      const head = await createEventStore(sql).head(tenant);
      expect(head).toBeGreaterThan(600); // more than one page (500 events) of the runner

      child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        cwd: process.cwd(),
        env: {
          ...process.env,
          KILL_APP_URL: pg?.appUrl ?? '',
          KILL_TENANT_ID: tenant,
          KILL_BLOB_ROOT: root,
          KILL_MASTER_KEY: masterKey,
          KILL_SUFFIX: suffix,
          KILL_ENGINES: JSON.stringify(engines),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child?.once('exit', (_code, signal) => resolve(signal)));
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString('utf8');
      });

      // kill once the child has written part of the first page's points to the vector store:
      // its checkpoint transaction for that page is still open, so store and checkpoint disagree
      await until(
        async () => {
          if (child?.exitCode !== null) throw new Error(`child exited early: ${stderr.slice(-2000)}`);
          return (await stores.vectors.count(tenant, MODEL_A)) >= 40;
        },
        SETTLE_MS,
        'the child to write vectors',
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const checkpoints = await withTenant(
        sql,
        tenant,
        (tx) =>
          tx<
            { projector: string; position: number }[]
          >`select projector, position from projection_checkpoints where tenant_id = ${tenant} and projector like ${`%-${suffix}@%`}`,
      );
      expect(Math.min(...[0, ...checkpoints.map((c) => c.position)])).toBeLessThan(head);
      const vectorsCheckpoint = checkpoints.find((c) => c.projector === `vectors-${suffix}@v1`)?.position ?? 0;
      expect(vectorsCheckpoint).toBeLessThan(head);

      // restart in this process: it resumes from the checkpoints the kill left
      const projections = isolate(documentProjections(stores), suffix, tenant);
      const projectors = startAll(sql, projections, log);
      expect(await catchUpAll(sql, projectors, tenant)).toEqual([head, head, head, head]);
      const resumed = await storesSnapshot(stores, tenant, [MODEL_A]);
      expect(resumed.text.length).toBeGreaterThan(0);
      expect((await checkConsistency({ sql, stores, tenantId: tenant })).filter(hasDrift)).toEqual([]);

      for (const p of Object.values(projectors)) await p.rebuild(tenant);
      await catchUpAll(sql, projectors, tenant);
      await stopAll(projectors);
      expect(await storesSnapshot(stores, tenant, [MODEL_A])).toEqual(resumed);
    });
  });
}
