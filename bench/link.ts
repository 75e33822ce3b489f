/**
 * Linking a processed N-chunk document to a project: how long until every store shows the link,
 * and how many store calls it costs, next to a per-chunk update loop measured in the same run,
 * on the embedded stores and on the real engines (Qdrant vectors, Meilisearch text; the graph
 * on Postgres in both) one after the other, side by side. Prints figures and ratios; never fails
 * on a timing. See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type EventMeta, streams } from '@mandant/contracts';
import { documentDecider } from '@mandant/documents';
import { type DocumentStores, documentProjections } from '@mandant/projectors';
import { type FakeDocument, fakeDocuments } from '@mandant/projectors/testing';
import { createSql } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import { createLogger } from '@mandant/shared/log';
import { type Projector, startProjector } from '@mandant/shared/projection';
import { runCommand, systemClock } from '@mandant/shared/service';
import type { EmbeddingModel } from '@mandant/shared/stores/vectors';
import { type RequestCounter, realEngineSet, startRealEngines } from './src/engines.ts';
import {
  type BenchStores,
  CallLog,
  type StatementCounter,
  counted,
  createBenchStores,
  createCountingSql,
  fmtInt,
  fmtMs,
  fmtRatio,
  intEnv,
  intListEnv,
  machineLine,
  median,
  runMain,
  table,
  withFreshDatabase,
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
    chunks: Array.from(
      { length: n },
      (_, i) => `Chunk ${i} of the ${SEARCH_WORD}: ${names[i % names.length]} moved payment ${i} through account ${(i * 7919) % 100_000}.`,
    ),
    entities: names.map((name, k) => ({
      name,
      type: types[k] ?? 'person',
      chunks: Array.from({ length: n }, (_, i) => i).filter((i) => i % names.length === k),
    })),
    models: [MODEL],
  };
}

interface Pipeline {
  events: EventStore;
  /** the stores as the projectors write them, uncounted */
  stores: DocumentStores;
  /** SQL statements of the embedded stores' pool (the graph's, with the real engines) */
  statements: StatementCounter;
  /** HTTP requests to the real engines, or null on the embedded set */
  requests: RequestCounter | null;
  calls: CallLog;
  projectorStatements: StatementCounter;
  projectors: Projector[];
}

async function waitAll(p: Pipeline, tenantId: string, position: number, timeoutMs: number): Promise<void> {
  await Promise.all(p.projectors.map((x) => x.waitFor(tenantId, position, timeoutMs)));
}

/** Does every store show the document in project `projectId`? Reads through the uncounted stores; its engine requests are not counted. */
async function visibleEverywhere(p: Pipeline, tenantId: string, documentId: string, projectId: string, n: number) {
  return p.requests
    ? p.requests.uncounted(() => visibleIn(p.stores, tenantId, documentId, projectId, n))
    : visibleIn(p.stores, tenantId, documentId, projectId, n);
}

async function visibleIn(stores: DocumentStores, tenantId: string, documentId: string, projectId: string, n: number) {
  const vectors = (await stores.vectors.count(tenantId, MODEL, { projectIds: [projectId] })) === n;
  const hits = await stores.text.search(tenantId, SEARCH_WORD, { projectIds: [projectId], limit: 1 });
  const text = hits.some((h) => h.document_id === documentId);
  const graph = (await stores.graph.snapshot(tenantId)).links.some((l) => l.document_id === documentId && l.project_id === projectId);
  return { vectors, text, graph, all: vectors && text && graph };
}

interface LinkRun {
  visibleMs: number;
  appendMs: number;
  projectMs: number;
  checkMs: number;
  storeCalls: number;
  callDetail: string;
  storeSql: number;
  projectorSql: number;
  /** engine HTTP requests by the projectors (not task polls), and Meilisearch task polls; 0 on the embedded set */
  requests: number;
  polls: number;
  visible: boolean;
}

