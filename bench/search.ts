/**
 * Project-scoped hybrid search over one tenant's 100,000 chunks, on the embedded stores (Postgres
 * vectors and full text) and on the real engines (Qdrant vectors, Meilisearch text) in the same
 * run, side by side: keyword, vector and hybrid (both at once, fused by reciprocal rank) latency,
 * p50/p95/p99, next to the embedded vector index's streaming path (no cache) as the baseline.
 * The real engines are the servers QDRANT_URL / MEILI_URL name, else started here; without
 * them their columns are skipped. Prints figures and ratios; never fails on a timing.
 * See bench/README.md.
 */
import { performance } from 'node:perf_hooks';
import { createHashingEmbedder } from '@mandant/ingestion';
import { createSql } from '@mandant/shared/db';
import { createPostgresTextIndex } from '@mandant/shared/stores/text';
import { createPostgresVectorIndex } from '@mandant/shared/stores/vectors';
import type { EmbeddingModel, VectorIndex, VectorPoint } from '@mandant/shared/stores/vectors';
import { type EngineSet, embeddedEngineSet, realEngineSet, startRealEngines } from './src/engines.ts';
import { fmtInt, fmtMs, fmtRatio, intEnv, machineLine, median, runMain, serverUrl, table, withFreshDatabase } from './src/harness.ts';
import { type Percentiles, percentiles, rrf, timeEach } from './src/latency.ts';
import { type CorpusShape, corpus, projectIdsOf, queries, seededUuid } from './src/search-corpus.ts';

const cfg = {
  chunks: intEnv('BENCH_SEARCH_CHUNKS', 100_000),
  projects: intEnv('BENCH_SEARCH_PROJECTS', 10),
  dimension: intEnv('BENCH_DIMENSION', 384),
  queries: intEnv('BENCH_SEARCH_QUERIES', 200),
  warmup: intEnv('BENCH_SEARCH_WARMUP', 20, 0),
  rounds: intEnv('BENCH_SEARCH_ROUNDS', 3),
  limit: intEnv('BENCH_SEARCH_LIMIT', 20),
  baseline: intEnv('BENCH_SEARCH_BASELINE_QUERIES', 30, 0),
  batch: intEnv('BENCH_SEARCH_BATCH', 500),
  inflight: intEnv('BENCH_SEARCH_LOAD_INFLIGHT', 4),
  settleS: intEnv('BENCH_SEARCH_SETTLE_SECONDS', 900),
};
const GOAL_MS = 50;
const SHAPE: CorpusShape = { chunks: cfg.chunks, chunksPerDocument: 20, projects: cfg.projects, sharedShare: 0.1, seed: 42 };
const TENANT = seededUuid('bench-search-tenant');
const MODES = ['keyword', 'vector', 'hybrid'] as const;
const SCOPES = ['project', 'global'] as const;

type Scope = (typeof SCOPES)[number];
interface Query {
  text: string;
  vector: number[];
  projectIds?: string[];
}

function searchers(vectors: VectorIndex, text: EngineSet['text'], model: EmbeddingModel) {
  const scoped = (q: Query) => ({ limit: cfg.limit, ...(q.projectIds ? { projectIds: q.projectIds } : {}) });
  const keyword = (q: Query) => text.search(TENANT, q.text, scoped(q));
  const vector = (q: Query) => vectors.search(TENANT, model, q.vector, scoped(q));
  // as the search service runs them: both calls at once, fused by rank
  const hybrid = async (q: Query) => rrf(await Promise.all([keyword(q), vector(q)]), cfg.limit);
  return { keyword, vector, hybrid };
}

/**
 * The corpus through both adapters' upsert, `cfg.inflight` batches at a time (the two stores of a
 * batch at once), then until the engines have indexed it all. The hashing embedder's share is
 * timed apart: it is the same work for every set.
 */
