/**
 * Linking a processed N-chunk document to a project: how long until every store shows the link,
 * and how many store calls it costs, next to a per-chunk update loop measured in the same run.
 * Prints figures and ratios; never fails on a timing. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type EventMeta, streams } from '@mandant/contracts';
import { documentDecider } from '@mandant/documents/document/decide.ts';
import { type DocumentStores, documentProjections } from '@mandant/projectors/index.ts';
import { type FakeDocument, fakeDocuments } from '@mandant/projectors/testing/fake-documents.ts';
import { createSql } from '@mandant/shared/db/connect.ts';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore/event-store.ts';
import { uuidv7 } from '@mandant/shared/ids.ts';
import { createLogger } from '@mandant/shared/log.ts';
import { type Projector, startProjector } from '@mandant/shared/projection/projector.ts';
import { runCommand, systemClock } from '@mandant/shared/service/command.ts';
import type { EmbeddingModel } from '@mandant/shared/stores/vectors/port.ts';
import {
  type BenchStores, CallLog, type StatementCounter, counted, createBenchStores, createCountingSql, fmtInt, fmtMs, fmtRatio,
  intEnv, intListEnv, machineLine, median, runMain, table, withFreshDatabase,
} from './src/harness.ts';

const cfg = {
  sizes: intListEnv('BENCH_LINK_CHUNKS', [100, 1000, 5000]),
  /** links measured per size (each to a new project); the median is reported */
  rounds: intEnv('BENCH_LINK_ROUNDS', 3),
  dimension: intEnv('BENCH_DIMENSION', 384),
};
const GOAL_MS = 1000;
const GOAL_CHUNKS = 1000;
const MODEL: EmbeddingModel = { id: 'bench-embed-v1', dimension: cfg.dimension };
const META: EventMeta = { actor: 'user:bench', correlation_id: 'bench-link', causation_id: null, traceparent: null };
const SEARCH_WORD = 'ledger';

/** A processed document of `n` chunks with five entities spread over them, embedded with one model. */
function benchDocument(n: number): FakeDocument {
  const names = ['Alice Meyer', 'Acme Ltd', 'Berlin', 'Carol Diaz', 'Zurich Trust'];
  const types = ['person', 'organisation', 'place', 'person', 'organisation'] as const;
  return {
    title: `Bench ledger of ${n} chunks`,
    chunks: Array.from({ length: n }, (_, i) => `Chunk ${i} of the ${SEARCH_WORD}: ${names[i % names.length]} moved payment ${i} through account ${(i * 7919) % 100_000}.`),
    entities: names.map((name, k) => ({ name, type: types[k] ?? 'person', chunks: Array.from({ length: n }, (_, i) => i).filter((i) => i % names.length === k) })),
    models: [MODEL],
  };
}

interface Pipeline {
  events: EventStore;
  stores: BenchStores;
  calls: CallLog;
  projectorStatements: StatementCounter;
  projectors: Projector[];
}

async function waitAll(p: Pipeline, tenantId: string, position: number, timeoutMs: number): Promise<void> {
  await Promise.all(p.projectors.map((x) => x.waitFor(tenantId, position, timeoutMs)));
}

/** Does every store show the document in project `projectId`? Reads through the uncounted stores. */
async function visibleEverywhere(stores: DocumentStores, tenantId: string, documentId: string, projectId: string, n: number) {
  const vectors = (await stores.vectors.count(tenantId, MODEL, { projectIds: [projectId] })) === n;
  const hits = await stores.text.search(tenantId, SEARCH_WORD, { projectIds: [projectId], limit: 1 });
  const text = hits.some((h) => h.document_id === documentId);
  const graph = (await stores.graph.snapshot(tenantId)).links.some((l) => l.document_id === documentId && l.project_id === projectId);
  return { vectors, text, graph, all: vectors && text && graph };
}

interface LinkRun { visibleMs: number; appendMs: number; projectMs: number; checkMs: number; storeCalls: number; callDetail: string; storeSql: number; projectorSql: number; visible: boolean }

