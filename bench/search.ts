/**
 * Project-scoped hybrid search over one tenant's 100,000 chunks on the embedded stores: keyword
 * (Postgres full text), vector (Postgres vector index) and hybrid (both at once, fused by
 * reciprocal rank) latency, p50/p95/p99, next to the vector index's streaming path (no cache)
 * measured in the same run as the baseline. Prints figures and ratios; never fails on a timing.
 * See bench/README.md.
 */
import { performance } from 'node:perf_hooks';
import { createHashingEmbedder } from '@mandant/ingestion/embed/hashing.ts';
import { createSql } from '@mandant/shared/db/connect.ts';
import { createPostgresTextIndex } from '@mandant/shared/stores/text/postgres.ts';
import type { TextIndex } from '@mandant/shared/stores/text/port.ts';
import { createPostgresVectorIndex } from '@mandant/shared/stores/vectors/postgres.ts';
import type { EmbeddingModel, VectorIndex, VectorPoint } from '@mandant/shared/stores/vectors/port.ts';
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
};
const GOAL_MS = 50;
const SHAPE: CorpusShape = { chunks: cfg.chunks, chunksPerDocument: 20, projects: cfg.projects, sharedShare: 0.1, seed: 42 };
const TENANT = seededUuid('bench-search-tenant');

type Scope = 'project' | 'global';
interface Query { text: string; vector: number[]; projectIds?: string[] }

function searchers(vectors: VectorIndex, text: TextIndex, model: EmbeddingModel) {
  const scoped = (q: Query) => ({ limit: cfg.limit, ...(q.projectIds ? { projectIds: q.projectIds } : {}) });
  const keyword = (q: Query) => text.search(TENANT, q.text, scoped(q));
  const vector = (q: Query) => vectors.search(TENANT, model, q.vector, scoped(q));
  // as the search service runs them: both calls at once, fused by rank
  const hybrid = async (q: Query) => rrf(await Promise.all([keyword(q), vector(q)]), cfg.limit);
  return { keyword, vector, hybrid };
}

