/**
 * Search relevance on a labelled evaluation set (bench/relevance/: 300+ documents in recurring
 * storylines plus distractors, 70 queries with graded judgements, split into dev and held-out),
 * measured as users get it: the whole platform in this process on its embedded stores, the
 * corpus uploaded through the API into one project per embedding model, every query through
 * `POST /projects/{id}/search` in keyword, vector and hybrid mode. Prints nDCG@10, recall@20 and
 * MRR per mode × model × split, the out-of-corpus queries answered empty, and the goal lines.
 * Never fails on a number. See bench/README.md.
 *
 *   npx tsx bench/relevance.ts
 *   BENCH_RELEVANCE_MODELS=local-hashing-v1-384,all-minilm-l6-v2-q npx tsx bench/relevance.ts
 */
import { embedderRegistry } from '@mandant/platform';
import { startHarness } from '@mandant/platform/testing';
import { readEnv } from '@mandant/shared/env';
import { fmtRatio, runMain, serverUrl, table } from './src/harness.ts';
import { type EvalSet, type Query, SPLITS, loadEvalSet } from './relevance/data.ts';
import { documentRanking, mean, ndcgAt, reciprocalRank, recallAt } from './relevance/metrics.ts';
import { type Hit, loadCorpus, search } from './relevance/platform.ts';

const HASHING = 'local-hashing-v1-384';
/** Local models tried when BENCH_RELEVANCE_MODELS is not set; each is measured if this deployment serves it. */
const LOCAL_CANDIDATES = ['all-minilm-l6-v2-q', 'e5-small-v2-q', 'bge-small-en-v1.5-q', 'bge-small-en-v15-q'];
const MODES = ['keyword', 'vector', 'hybrid'] as const;
/** hits asked for per query: chunks, reduced to documents; recall@20 needs 20 documents */
const LIMIT = 100;
/** MRR counts the first document graded at least this (2: substantially relevant) */
const MRR_GRADE = 2;

type Mode = (typeof MODES)[number];

/** The models to compare: BENCH_RELEVANCE_MODELS, else hashing plus every local model the platform's registry serves. */
async function modelsToCompare(): Promise<{ models: string[]; unavailable: string[] }> {
  const listed = process.env.BENCH_RELEVANCE_MODELS?.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (listed && listed.length > 0) return { models: listed, unavailable: [] };
  const registry = embedderRegistry(readEnv({ ...process.env, EMBEDDING_MODEL: HASHING }));
  const models = [HASHING];
  const unavailable: string[] = [];
  for (const id of LOCAL_CANDIDATES) {
    const embedder = registry.get(id);
    const works = embedder
      ? await embedder.embed(['probe']).then(
          () => true,
          () => false,
        )
      : false;
    if (works && embedder && !models.some((m) => registry.get(m)?.model === embedder.model)) models.push(id);
    else if (!works) unavailable.push(id);
  }
  return { models, unavailable };
}

interface Scores {
  ndcg10: number;
  recall20: number;
  mrr: number;
  /** share of out-of-corpus queries answered with nothing (or only weak hits) */
  oocEmpty: number;
  queries: number;
}

/** A query's answer: its document ranking, and whether it counts as empty (no hit, or only hits marked weak). */
interface Answer {
  ranking: string[];
  empty: boolean;
}

function answerOf(hits: Hit[], corpusIdOf: Map<string, string>): Answer {
  const strong = hits.filter((h) => h.match !== 'weak');
  return {
    ranking: documentRanking(hits).map((id) => corpusIdOf.get(id) ?? id),
    empty: strong.length === 0,
  };
}

function score(set: EvalSet, queries: Query[], answers: Map<string, Answer>): Scores {
  const inCorpus = queries.filter((q) => q.kind !== 'out-of-corpus');
  const ooc = queries.filter((q) => q.kind === 'out-of-corpus');
  const per = (f: (ranking: string[], grades: Map<string, number>) => number) =>
    mean(inCorpus.map((q) => f(answers.get(q.id)?.ranking ?? [], set.grades.get(q.id) ?? new Map())));
  return {
    ndcg10: per((r, g) => ndcgAt(r, g, 10)),
    recall20: per((r, g) => recallAt(r, g, 20)),
    mrr: per((r, g) => reciprocalRank(r, g, MRR_GRADE)),
    oocEmpty: ooc.length === 0 ? Number.NaN : ooc.filter((q) => answers.get(q.id)?.empty ?? true).length / ooc.length,
    queries: queries.length,
  };
}

const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'n/a');

