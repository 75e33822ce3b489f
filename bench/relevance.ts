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
 *   BENCH_RELEVANCE_OUT=/tmp/rankings.jsonl npx tsx bench/relevance.ts   # also each query's first 20 documents
 */
import { embedderRegistry } from '@mandant/platform';
import { startHarness } from '@mandant/platform/testing';
import { readEnv } from '@mandant/shared/env';
import { runMain, serverUrl } from './src/harness.ts';
import { loadEvalSet } from './relevance/data.ts';
import { loadCorpus, search } from './relevance/platform.ts';
import { type Answer, type Answers, MODES, type Mode, answerOf, report, writeRankings } from './relevance/report.ts';

const HASHING = 'local-hashing-v1-384';
/** Local models measured when BENCH_RELEVANCE_MODELS is not set, if this installation serves them; the first is what EMBEDDING_MODEL=auto picks. */
const LOCAL_CANDIDATES = ['all-minilm-l6-v2-q', 'e5-small-v2-q', 'bge-small-en-v1.5-q'];
/** hits asked for per query: chunks, reduced to documents; recall@20 needs 20 documents */
const LIMIT = 100;

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
    if (works) models.push(id);
    else unavailable.push(id);
  }
  return { models, unavailable };
}

async function main(): Promise<void> {
  const set = loadEvalSet();
  const { models, unavailable } = await modelsToCompare();
  const count = (split: string) => set.queries.filter((q) => q.split === split).length;
  console.log(
    `Evaluation set: ${set.docs.length} documents, ${set.queries.length} queries (${count('dev')} dev, ${count('held-out')} held-out; ` +
      `${set.queries.filter((q) => q.kind === 'out-of-corpus').length} out of corpus), ${set.judgements.length} graded judgements.`,
  );
  console.log(`Models: ${models.join(', ')}${unavailable.length ? ` (not installed here: ${unavailable.join(', ')})` : ''}.`);

  const h = await startHarness({ ownerUrl: serverUrl(), env: { EMBEDDING_MODEL: HASHING } });
  // the harness's database and nats-server go with it, also on Ctrl-C
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the platform and dropping its database`);
    void h.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const loaded = await loadCorpus(h, set.docs, models, (s) => console.log(s));
    const answers: Answers = new Map();
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
    console.log(`${models.length * MODES.length * set.queries.length} searches in ${((performance.now() - t0) / 1000).toFixed(1)} s.\n`);
    report(set, models, answers, HASHING);
    const out = process.env.BENCH_RELEVANCE_OUT;
    if (out) {
      writeRankings(out, set, models, answers);
      console.log(`\nEach query's first 20 documents per model and mode: ${out}`);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await h.stop();
  }
}

runMain(main);