/** One link through the document decider, timed until every store shows it. */
async function measureLink(p: Pipeline, tenantId: string, documentId: string, n: number): Promise<LinkRun> {
  const projectId = randomUUID();
  p.calls.reset();
  p.requests?.reset();
  const s0 = p.statements.count;
  const q0 = p.projectorStatements.count;
  const t0 = performance.now();
  const res = await runCommand({
    store: p.events,
    clock: systemClock,
    decider: documentDecider,
    tenantId,
    stream: streams.document(documentId),
    projectId,
    command: { type: 'LinkDocument', project_id: projectId },
    meta: META,
  });
  const t1 = performance.now();
  await waitAll(p, tenantId, res.position, 30_000);
  const t2 = performance.now();
  const storeSql = p.statements.count - s0;
  const projectorSql = p.projectorStatements.count - q0;
  const storeCalls = p.calls.total();
  const callDetail = p.calls.describe();
  const requests = p.requests?.work ?? 0;
  const polls = p.requests?.polls ?? 0;
  let seen = await visibleEverywhere(p, tenantId, documentId, projectId, n);
  // the projectors have reached the event, so this is a single round unless something is wrong
  for (let i = 0; !seen.all && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    seen = await visibleEverywhere(p, tenantId, documentId, projectId, n);
  }
  const t3 = performance.now();
  return {
    visibleMs: t3 - t0,
    appendMs: t1 - t0,
    projectMs: t2 - t1,
    checkMs: t3 - t2,
    storeCalls,
    callDetail,
    storeSql,
    projectorSql,
    requests,
    polls,
    visible: seen.all,
  };
}

interface LoopRun {
  ms: number;
  calls: number;
  storeSql: number;
  requests: number;
  visible: boolean;
}

/**
 * The baseline: what a projector without `setDocumentProjects` would do: upsert every chunk's
 * point and text entry again with the new project set, one store call each, then link the graph
 * (one call; the graph has no per-chunk rows). The points are read before the clock starts, so
 * the figure flatters the loop.
 */
async function measureLoop(p: Pipeline, tenantId: string, documentId: string, n: number): Promise<LoopRun> {
  const projectId = randomUUID();
  const read = async () => ({ points: await p.stores.vectors.snapshot(tenantId, MODEL), entries: await p.stores.text.snapshot(tenantId) });
  const { points, entries } = p.requests ? await p.requests.uncounted(read) : await read();
  const log = new CallLog();
  const vectors = counted('vectors', p.stores.vectors, log);
  const text = counted('text', p.stores.text, log);
  const graph = counted('graph', p.stores.graph, log);
  const with_ = (ids: string[]): string[] => [...new Set([...ids, projectId])].sort();
  p.requests?.reset();
  const s0 = p.statements.count;
  const t0 = performance.now();
  for (const point of points)
    await vectors.upsert(tenantId, MODEL, [{ ...point, payload: { ...point.payload, project_ids: with_(point.payload.project_ids) } }]);
  for (const entry of entries) await text.upsert(tenantId, [{ ...entry, project_ids: with_(entry.project_ids) }]);
  await graph.linkDocuments(tenantId, projectId, [documentId]);
  const ms = performance.now() - t0;
  const storeSql = p.statements.count - s0;
  const requests = p.requests?.work ?? 0;
  const seen = await visibleEverywhere(p, tenantId, documentId, projectId, n);
  return { ms, calls: log.total(), storeSql, requests, visible: seen.all };
}

/** One engine set under test: the stores the projectors write, and how their work is counted. */
interface LinkEngineSet {
  name: string;
  describe: string;
  stores: DocumentStores;
  requests: RequestCounter | null;
}

interface SizeResult {
  n: number;
  link: LinkRun;
  loop: LoopRun;
}