/** One link through the document decider, timed until every store shows it. */
async function measureLink(p: Pipeline, tenantId: string, documentId: string, n: number): Promise<LinkRun> {
  const projectId = randomUUID();
  p.calls.reset();
  const s0 = p.stores.statements.count;
  const q0 = p.projectorStatements.count;
  const t0 = performance.now();
  const res = await runCommand({
    store: p.events, clock: systemClock, decider: documentDecider, tenantId, stream: streams.document(documentId), projectId,
    command: { type: 'LinkDocument', project_id: projectId }, meta: META,
  });
  const t1 = performance.now();
  await waitAll(p, tenantId, res.position, 30_000);
  const t2 = performance.now();
  const storeSql = p.stores.statements.count - s0;
  const projectorSql = p.projectorStatements.count - q0;
  const storeCalls = p.calls.total();
  const callDetail = p.calls.describe();
  let seen = await visibleEverywhere(p.stores, tenantId, documentId, projectId, n);
  // the projectors have reached the event, so this is a single round unless something is wrong
  for (let i = 0; !seen.all && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    seen = await visibleEverywhere(p.stores, tenantId, documentId, projectId, n);
  }
  const t3 = performance.now();
  return { visibleMs: t3 - t0, appendMs: t1 - t0, projectMs: t2 - t1, checkMs: t3 - t2, storeCalls, callDetail, storeSql, projectorSql, visible: seen.all };
}

interface LoopRun { ms: number; calls: number; storeSql: number; visible: boolean }

/**
 * The baseline: what a projector without `setDocumentProjects` would do: upsert every chunk's
 * point and text entry again with the new project set, one store call each, then link the graph
 * (one call; the graph has no per-chunk rows). The points are read before the clock starts, so
 * the figure flatters the loop.
 */
async function measureLoop(p: Pipeline, tenantId: string, documentId: string, n: number): Promise<LoopRun> {
  const projectId = randomUUID();
  const points = await p.stores.vectors.snapshot(tenantId, MODEL);
  const entries = await p.stores.text.snapshot(tenantId);
  const log = new CallLog();
  const vectors = counted('vectors', p.stores.vectors, log);
  const text = counted('text', p.stores.text, log);
  const graph = counted('graph', p.stores.graph, log);
  const with_ = (ids: string[]): string[] => [...new Set([...ids, projectId])].sort();
  const s0 = p.stores.statements.count;
  const t0 = performance.now();
  for (const point of points) await vectors.upsert(tenantId, MODEL, [{ ...point, payload: { ...point.payload, project_ids: with_(point.payload.project_ids) } }]);
  for (const entry of entries) await text.upsert(tenantId, [{ ...entry, project_ids: with_(entry.project_ids) }]);
  await graph.linkDocuments(tenantId, projectId, [documentId]);
  const ms = performance.now() - t0;
  const storeSql = p.stores.statements.count - s0;
  const seen = await visibleEverywhere(p.stores, tenantId, documentId, projectId, n);
  return { ms, calls: log.total(), storeSql, visible: seen.all };
}