async function main(): Promise<void> {
  const set = loadEvalSet();
  const { models, unavailable } = await modelsToCompare();
  const count = (split: string) => set.queries.filter((q) => q.split === split).length;
  console.log(
    `Evaluation set: ${set.docs.length} documents, ${set.queries.length} queries (${count('dev')} dev, ${count('held-out')} held-out; ` +
      `${set.queries.filter((q) => q.kind === 'out-of-corpus').length} out of corpus), ${set.judgements.length} graded judgements.`,
  );
  console.log(`Models: ${models.join(', ')}${unavailable.length ? ` (not served here: ${unavailable.join(', ')})` : ''}.`);

  const h = await startHarness({ ownerUrl: serverUrl(), env: { EMBEDDING_MODEL: HASHING } });
  try {
    const loaded = await loadCorpus(h, set.docs, models, (s) => console.log(s));
    // answers[model][mode] : query id → answer
    const answers = new Map<string, Map<Mode, Map<string, Answer>>>();
    const t0 = performance.now();
    for (const model of models) {
      const projectId = loaded.projects.get(model) ?? '';
      const byMode = new Map<Mode, Map<string, Answer>>();
      for (const mode of MODES) {
        const got = new Map<string, Answer>();
        for (const q of set.queries)
          got.set(q.id, answerOf(await search(h, loaded.key, projectId, q.text, mode, LIMIT), loaded.corpusIdOf));
        byMode.set(mode, got);
      }
      answers.set(model, byMode);
    }
    const searches = models.length * MODES.length * set.queries.length;
    console.log(`${searches} searches in ${((performance.now() - t0) / 1000).toFixed(1)} s.\n`);

    const scores = (model: string, mode: Mode, split: string | null) =>
      score(
        set,
        set.queries.filter((q) => split === null || q.split === split),
        answers.get(model)?.get(mode) ?? new Map(),
      );
    for (const split of SPLITS) {
      console.log(
        `${split} (${count(split)} queries; MRR: first document graded ≥ ${MRR_GRADE}; out of corpus: answered with nothing or only weak hits)`,
      );
      const rows = models.flatMap((model) =>
        MODES.map((mode) => {
          const s = scores(model, mode, split);
          return [model, mode, f3(s.ndcg10), f3(s.recall20), f3(s.mrr), pct(s.oocEmpty)];
        }),
      );
      console.log(table(['model', 'mode', 'nDCG@10', 'recall@20', 'MRR', 'out of corpus empty'], rows));
      console.log('');
    }

    const kinds = [...new Set(set.queries.map((q) => q.kind))].filter((k) => k !== 'out-of-corpus');
    console.log('nDCG@10 by query kind, hybrid, dev and held-out together');
    console.log(
      table(
        ['model', ...kinds],
        models.map((model) => [
          model,
          ...kinds.map((k) =>
            f3(
              score(
                set,
                set.queries.filter((q) => q.kind === k),
                answers.get(model)?.get('hybrid') ?? new Map(),
              ).ndcg10,
            ),
          ),
        ]),
      ),
    );
    console.log('');

    console.log('Goals (nDCG@10, held-out split; dev in brackets)');
    for (const model of models) {
      const [hy, kw, ve] = (['hybrid', 'keyword', 'vector'] as const).map((m) => scores(model, m, 'held-out').ndcg10);
      const [hyD, kwD, veD] = (['hybrid', 'keyword', 'vector'] as const).map((m) => scores(model, m, 'dev').ndcg10);
      const beats = (hy ?? 0) > Math.max(kw ?? 0, ve ?? 0);
      console.log(
        `  ${model}: hybrid beats keyword and vector alone: ${beats ? 'yes' : 'NO'} — hybrid/keyword ${fmtRatio((hy ?? 0) / (kw ?? 0))} [${fmtRatio((hyD ?? 0) / (kwD ?? 0))}], ` +
          `hybrid/vector ${fmtRatio((hy ?? 0) / (ve ?? 0))} [${fmtRatio((hyD ?? 0) / (veD ?? 0))}]`,
      );
    }
    const best = models.find((m) => m !== HASHING);
    if (best) {
      const ratio = (split: string) => scores(best, 'hybrid', split).ndcg10 / scores(HASHING, 'hybrid', split).ndcg10;
      console.log(
        `  hybrid with ${best} ≥ 1.5× hashing's nDCG@10: ${ratio('held-out') >= 1.5 ? 'yes' : 'NO'} — ${fmtRatio(ratio('held-out'))} [${fmtRatio(ratio('dev'))}]`,
      );
    } else console.log(`  hybrid with a local model ≥ 1.5× hashing's nDCG@10: n/a (only ${HASHING} is served here)`);
    for (const model of models) {
      const all = MODES.map((m) => `${m} ${pct(scores(model, m, null).oocEmpty)}`).join(', ');
      const hybrid = scores(model, 'hybrid', null).oocEmpty;
      console.log(`  ${model}: out-of-corpus queries answered empty: ${hybrid === 1 ? 'yes' : 'NO'} in hybrid — ${all}`);
    }
  } finally {
    await h.stop();
  }
}

runMain(main);