async function load(
  set: EngineSet,
  model: EmbeddingModel,
  embed: (texts: string[]) => Promise<number[][]>,
): Promise<{ writeS: number; embedS: number; settleS: number }> {
  await set.vectors.ensureCollection(TENANT, model);
  await set.text.ensureIndex(TENANT);
  const t0 = performance.now();
  let embedMs = 0;
  const inflight = new Set<Promise<void>>();
  for (const batch of corpus(SHAPE, cfg.batch)) {
    const e0 = performance.now();
    const vecs = await embed(batch.map((c) => c.text));
    embedMs += performance.now() - e0;
    const points = batch.map((c, i): VectorPoint => ({
      id: c.id,
      vector: vecs[i] ?? [],
      payload: {
        tenant_id: TENANT,
        document_id: c.documentId,
        project_ids: c.projectIds,
        chunk_index: c.chunkIndex,
        document_type: c.documentType,
        created_at: c.createdAt,
        entity_names: c.entityNames,
      },
    }));
    const write = Promise.all([
      set.vectors.upsert(TENANT, model, points),
      set.text.upsert(
        TENANT,
        batch.map((c) => ({
          id: c.id,
          document_id: c.documentId,
          title: c.title,
          content: c.text,
          project_ids: c.projectIds,
          document_type: c.documentType,
          entity_names: c.entityNames,
          created_at: c.createdAt,
        })),
      ),
    ]).then(() => void inflight.delete(write));
    inflight.add(write);
    if (inflight.size >= cfg.inflight) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const t1 = performance.now();
  await set.settled(cfg.settleS * 1000);
  return { writeS: (t1 - t0) / 1000, embedS: embedMs / 1000, settleS: (performance.now() - t1) / 1000 };
}

async function main(): Promise<void> {
  await withFreshDatabase(async ({ appUrl, pgVersion }, onCleanup) => {
    console.log(machineLine(pgVersion));
    const sql = createSql(appUrl, { max: 4, appName: 'mandant-bench-search' });
    onCleanup(() => sql.end({ timeout: 5 }));
    const embedder = createHashingEmbedder({ dimension: cfg.dimension });
    const model: EmbeddingModel = { id: embedder.model, dimension: embedder.dimension };
    const embedded = embeddedEngineSet({ vectors: createPostgresVectorIndex({ sql }), text: createPostgresTextIndex({ sql }) });
    const streaming = createPostgresVectorIndex({ sql, cacheBytes: 0 });
    const sets: EngineSet[] = [embedded];
    const engines = await startRealEngines();
    if ('skipped' in engines) {
      console.log(`Real engines: skipped (${engines.skipped}); only the embedded columns are measured.`);
    } else {
      onCleanup(() => engines.stop());
      const real = realEngineSet(engines);
      onCleanup(() => real.drop());
      sets.push(real);
    }
    for (const set of sets) console.log(`Engine set "${set.name}": ${set.describe}.`);

    // 1. load, one set after the other, so neither load time includes the other's
    const projects = projectIdsOf(SHAPE);
    for (const set of sets) {
      const t = await load(set, model, (texts) => embedder.embed(texts));
      if (set === embedded) await analyze(appUrl);
      const perProject = await Promise.all(projects.map((p) => set.vectors.count(TENANT, model, { projectIds: [p] })));
      console.log(
        `Corpus on ${set.name}: ${fmtInt(cfg.chunks)} chunks (dimension ${cfg.dimension}) in ${fmtInt(cfg.chunks / SHAPE.chunksPerDocument)} documents, ` +
          `${cfg.projects} projects of ${fmtInt(Math.min(...perProject))}–${fmtInt(Math.max(...perProject))} chunks (10% of documents in 2 projects); ` +
          `written through both adapters' upsert (${fmtInt(cfg.batch)} chunks a call, ${cfg.inflight} in flight) in ${t.writeS.toFixed(1)} s ` +
          `(of which hashing embeddings ${t.embedS.toFixed(1)} s), indexed ${t.settleS.toFixed(1)} s later` +
          `${set === embedded ? ', then ANALYZE' : ' (Qdrant optimizers idle, no Meilisearch task pending)'}.`,
      );
    }

    // 2. queries: pre-embedded (the embedder's time is not the stores'), a project each, round robin
    const qs = queries(cfg.queries + cfg.warmup, SHAPE.seed);
    const vectorsOf = await embedder.embed(qs.map((q) => q.text));
    const make = (scope: Scope): Query[] =>
      qs.map((q, i) => ({
        text: q.text,
        vector: vectorsOf[i] ?? [],
        ...(scope === 'project' ? { projectIds: [projects[i % projects.length] ?? ''] } : {}),
      }));
    const byScope: Record<Scope, Query[]> = { project: make('project'), global: make('global') };

    // 3. the first cached search loads the collection; later ones only check its revision
    const cold = await timeEach(1, () =>
      embedded.vectors.search(TENANT, model, byScope.project[0]?.vector ?? [], { limit: cfg.limit, projectIds: [projects[0] ?? ''] }),
    );
    console.log(
      `Cold cache: the first embedded vector search (loads the whole collection into the process) took ${fmtMs(cold[0] ?? NaN)} ms.`,
    );
    const agree = await overlap(byScope, embedded.vectors, streaming, model);
    console.log(`Embedded cached vs streaming answers on ${agree.checked} queries (project and global): ${agree.same} identical id lists.`);
    for (const set of sets.filter((s) => s !== embedded)) {
      const o = await overlap(byScope, set.vectors, streaming, model);
      console.log(
        `${set.name} vector answers vs the exact (streaming) ones on ${o.checked} queries: ${o.same} identical id lists, ` +
          `recall@${cfg.limit} ${(o.recall * 100).toFixed(1)}% (the HNSW index is approximate).`,
      );
    }

    // 4. measured rounds: each round measures every set in turn, so a busy stretch of the machine hits both
    const results = new Map<string, Percentiles[]>();
    const record = (key: string, p: Percentiles): void => void results.set(key, [...(results.get(key) ?? []), p]);
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const set of sets) {
        const fast = searchers(set.vectors, set.text, model);
        const line: string[] = [];
        for (const scope of SCOPES) {
          const list = byScope[scope];
          for (const mode of MODES) {
            await timeEach(cfg.warmup, (i) => fast[mode](list[i % list.length] as Query));
            const p = percentiles(await timeEach(cfg.queries, (i) => fast[mode](list[cfg.warmup + i] as Query)));
            record(`${set.name}|${scope} ${mode}`, p);
            line.push(`${scope} ${mode} p95 ${fmtMs(p.p95)}`);
          }
        }
        if (set === embedded && cfg.baseline > 0) {
          // the baseline: the streaming vector path (as before the cache), fewer queries, it is slow
          const slow = searchers(streaming, set.text, model);
          for (const scope of SCOPES) {
            for (const mode of ['vector', 'hybrid'] as const) {
              const p = percentiles(await timeEach(cfg.baseline, (i) => slow[mode](byScope[scope][cfg.warmup + i] as Query)));
              record(`${set.name}|${scope} ${mode} (streaming)`, p);
              line.push(`${scope} ${mode} streaming p95 ${fmtMs(p.p95)}`);
            }
          }
        }
        console.log(`round ${round}/${cfg.rounds}, ${set.name}: ${line.join(', ')} ms`);
      }
    }

    // 4b. the same project-scoped queries with gzip responses, the official clients' default (see createQdrantClient)
    for (const set of sets) {
      const counter = set.requests;
      if (counter === null) continue;
      const fast = searchers(set.vectors, set.text, model);
      const list = byScope.project;
      counter.acceptEncoding = 'gzip, deflate';
      try {
        for (const mode of MODES) {
          await timeEach(cfg.warmup, (i) => fast[mode](list[i % list.length] as Query));
          record(
            `${set.name}|project ${mode} (gzip responses)`,
            percentiles(await timeEach(cfg.queries, (i) => fast[mode](list[cfg.warmup + i] as Query))),
          );
        }
      } finally {
        counter.acceptEncoding = null;
      }
    }

    // 5. freshness: a write, then the next search
    for (const set of sets) {
      const fresh = await freshness(set.vectors, model, projects[0] ?? '', byScope.project[0]?.vector ?? []);
      console.log(
        `After writes, ${set.name}: next project-scoped vector search ${fresh.map(([what, ms]) => `${what} ${fmtMs(ms)} ms`).join(', ')}.`,
      );
    }

    report(sets, results);
  });
}

