/**
 * Fusion rules compared offline. `capture` loads the evaluation set into the platform once (as
 * bench/relevance.ts does) and saves each query's keyword, vector and hybrid answer through the
 * API (chunk, corpus document, score, strong or weak) with each model's similarity floor;
 * `compare` then scores fusion rules over the saved keyword and vector lists in a second, per
 * model and split (nDCG@10, recall@20, MRR), beside the saved answers of the three modes.
 * Tune on the dev split only; confirm a winner with one real run of bench/relevance.ts.
 *
 *   BENCH_RELEVANCE_MODELS=local-hashing-v1-384,all-minilm-l6-v2-q npx tsx bench/relevance/fusion.ts capture /tmp/lists.json
 *   npx tsx bench/relevance/fusion.ts compare /tmp/lists.json [dev|held-out]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { embedderRegistry } from '@mandant/platform';
import { startHarness } from '@mandant/platform/testing';
import { readEnv } from '@mandant/shared/env';
import { runMain, serverUrl, table } from '../src/harness.ts';
import { loadEvalSet } from './data.ts';
import { documentRanking } from './metrics.ts';
import { loadCorpus } from './platform.ts';
import { MODES, type Mode, score } from './report.ts';

const HASHING = 'local-hashing-v1-384';
/** hits asked for per query and mode, as bench/relevance.ts asks */
const LIMIT = 100;

interface Hit {
  chunk: string;
  doc: string;
  score: number;
  match: string;
}
/** model → floor and query id → mode → hits */
type Captured = Record<string, { floor: number; queries: Record<string, Record<Mode, Hit[]>> }>;