/** The four document projectors on `set`, every size measured, then the projectors stopped (the next set's take their names). */
async function runSet(
  set: LinkEngineSet,
  base: {
    events: EventStore;
    statements: StatementCounter;
    projectorSql: ReturnType<typeof createCountingSql>;
    projectorStatements: StatementCounter;
  },
): Promise<SizeResult[]> {
  const calls = new CallLog();
  const countedStores: DocumentStores = {
    keyring: set.stores.keyring,
    vectors: counted('vectors', set.stores.vectors, calls),
    text: counted('text', set.stores.text, calls),
    graph: counted('graph', set.stores.graph, calls),
    blobs: counted('blobs', set.stores.blobs, calls),
  };
  const log = createLogger({ level: 'silent' });
  const projectors = Object.values(documentProjections(countedStores)).map((projection) =>
    startProjector({ sql: base.projectorSql, projection, log, sweepMs: 3_600_000, maxAttempts: 2 }),
  );
  const pipeline: Pipeline = {
    events: base.events,
    stores: set.stores,
    statements: base.statements,
    requests: set.requests,
    calls,
    projectorStatements: base.projectorStatements,
    projectors,
  };
  const fake = fakeDocuments({ events: base.events, stores: set.stores });
  console.log(`${set.name}: ${set.describe}`);
  try {
    // warm-up: connections, prepared statements, JIT; not reported
    const warmTenant = uuidv7();
    const warm = await fake.add(warmTenant, benchDocument(10));
    await waitAll(pipeline, warmTenant, warm.position, 60_000);
    await measureLink(pipeline, warmTenant, warm.documentId, 10);
    await measureLoop(pipeline, warmTenant, warm.documentId, 10);

    const results: SizeResult[] = [];
    for (const n of cfg.sizes) {
      const tenantId = uuidv7();
      const s0 = performance.now();
      const { documentId, position } = await fake.add(tenantId, benchDocument(n));
      await waitAll(pipeline, tenantId, position, 300_000);
      const setupS = (performance.now() - s0) / 1000;
      const runs: LinkRun[] = [];
      for (let r = 0; r < cfg.rounds; r++) runs.push(await measureLink(pipeline, tenantId, documentId, n));
      const loop = await measureLoop(pipeline, tenantId, documentId, n);
      const link = runs.find((r) => r.visibleMs === median(runs.map((x) => x.visibleMs))) ?? runs[Math.floor(runs.length / 2)] ?? runs[0];
      if (!link) continue;
      results.push({ n, link, loop });
      const http = set.requests ? `; engine HTTP requests ${link.requests} (+ ${link.polls} Meilisearch task polls)` : '';
      console.log(
        `  ${fmtInt(n)} chunks (setup: upload, process, embed, project ${setupS.toFixed(1)} s): link visible ${runs.map((r) => fmtMs(r.visibleMs)).join(' / ')} ms ` +
          `(median run: append ${fmtMs(link.appendMs)}, projectors ${fmtMs(link.projectMs)}, store checks ${fmtMs(link.checkMs)} ms); ` +
          `store calls ${link.callDetail}${http}; SQL statements: store pool ${link.storeSql}, projector pool ${link.projectorSql}` +
          `${runs.every((r) => r.visible) ? '' : '; NOT visible in every store!'}`,
      );
      console.log(
        `    per-chunk loop: ${fmtMs(loop.ms)} ms, ${fmtInt(loop.calls)} store calls${set.requests ? ` (${fmtInt(loop.requests)} engine HTTP requests)` : ''}, ` +
          `${fmtInt(loop.storeSql)} SQL statements${loop.visible ? '' : '; NOT visible in every store!'}`,
      );
    }
    console.log('');
    return results;
  } finally {
    await Promise.allSettled(projectors.map((x) => x.stop()));
  }
}