/** The side-by-side table (medians over the rounds of each round's percentiles) and the goal lines. */
function report(sets: EngineSet[], results: Map<string, Percentiles[]>): void {
  const rowKeys = [...new Set([...results.keys()].map((k) => k.split('|')[1] ?? ''))];
  const cells = (set: EngineSet, key: string): string[] => {
    const ps = results.get(`${set.name}|${key}`);
    if (!ps) return ['', '', '', ''];
    const m = (f: (p: Percentiles) => number): string => fmtMs(median(ps.map(f)));
    return [m((p) => p.p50), m((p) => p.p95), fmtMs(Math.max(...ps.map((p) => p.p95))), m((p) => p.p99)];
  };
  const rows = rowKeys.map((key) => [
    key,
    fmtInt(Math.max(...sets.map((s) => results.get(`${s.name}|${key}`)?.[0]?.n ?? 0))),
    ...sets.flatMap((s) => cells(s, key)),
  ]);
  const short = (s: EngineSet): string => (s.name === 'embedded' ? 'emb' : 'Q+M');
  console.log(
    `\nMedian over ${cfg.rounds} rounds of each round's percentiles (ms); limit ${cfg.limit} per store call, hybrid = both calls at once + RRF; ` +
      `${sets.map((s) => `${short(s)} = ${s.name}`).join(', ')}:\n`,
  );
  console.log(
    table(['mode', 'queries/round', ...sets.flatMap((s) => ['p50', 'p95', 'worst p95', 'p99'].map((c) => `${short(s)} ${c}`))], rows),
  );
  console.log('');
  const p95Of = (set: EngineSet, key: string): number => median((results.get(`${set.name}|${key}`) ?? []).map((p) => p.p95));
  for (const set of sets) {
    const goal = p95Of(set, 'project hybrid');
    const base = p95Of(set, 'project hybrid (streaming)');
    console.log(
      `${set.name}: project-scoped hybrid p95 ${fmtMs(goal)} ms = ${fmtRatio(goal / GOAL_MS)} of the ${GOAL_MS} ms goal: ${goal < GOAL_MS ? 'met' : 'NOT met'}` +
        `${Number.isFinite(base) ? `; streaming vector path (baseline) ${fmtMs(base)} ms, ${fmtRatio(base / goal)} slower.` : '.'}`,
    );
  }
  const [first, second] = sets;
  if (first && second) {
    const ratio = (key: string): string => fmtRatio(p95Of(second, key) / p95Of(first, key));
    console.log(
      `${second.name} p95 ÷ ${first.name} p95: ${rowKeys
        .filter((k) => !k.includes('('))
        .map((k) => `${k} ${ratio(k)}`)
        .join(', ')}.`,
    );
  }
}