async function capture(out: string): Promise<void> {
  const set = loadEvalSet();
  const models = (process.env.BENCH_RELEVANCE_MODELS ?? `${HASHING},all-minilm-l6-v2-q`).split(',').map((m) => m.trim());
  const registry = embedderRegistry(readEnv({ ...process.env, EMBEDDING_MODEL: HASHING }));
  const h = await startHarness({ ownerUrl: serverUrl(), env: { EMBEDDING_MODEL: HASHING } });
  try {
    const loaded = await loadCorpus(h, set.docs, models, (s) => console.log(s));
    const captured: Captured = {};
    for (const model of models) {
      const projectId = loaded.projects.get(model) ?? '';
      const queries: Record<string, Record<Mode, Hit[]>> = {};
      for (const q of set.queries) {
        const byMode = {} as Record<Mode, Hit[]>;
        for (const mode of MODES) {
          const res = await fetch(`${h.api}/projects/${projectId}/search`, {
            method: 'POST',
            headers: { authorization: `Bearer ${loaded.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query: q.text, mode, limit: LIMIT }),
          });
          if (!res.ok) throw new Error(`search ${q.id} ${mode} -> ${res.status} ${await res.text()}`);
          const body = (await res.json()) as { hits: Array<{ chunk_id: string; document_id: string; score: number; match: string }> };
          byMode[mode] = body.hits.map((x) => ({
            chunk: x.chunk_id,
            doc: loaded.corpusIdOf.get(x.document_id) ?? x.document_id,
            score: x.score,
            match: x.match,
          }));
        }
        queries[q.id] = byMode;
      }
      captured[model] = { floor: registry.get(model)?.minSimilarity ?? 0, queries };
    }
    writeFileSync(out, JSON.stringify(captured));
    console.log(`Saved each query's answers per model and mode: ${out}`);
  } finally {
    await h.stop();
  }
}

/** A fusion rule: the keyword and vector lists (each in its engine's order, vector at or above the floor) → one chunk ranking. */
type Rule = (keyword: Hit[], vector: Hit[], floor: number) => Hit[];

/**
 * Sums each list's `add` per chunk; sorts by `tier` (higher first), then the sum, then the chunk id.
 * `tier` sees the chunk's keyword hit (undefined when the keyword engine did not find it).
 */
function fuse(
  keyword: Hit[],
  vector: Hit[],
  add: (list: 'keyword' | 'vector', rank: number, h: Hit) => number,
  tier = (_k?: Hit) => 0,
): Hit[] {
  const sums = new Map<string, { hit: Hit; sum: number; kw?: Hit }>();
  for (const [list, hits] of [
    ['keyword', keyword],
    ['vector', vector],
  ] as const)
    hits.forEach((h, i) => {
      const e = sums.get(h.chunk) ?? { hit: h, sum: 0 };
      e.sum += add(list, i + 1, h);
      if (list === 'keyword') e.kw = h;
      sums.set(h.chunk, e);
    });
  return [...sums.values()]
    .sort((a, b) => tier(b.kw) - tier(a.kw) || b.sum - a.sum || (a.hit.chunk < b.hit.chunk ? -1 : 1))
    .map((e) => e.hit);
}

/** reciprocal rank, keyword weight 1, vector weight `wv` */
const rrf =
  (k: number, wv: number): Rule =>
  (kw, vec) =>
    fuse(kw, vec, (l, r) => (l === 'keyword' ? 1 : wv) / (k + r));
/** strong keyword hits (more than half of the query's words) first, then `rrf(k, wv)` */
const tiered =
  (k: number, wv: number): Rule =>
  (kw, vec) =>
    fuse(
      kw,
      vec,
      (l, r) => (l === 'keyword' ? 1 : wv) / (k + r),
      (h) => (h?.match === 'strong' ? 1 : 0),
    );
/** scores: keyword score over the list's best + `wv` × the vector similarity's share above the floor */
const scoreAware =
  (wv: number): Rule =>
  (kw, vec, floor) => {
    const best = Math.max(1e-9, ...kw.map((h) => h.score));
    return fuse(kw, vec, (l, _r, h) => (l === 'keyword' ? h.score / best : (wv * (h.score - floor)) / (1 - floor)));
  };
/** reciprocal rank, the vector's term scaled by its similarity's share above the floor */
const rrfShare =
  (k: number, wv: number): Rule =>
  (kw, vec, floor) =>
    fuse(kw, vec, (l, r, h) => (l === 'keyword' ? 1 : (wv * (h.score - floor)) / (1 - floor)) / (k + r));
/** reciprocal rank, the vector's term damped by `d` on chunks with a strong keyword hit */
const damped =
  (k: number, d: number): Rule =>
  (kw, vec) => {
    const strong = new Set(kw.filter((h) => h.match === 'strong').map((h) => h.chunk));
    return fuse(kw, vec, (l, r, h) => (l === 'keyword' ? 1 : strong.has(h.chunk) ? d : 1) / (k + r));
  };

const RULES: Record<string, Rule> = {};
for (const k of [5, 20, 60]) for (const wv of [1, 0.5, 0.3, 0.2]) RULES[`rrf k=${k} vector ×${wv}`] = rrf(k, wv);
for (const k of [5, 20, 60]) for (const wv of [1, 0.5, 0.3]) RULES[`tiers, rrf k=${k} vector ×${wv}`] = tiered(k, wv);
for (const wv of [1, 0.5, 0.3, 0.1]) RULES[`score-aware vector ×${wv}`] = scoreAware(wv);
for (const k of [10, 60]) for (const wv of [1, 2]) RULES[`rrf k=${k} vector ×${wv}×share above floor`] = rrfShare(k, wv);
for (const k of [10, 60]) for (const d of [0, 0.5]) RULES[`rrf k=${k} vector ×${d} on strong keyword hits`] = damped(k, d);

function compare(file: string, split: string): void {
  const captured = JSON.parse(readFileSync(file, 'utf8')) as Captured;
  const set = loadEvalSet();
  const queries = set.queries.filter((q) => q.split === split);
  const f3 = (n: number) => n.toFixed(3);
  const scored = (rank: (id: string) => Hit[]) =>
    score(
      set,
      queries,
      new Map(queries.map((q) => [q.id, { ranking: documentRanking(rank(q.id).map((h) => ({ document_id: h.doc }))), empty: false }])),
    );
  for (const [model, { floor, queries: lists }] of Object.entries(captured)) {
    const keyword = scored((id) => lists[id]?.keyword ?? []);
    const rows = [
      ...MODES.map((mode) => ({ name: `saved ${mode} answer`, s: mode === 'keyword' ? keyword : scored((id) => lists[id]?.[mode] ?? []) })),
      ...Object.entries(RULES)
        .map(([name, rule]) => ({ name, s: scored((id) => rule(lists[id]?.keyword ?? [], lists[id]?.vector ?? [], floor)) }))
        .sort((a, b) => b.s.ndcg10 - a.s.ndcg10),
    ];
    console.log(`${model} (floor ${floor}), ${split} (${queries.length} queries)`);
    console.log(
      table(
        ['rule', 'nDCG@10', '÷ keyword', 'recall@20', 'MRR'],
        rows.map(({ name, s }) => [name, f3(s.ndcg10), `${(s.ndcg10 / keyword.ndcg10).toFixed(3)}×`, f3(s.recall20), f3(s.mrr)]),
      ),
    );
    console.log('');
  }
}

async function main(): Promise<void> {
  const [command, file = '/tmp/lists.json', split = 'dev'] = process.argv.slice(2);
  if (command === 'capture') return capture(file);
  if (command === 'compare') return compare(file, split);
  throw new Error('usage: fusion.ts capture <file> | compare <file> [dev|held-out]');
}

runMain(main);