async function main(): Promise<void> {
  await withFreshDatabase(async ({ appUrl, pgVersion }, onCleanup) => {
    const eventSql = createSql(appUrl, { max: 4, appName: 'mandant-bench-events' });
    onCleanup(() => eventSql.end({ timeout: 5 }));
    const projectorStatements: StatementCounter = { count: 0 };
    const projectorSql = createCountingSql(appUrl, projectorStatements, { max: 8, appName: 'mandant-bench-projectors' });
    onCleanup(() => projectorSql.end({ timeout: 5 }));
    const stores: BenchStores = await createBenchStores(appUrl);
    onCleanup(() => stores.close());
    const events = createEventStore(eventSql);

    console.log('Linking a processed document to a project: visible in every store, and store calls, vs a per-chunk update loop');
    console.log(machineLine(pgVersion));
    console.log(
      `Setup: fresh database; the four document projectors (vectors, text, graph, blobs) on the projector pool; the graph on Postgres ` +
        `and sealed local blobs in every engine set. One embedding model, dimension ${cfg.dimension}; ` +
        `${cfg.rounds} link(s) per size, each to a new project, median reported. The engine sets run one after the other.`,
    );
    const sets: LinkEngineSet[] = [
      {
        name: 'embedded',
        stores,
        requests: null,
        describe: "Postgres vector index, Postgres full-text search and Postgres graph on the stores' own pool of 6.",
      },
    ];
    const engines = await startRealEngines();
    if ('skipped' in engines) {
      console.log(`Real engines: skipped (${engines.skipped}); only the embedded stores are measured.`);
    } else {
      onCleanup(() => engines.stop());
      const real = realEngineSet(engines);
      onCleanup(() => real.drop());
      sets.push({
        name: real.name,
        requests: real.requests,
        stores: { ...stores, vectors: real.vectors, text: real.text },
        describe: `${real.describe}; the graph on Postgres (the stores' pool of 6). Engine HTTP requests are counted at the clients' fetch.`,
      });
    }
    console.log('');

    const bySet: Array<{ set: LinkEngineSet; results: SizeResult[] }> = [];
    for (const set of sets)
      bySet.push({ set, results: await runSet(set, { events, statements: stores.statements, projectorSql, projectorStatements }) });

    const short = (set: LinkEngineSet): string => (set.requests ? 'Q+M' : 'emb');
    const header = [
      'chunks',
      ...bySet.flatMap(({ set }) => [
        `${short(set)} link ms`,
        `${short(set)} store calls`,
        ...(set.requests ? [`${short(set)} HTTP req`] : []),
        `${short(set)} loop ms`,
        `${short(set)} loop calls`,
        `${short(set)} speed-up`,
      ]),
    ];
    const rows = cfg.sizes.map((n) => [
      fmtInt(n),
      ...bySet.flatMap(({ set, results }) => {
        const r = results.find((x) => x.n === n);
        if (!r) return set.requests ? ['', '', '', '', '', ''] : ['', '', '', '', ''];
        return [
          fmtMs(r.link.visibleMs),
          String(r.link.storeCalls),
          ...(set.requests ? [String(r.link.requests)] : []),
          fmtMs(r.loop.ms),
          fmtInt(r.loop.calls),
          fmtRatio(r.loop.ms / r.link.visibleMs),
        ];
      }),
    ]);
    console.log(table(header, rows));
    console.log(
      'link ms: from the LinkDocument command (read stream, decide, append) until the vector count scoped to the project is N, ' +
        'a text search scoped to it finds the document and the graph has the BELONGS_TO link (checks included). store calls: calls on ' +
        'the vector, text, graph and blob stores by the four projectors for that one event. HTTP req: the requests those calls sent to ' +
        'Qdrant and Meilisearch, Meilisearch task polls (waiting, not work) left out. loop: one upsert per chunk on vectors and on text, ' +
        'plus one graph link, writes only. speed-up = loop ms ÷ link ms. emb = embedded, Q+M = Qdrant + Meilisearch.',
    );
    for (const { set, results } of bySet) {
      const callCounts = new Set(results.map((r) => r.link.storeCalls));
      const storeSql = new Set(results.map((r) => r.link.storeSql));
      const requests = new Set(results.map((r) => r.link.requests));
      const atGoal = results.find((r) => r.n === GOAL_CHUNKS);
      console.log(
        `${set.name}: store calls per link ${[...callCounts].join(', ')} at ${results.map((r) => fmtInt(r.n)).join(' / ')} chunks ` +
          `(${callCounts.size === 1 ? 'constant' : 'NOT constant'}); store-pool SQL statements ${[...storeSql].join(', ')} ` +
          `(${storeSql.size === 1 ? 'constant' : 'NOT constant'})` +
          `${set.requests ? `; engine HTTP requests ${results.map((r) => r.link.requests).join(' / ')} (${requests.size === 1 ? 'constant' : 'NOT constant'})` : ''}. ` +
          (atGoal
            ? `Goal "a ${fmtInt(GOAL_CHUNKS)}-chunk link visible in every store in < ${fmtInt(GOAL_MS)} ms": ${atGoal.link.visibleMs < GOAL_MS && atGoal.link.visible ? 'met' : 'NOT met'} (${fmtMs(atGoal.link.visibleMs)} ms).`
            : `Goal line skipped: no ${fmtInt(GOAL_CHUNKS)}-chunk size in BENCH_LINK_CHUNKS.`),
      );
    }
  });
}

runMain(main);