async function main(): Promise<void> {
  await withFreshDatabase(async ({ appUrl, pgVersion }, onCleanup) => {
    console.log(machineLine(pgVersion));
    const sql = createSql(appUrl, { max: 4, appName: 'mandant-bench-search' });
    onCleanup(() => sql.end({ timeout: 5 }));
    const embedder = createHashingEmbedder({ dimension: cfg.dimension });
    const model: EmbeddingModel = { id: embedder.model, dimension: embedder.dimension };
    const cached = createPostgresVectorIndex({ sql });
    const streaming = createPostgresVectorIndex({ sql, cacheBytes: 0 });
    const text = createPostgresTextIndex({ sql });
    await cached.ensureCollection(TENANT, model);
    await text.ensureIndex(TENANT);

    // 1. load: both adapters' upsert, batch by batch, the two stores at once
    const t0 = performance.now();
    for (const batch of corpus(SHAPE, cfg.batch)) {
      const vecs = await embedder.embed(batch.map((c) => c.text));
      const points = batch.map((c, i): VectorPoint => ({
        id: c.id, vector: vecs[i] ?? [],
        payload: { tenant_id: TENANT, document_id: c.documentId, project_ids: c.projectIds, chunk_index: c.chunkIndex,
          document_type: c.documentType, created_at: c.createdAt, entity_names: c.entityNames },
      }));
      await Promise.all([
        cached.upsert(TENANT, model, points),
        text.upsert(TENANT, batch.map((c) => ({ id: c.id, document_id: c.documentId, title: c.title, content: c.text, project_ids: c.projectIds,
          document_type: c.documentType, entity_names: c.entityNames, created_at: c.createdAt }))),
      ]);
    }
    const loadS = (performance.now() - t0) / 1000;
    await analyze(appUrl);
    const projects = projectIdsOf(SHAPE);
    const perProject = await Promise.all(projects.map((p) => cached.count(TENANT, model, { projectIds: [p] })));
    console.log(`Corpus: ${fmtInt(cfg.chunks)} chunks (dimension ${cfg.dimension}) in ${fmtInt(cfg.chunks / SHAPE.chunksPerDocument)} documents, `
      + `${cfg.projects} projects of ${fmtInt(Math.min(...perProject))}–${fmtInt(Math.max(...perProject))} chunks (10% of documents in 2 projects); `
      + `loaded through both adapters' upsert in ${loadS.toFixed(1)} s, then ANALYZE.`);

    // 2. queries: pre-embedded (the embedder's time is not the stores'), a project each, round robin
    const qs = queries(cfg.queries + cfg.warmup, SHAPE.seed);
    const vectorsOf = await embedder.embed(qs.map((q) => q.text));
    const make = (scope: Scope): Query[] => qs.map((q, i) => ({
      text: q.text, vector: vectorsOf[i] ?? [], ...(scope === 'project' ? { projectIds: [projects[i % projects.length] ?? ''] } : {}),
    }));
    const byScope: Record<Scope, Query[]> = { project: make('project'), global: make('global') };
    const fast = searchers(cached, text, model);
    const slow = searchers(streaming, text, model);

    // 3. the first cached search loads the collection; later ones only check its revision
    const cold = await timeEach(1, () => cached.search(TENANT, model, byScope.project[0]?.vector ?? [], { limit: cfg.limit, projectIds: [projects[0] ?? ''] }));
    console.log(`Cold cache: the first vector search (loads the whole collection into the process) took ${fmtMs(cold[0] ?? NaN)} ms.`);
    const agree = await sameAnswers(byScope, cached, streaming, model);
    console.log(`Cached vs streaming answers on ${agree.checked} queries (project and global): ${agree.same} identical id lists.`);

    // 4. measured rounds
    const modes = ['keyword', 'vector', 'hybrid'] as const;
    const results = new Map<string, Percentiles[]>();
    const record = (key: string, p: Percentiles): void => void results.set(key, [...(results.get(key) ?? []), p]);
    for (let round = 1; round <= cfg.rounds; round++) {
      const line: string[] = [];
      for (const scope of ['project', 'global'] as const) {
        const list = byScope[scope];
        for (const mode of modes) {
          await timeEach(cfg.warmup, (i) => fast[mode](list[i % list.length] as Query));
          const samples = await timeEach(cfg.queries, (i) => fast[mode](list[cfg.warmup + i] as Query));
          const p = percentiles(samples);
          record(`${scope} ${mode}`, p);
          line.push(`${scope} ${mode} p95 ${fmtMs(p.p95)}`);
        }
      }
      // the baseline: the streaming vector path (as before the cache), fewer queries, it is slow
      for (const scope of ['project', 'global'] as const) {
        const list = byScope[scope];
        for (const mode of ['vector', 'hybrid'] as const) {
          if (cfg.baseline === 0) continue;
          const samples = await timeEach(cfg.baseline, (i) => slow[mode](list[cfg.warmup + i] as Query));
          const p = percentiles(samples);
          record(`${scope} ${mode} (streaming)`, p);
          line.push(`${scope} ${mode} streaming p95 ${fmtMs(p.p95)}`);
        }
      }
      console.log(`round ${round}/${cfg.rounds}: ${line.join(', ')} ms`);
    }

    // 5. freshness: a write, then the next search pays the revision delta, not a reload
    const fresh = await freshness(cached, model, projects[0] ?? '', byScope.project[0]?.vector ?? []);
    console.log(`After writes: next project-scoped vector search ${fresh.map(([what, ms]) => `${what} ${fmtMs(ms)} ms`).join(', ')}.`);

    const rows = [...results].map(([key, ps]) => {
      const m = (f: (p: Percentiles) => number): number => median(ps.map(f));
      return [key, fmtInt(ps[0]?.n ?? 0), fmtMs(m((p) => p.p50)), fmtMs(m((p) => p.p95)), fmtMs(Math.max(...ps.map((p) => p.p95))), fmtMs(m((p) => p.p99))];
    });
    console.log(`\nMedian over ${cfg.rounds} rounds of each round's percentiles (ms); limit ${cfg.limit} per store call, hybrid = both calls at once + RRF:\n`);
    console.log(table(['mode', 'queries/round', 'p50', 'p95', 'worst p95', 'p99'], rows));
    const goal = median((results.get('project hybrid') ?? []).map((p) => p.p95));
    const base = median((results.get('project hybrid (streaming)') ?? []).map((p) => p.p95));
    console.log(`\nProject-scoped hybrid p95 ${fmtMs(goal)} ms = ${fmtRatio(goal / GOAL_MS)} of the ${GOAL_MS} ms goal: ${goal < GOAL_MS ? 'met' : 'NOT met'}`
      + `${Number.isFinite(base) ? `; streaming vector path (baseline) ${fmtMs(base)} ms, ${fmtRatio(base / goal)} slower.` : '.'}`);
  });
}

/** Do the cached and the streaming paths return the same ids, in the same order? */
async function sameAnswers(byScope: Record<Scope, Query[]>, a: VectorIndex, b: VectorIndex, model: EmbeddingModel): Promise<{ checked: number; same: number }> {
  let checked = 0;
  let same = 0;
  for (const list of [byScope.project.slice(0, 10), byScope.global.slice(0, 3)]) {
    for (const q of list) {
      const opts = { limit: cfg.limit, ...(q.projectIds ? { projectIds: q.projectIds } : {}) };
      const [x, y] = await Promise.all([a.search(TENANT, model, q.vector, opts), b.search(TENANT, model, q.vector, opts)]);
      checked += 1;
      if (JSON.stringify(x.map((h) => h.id)) === JSON.stringify(y.map((h) => h.id))) same += 1;
    }
  }
  return { checked, same };
}

async function freshness(index: VectorIndex, model: EmbeddingModel, project: string, vector: number[]): Promise<Array<[string, number]>> {
  const doc = seededUuid('bench-search-fresh-doc');
  const search = async (): Promise<number> => (await timeEach(1, () => index.search(TENANT, model, vector, { limit: cfg.limit, projectIds: [project] })))[0] ?? NaN;
  const points: VectorPoint[] = Array.from({ length: 100 }, (_, i) => ({
    id: seededUuid(`bench-search-fresh-${i}`), vector,
    payload: { tenant_id: TENANT, document_id: doc, project_ids: [project], chunk_index: i, document_type: 'pdf', created_at: new Date().toISOString(), entity_names: [] },
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