/** How far `a`'s vector answers agree with `b`'s: identical id lists, and the share of b's ids a also returns. */
async function overlap(
  byScope: Record<Scope, Query[]>,
  a: VectorIndex,
  b: VectorIndex,
  model: EmbeddingModel,
): Promise<{ checked: number; same: number; recall: number }> {
  let checked = 0;
  let same = 0;
  let found = 0;
  let wanted = 0;
  for (const list of [byScope.project.slice(0, 10), byScope.global.slice(0, 3)]) {
    for (const q of list) {
      const opts = { limit: cfg.limit, ...(q.projectIds ? { projectIds: q.projectIds } : {}) };
      const [x, y] = await Promise.all([a.search(TENANT, model, q.vector, opts), b.search(TENANT, model, q.vector, opts)]);
      checked += 1;
      if (JSON.stringify(x.map((h) => h.id)) === JSON.stringify(y.map((h) => h.id))) same += 1;
      const ids = new Set(x.map((h) => h.id));
      found += y.filter((h) => ids.has(h.id)).length;
      wanted += y.length;
    }
  }
  return { checked, same, recall: wanted === 0 ? 1 : found / wanted };
}

async function freshness(index: VectorIndex, model: EmbeddingModel, project: string, vector: number[]): Promise<Array<[string, number]>> {
  const doc = seededUuid('bench-search-fresh-doc');
  const search = async (): Promise<number> =>
    (await timeEach(1, () => index.search(TENANT, model, vector, { limit: cfg.limit, projectIds: [project] })))[0] ?? NaN;
  const points: VectorPoint[] = Array.from({ length: 100 }, (_, i) => ({
    id: seededUuid(`bench-search-fresh-${i}`),
    vector,
    payload: {
      tenant_id: TENANT,
      document_id: doc,
      project_ids: [project],
      chunk_index: i,
      document_type: 'pdf',
      created_at: new Date().toISOString(),
      entity_names: [],
    },
  }));
  const out: Array<[string, number]> = [];
  await index.upsert(TENANT, model, points);
  out.push(['after upserting 100 points', await search()]);
  out.push(['unchanged', await search()]);
  await index.setDocumentProjects(TENANT, model, doc, []);
  out.push(['after unlinking them', await search()]);
  await index.deleteDocument(TENANT, model, doc);
  out.push(['after deleting them', await search()]);
  return out;
}

/** ANALYZE as the database owner (the runtime role may not), as autovacuum would after a bulk load. */
async function analyze(appUrl: string): Promise<void> {
  const owner = new URL(serverUrl());
  owner.pathname = new URL(appUrl).pathname;
  const admin = createSql(owner.toString(), { max: 1, appName: 'mandant-bench-analyze' });
  try {
    await admin`analyze vector_points`;
    await admin`analyze text_documents`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

runMain(main);