async function main(): Promise<void> {
  await withFreshDatabase(async ({ appUrl, pgVersion }, onCleanup) => {
    const eventSql = createSql(appUrl, { max: 4, appName: 'mandant-bench-events' });
    onCleanup(() => eventSql.end({ timeout: 5 }));
    const projectorStatements: StatementCounter = { count: 0 };
    const projectorSql = createCountingSql(appUrl, projectorStatements, { max: 8, appName: 'mandant-bench-projectors' });
    onCleanup(() => projectorSql.end({ timeout: 5 }));
    const stores = await createBenchStores(appUrl);
    onCleanup(() => stores.close());

    const calls = new CallLog();
    const countedStores: DocumentStores = {
      keyring: stores.keyring,
      vectors: counted('vectors', stores.vectors, calls),
      text: counted('text', stores.text, calls),
      graph: counted('graph', stores.graph, calls),
      blobs: counted('blobs', stores.blobs, calls),
    };
    const log = createLogger({ level: 'silent' });
    const projectors = Object.values(documentProjections(countedStores)).map((projection) =>
      startProjector({ sql: projectorSql, projection, log, sweepMs: 3_600_000, maxAttempts: 2 }));
    onCleanup(async () => void (await Promise.allSettled(projectors.map((x) => x.stop()))));
    const events = createEventStore(eventSql);
    const pipeline: Pipeline = { events, stores, calls, projectorStatements, projectors };
    const fake = fakeDocuments({ events, stores });

    console.log('Linking a processed document to a project: visible in every store, and store calls, vs a per-chunk update loop');
    console.log(machineLine(pgVersion));
    console.log(
      `Setup: fresh database; embedded Postgres vector, text and graph stores on their own pool; sealed local blobs; the four ` +
        `document projectors (vectors, text, graph, blobs) on the projector pool. One embedding model, dimension ${cfg.dimension}; ` +
        `${cfg.rounds} link(s) per size, each to a new project, median reported.`,
    );
    console.log('');

    // warm-up: connections, prepared statements, JIT; not reported
    const warmTenant = uuidv7();
    const warm = await fake.add(warmTenant, benchDocument(10));
    await waitAll(pipeline, warmTenant, warm.position, 60_000);
    await measureLink(pipeline, warmTenant, warm.documentId, 10);
    await measureLoop(pipeline, warmTenant, warm.documentId, 10);

    const rows: string[][] = [];
    const results: Array<{ n: number; link: LinkRun; loop: LoopRun }> = [];
    for (const n of cfg.sizes) {
      const tenantId = uuidv7();
      const s0 = performance.now();
      const { documentId, position } = await fake.add(tenantId, benchDocument(n));
      await waitAll(pipeline, tenantId, position, 300_000);
      const setupS = (performance.now() - s0) / 1000;
      const runs: LinkRun[] = [];
      for (let r = 0; r < cfg.rounds; r++) runs.push(await measureLink(pipeline, tenantId, documentId, n));
      const loop = await measureLoop(pipeline, tenantId, documentId, n);
      const mid = runs.map((r) => r.visibleMs);
      const link = runs.find((r) => r.visibleMs === median(mid)) ?? runs[Math.floor(runs.length / 2)] ?? runs[0];
      if (!link) continue;
      results.push({ n, link, loop });
      console.log(
        `  ${fmtInt(n)} chunks (setup: upload, process, embed, project ${setupS.toFixed(1)} s): link visible ${runs.map((r) => fmtMs(r.visibleMs)).join(' / ')} ms ` +
          `(median run: append ${fmtMs(link.appendMs)}, projectors ${fmtMs(link.projectMs)}, store checks ${fmtMs(link.checkMs)} ms); ` +
          `store calls ${link.callDetail}; SQL statements: store pool ${link.storeSql}, projector pool ${link.projectorSql}` +
          `${runs.every((r) => r.visible) ? '' : '; NOT visible in every store!'}`,
      );
      console.log(
        `    per-chunk loop: ${fmtMs(loop.ms)} ms, ${fmtInt(loop.calls)} store calls, ${fmtInt(loop.storeSql)} SQL statements` +
          `${loop.visible ? '' : '; NOT visible in every store!'}`,
      );
      rows.push([fmtInt(n), fmtMs(link.visibleMs), String(link.storeCalls), fmtMs(loop.ms), fmtInt(loop.calls), fmtRatio(loop.ms / link.visibleMs)]);
    }

    console.log('');
    console.log(table(['chunks', 'link visible ms', 'store calls', 'per-chunk loop ms', 'loop calls', 'speed-up'], rows));
    console.log(
      'link visible ms: from the LinkDocument command (read stream, decide, append) until the vector count scoped to the project is N, ' +
        'a text search scoped to it finds the document and the graph has the BELONGS_TO link (checks included). store calls: calls on ' +
        'the vector, text, graph and blob stores by the four projectors for that one event. per-chunk loop: one upsert per chunk on ' +
        'vectors and on text, plus one graph link, writes only. speed-up = loop ms ÷ link visible ms.',
    );
    const callCounts = new Set(results.map((r) => r.link.storeCalls));
    const storeSql = new Set(results.map((r) => r.link.storeSql));
    console.log(
      `Store calls per link: ${[...callCounts].join(', ')} at ${results.map((r) => fmtInt(r.n)).join(' / ')} chunks ` +
        `(${callCounts.size === 1 ? 'constant' : 'NOT constant'}); store-pool SQL statements ${[...storeSql].join(', ')} ` +
        `(${storeSql.size === 1 ? 'constant' : 'NOT constant'}).`,
    );
    const atGoal = results.find((r) => r.n === GOAL_CHUNKS);
    console.log(
      atGoal
        ? `Goal "a ${fmtInt(GOAL_CHUNKS)}-chunk link visible in every store in < ${fmtInt(GOAL_MS)} ms": ${atGoal.link.visibleMs < GOAL_MS && atGoal.link.visible ? 'met' : 'NOT met'} (${fmtMs(atGoal.link.visibleMs)} ms).`
        : `Goal line skipped: no ${fmtInt(GOAL_CHUNKS)}-chunk size in BENCH_LINK_CHUNKS.`,
    );
  });
}

runMain(main);
