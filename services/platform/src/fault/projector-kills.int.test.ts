import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Sql, createSql, withTenant } from '@mandant/shared/db';
import { createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { inParallel } from '@mandant/shared/in-parallel';
import { postgresUrls } from '@mandant/shared/testing';
import { checkConsistency, hasDrift } from '@mandant/projectors';
import { documentProjections } from '@mandant/projectors';
import { fakeDocuments } from '@mandant/projectors/testing';
import { isolate } from '@mandant/projectors/testing';
import { MODEL_A } from '@mandant/projectors/testing';
import { catchUpAll, startAll, stopAll, storesSnapshot } from '@mandant/projectors/testing';
import { createTestStores, newMasterKey } from '@mandant/projectors/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDatabase, SETTLE_MS, faultDatabase, seededRandom, sleep, until } from './helpers.ts';

const pg = postgresUrls();
const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
/** Runs the four document projectors on one tenant until caught up (or killed). */
const CHILD = fileURLToPath(new URL('../../../projectors/src/testing/kill-child.ts', import.meta.url));
/**
 * Enough for the kills to land mid-projection: the projectors get through a page or two between
 * a start and a kill, so the log must hold many pages for them (500 documents, ~2,100 events, no
 * longer did once the document stores' pages got faster: 7 of 12 kills mid-projection).
 */
const DOCUMENTS = 1_000;
const KILLS = 12;
/** kills that must land while some projector is still behind the head (not after all caught up) */
const MIN_KILLS_MID_PROJECTION = 8;

describe.skipIf(!pg)('fault: document projectors killed with SIGKILL again and again', () => {
  let db: FaultDatabase;
  let sql: Sql;
  let root: string;
  let child: ChildProcess | undefined;
  const masterKey = newMasterKey();
  let stores: Awaited<ReturnType<typeof createTestStores>>;

  beforeAll(async () => {
    if (!pg) return;
    db = await faultDatabase(pg.ownerUrl, 'fault_kills', log);
    root = await mkdtemp(join(tmpdir(), 'mandant-fault-kills-'));
    sql = createSql(db.appUrl, { max: 10, appName: 'mandant-fault-kills' });
    stores = await createTestStores({ appUrl: db.appUrl, blobRoot: root, masterKey });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stores?.close();
    await sql?.end({ timeout: 5 });
    await db?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(
    'ends, after a final restart, with every store equal to a rebuild from the log and no chunk held twice',
    { timeout: 600_000 },
    async () => {
      const random = seededRandom('projector-kills');
      const store = createEventStore(sql);
      const tenant = randomUUID();
      const suffix = `fk${randomUUID().slice(0, 8)}`;
      const fake = fakeDocuments({ events: store, stores });
      const projects = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const chunkCounts = new Map<string, number>();
      const ids: string[] = [];
      await inParallel(
        Array.from({ length: DOCUMENTS }, (_, i) => i),
        async (i) => {
          const chunks = Array.from({ length: 2 + (i % 3) }, (_, c) => `Person ${i % 11} met Firm ${i % 7} (doc ${i}, chunk ${c})`);
          const { documentId } = await fake.add(tenant, {
            title: `doc ${i}`,
            chunks,
            entities: [
              { name: `Person ${i % 11}`, type: 'person', chunks: [0] },
              { name: `Firm ${i % 7}`, type: 'organisation', chunks: [0, 1] },
            ],
            models: [MODEL_A],
            projectIds: [projects[i % projects.length] ?? ''],
          });
          ids[i] = documentId;
          chunkCounts.set(documentId, chunks.length);
        },
        8,
      );
      const deleted = new Set<string>();
      await inParallel(
        Array.from({ length: DOCUMENTS }, (_, i) => i),
        async (i) => {
          const id = ids[i] ?? '';
          if (i % 10 === 0) await fake.link(tenant, id, projects[(i + 1) % projects.length] ?? '');
          if (i % 15 === 3) await fake.unlink(tenant, id, projects[i % projects.length] ?? '');
          if (i % 25 === 7) {
            await fake.remove(tenant, id);
            deleted.add(id);
          }
        },
        8,
      );
      const head = await store.head(tenant);
      expect(head).toBeGreaterThan(4_000); // eight pages of the runner and more

      const committed = async (): Promise<Array<{ projector: string; position: number }>> =>
        withTenant(
          sql,
          tenant,
          (tx) =>
            tx<{ projector: string; position: number }[]>`select projector, position from projection_checkpoints
        where tenant_id = ${tenant} and projector like ${`%-${suffix}@%`} order by projector`,
        );
      const checkpoints = async (): Promise<number[]> => (await committed()).map((r) => r.position);

      let midProjection = 0;
      const progress: string[] = [];
      const t0 = Date.now();
      for (let k = 0; k < KILLS; k++) {
        const c = spawn(process.execPath, ['--import', 'tsx', CHILD], {
          cwd: process.cwd(),
          env: {
            ...process.env,
            KILL_APP_URL: db.appUrl,
            KILL_TENANT_ID: tenant,
            KILL_BLOB_ROOT: root,
            KILL_MASTER_KEY: masterKey,
            KILL_SUFFIX: suffix,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child = c;
        let stdout = '';
        let stderr = '';
        c.stdout?.on('data', (b: Buffer) => {
          stdout += b.toString('utf8');
        });
        c.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString('utf8');
        });
        const exited = new Promise<NodeJS.Signals | number | null>((resolve) => c.once('exit', (code, signal) => resolve(signal ?? code)));
        await until(() => stdout.includes('started') || c.exitCode !== null, SETTLE_MS, 'the projector child to start');
        if (c.exitCode !== null) throw new Error(`child exited early (${c.exitCode}): ${stderr.slice(-2000)}`);
        // a random point: a third of the kills early in the child's first pages; the others once
        // some projector committed a page in this run (so the kills spread over the whole log),
        // plus a random delay into the next pages
        const committedBefore = (await checkpoints()).reduce((a, b) => a + b, 0);
        if (random.chance(1 / 3)) {
          await sleep(random.int(50, 1_500));
        } else {
          await until(
            async () => c.exitCode !== null || (await checkpoints()).reduce((a, b) => a + b, 0) > committedBefore,
            SETTLE_MS,
            'the child to commit a page',
          );
          await sleep(random.int(0, 500));
        }
        c.kill('SIGKILL');
        await exited;
        const rows = await committed();
        const slowest = rows.length < 4 ? 0 : Math.min(...rows.map((r) => r.position));
        progress.push(rows.map((r) => `${r.projector.split('-')[0]}:${r.position}`).join(' ') || 'no page committed');
        // landed mid-projection: some store had not committed the whole log when the child died
        if (slowest < head) midProjection++;
      }
      process.stderr.write(
        `projector kills: head ${head}, checkpoints after each kill ${JSON.stringify(progress)}, ${midProjection} mid-projection, ${Date.now() - t0} ms\n`,
      );
      expect(midProjection).toBeGreaterThanOrEqual(MIN_KILLS_MID_PROJECTION);

      // the final restart, in this process, resumes from whatever the kills left
      const projectors = startAll(sql, isolate(documentProjections(stores), suffix, tenant), log);
      try {
        expect(await catchUpAll(sql, projectors, tenant)).toEqual([head, head, head, head]);
        expect(await checkpoints()).toEqual([head, head, head, head]);
        process.stderr.write(`projector kills: final catch-up done at ${Date.now() - t0} ms\n`);
        expect((await checkConsistency({ sql, stores, tenantId: tenant })).filter(hasDrift)).toEqual([]);
        const resumed = await storesSnapshot(stores, tenant, [MODEL_A]);

        // no duplicates: each live document holds exactly its chunks, once, in vectors and text
        const perDocument = (rows: Array<{ document_id: string; index: number }>) => {
          const m = new Map<string, number[]>();
          for (const r of rows)
            m.set(
              r.document_id,
              [...(m.get(r.document_id) ?? []), r.index].sort((a, b) => a - b),
            );
          return m;
        };
        const expected = new Map(
          [...chunkCounts].filter(([id]) => !deleted.has(id)).map(([id, n]) => [id, Array.from({ length: n }, (_, i) => i)]),
        );
        const vectors = resumed.vectors[MODEL_A.id] ?? [];
        expect(perDocument(vectors.map((p) => ({ document_id: p.payload.document_id, index: p.payload.chunk_index })))).toEqual(expected);
        expect(new Set(vectors.map((p) => p.id)).size).toBe(vectors.length);
        const textPerDocument = new Map<string, number>();
        for (const t of resumed.text) textPerDocument.set(t.document_id, (textPerDocument.get(t.document_id) ?? 0) + 1);
        expect(textPerDocument).toEqual(new Map([...expected].map(([id, chunks]) => [id, chunks.length])));
        expect(new Set(resumed.text.map((t) => t.id)).size).toBe(resumed.text.length);
        expect(resumed.graph.documents.length).toBe(expected.size);

        // the same stores rebuilt from the log (reset, replay) hold exactly the same
        for (const p of Object.values(projectors)) await p.rebuild(tenant);
        await catchUpAll(sql, projectors, tenant);
        expect(await storesSnapshot(stores, tenant, [MODEL_A])).toEqual(resumed);
        process.stderr.write(`projector kills: rebuild compared at ${Date.now() - t0} ms\n`);
      } finally {
        await stopAll(projectors);
      }
    },
  );
});
