/**
 * Scores and the printed report of a relevance run: per model × mode × split, per query kind,
 * the out-of-corpus queries that got a strong answer, and the goal lines with their ratios.
 */
import { writeFileSync } from 'node:fs';
import { fmtRatio, table } from '../src/harness.ts';
import { type EvalSet, type Query, SPLITS } from './data.ts';
import { documentRanking, mean, ndcgAt, recallAt, reciprocalRank } from './metrics.ts';
import type { Hit } from './platform.ts';

export const MODES = ['keyword', 'vector', 'hybrid'] as const;
export type Mode = (typeof MODES)[number];
/** MRR counts the first document graded at least this (2: substantially relevant) */
export const MRR_GRADE = 2;

/** A query's answer: its document ranking, and whether it counts as empty (no hit, or only hits marked weak). */
export interface Answer {
  ranking: string[];
  empty: boolean;
}

/** model → mode → query id → answer */
export type Answers = Map<string, Map<Mode, Map<string, Answer>>>;

export function answerOf(hits: Hit[], corpusIdOf: Map<string, string>): Answer {
  return {
    ranking: documentRanking(hits).map((id) => corpusIdOf.get(id) ?? id),
    empty: !hits.some((h) => h.match !== 'weak'),
  };
}

interface Scores {
  ndcg10: number;
  recall20: number;
  mrr: number;
  /** share of out-of-corpus queries answered with nothing (or only weak hits) */
  oocEmpty: number;
}

export function score(set: EvalSet, queries: Query[], answers: Map<string, Answer> | undefined): Scores {
  const inCorpus = queries.filter((q) => q.kind !== 'out-of-corpus');
  const ooc = queries.filter((q) => q.kind === 'out-of-corpus');
  const per = (f: (ranking: string[], grades: Map<string, number>) => number) =>
    mean(inCorpus.map((q) => f(answers?.get(q.id)?.ranking ?? [], set.grades.get(q.id) ?? new Map())));
  return {
    ndcg10: per((r, g) => ndcgAt(r, g, 10)),
    recall20: per((r, g) => recallAt(r, g, 20)),
    mrr: per((r, g) => reciprocalRank(r, g, MRR_GRADE)),
    oocEmpty: ooc.length === 0 ? Number.NaN : ooc.filter((q) => answers?.get(q.id)?.empty ?? true).length / ooc.length,
  };
}

const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : 'n/a');

export function report(set: EvalSet, models: string[], answers: Answers, baseline: string): void {
  const of = (model: string, mode: Mode) => answers.get(model)?.get(mode);
  const scores = (model: string, mode: Mode, split: string | null) =>
    score(
      set,
      set.queries.filter((q) => split === null || q.split === split),
      of(model, mode),
    );
  const count = (split: string) => set.queries.filter((q) => q.split === split).length;

  for (const split of SPLITS) {
    console.log(`${split} (${count(split)} queries; MRR: first document graded ≥ ${MRR_GRADE}; out of corpus: no hit or only weak hits)`);
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
  console.log('nDCG@10 by query kind, dev and held-out together');
  const byKind = models.flatMap((model) =>
    MODES.map((mode) => [
      model,
      mode,
      ...kinds.map((k) =>
        f3(
          score(
            set,
            set.queries.filter((q) => q.kind === k),
            of(model, mode),
          ).ndcg10,
        ),
      ),
    ]),
  );
  console.log(table(['model', 'mode', ...kinds], byKind));
  console.log('');

  const answered = models.flatMap((model) =>
    MODES.flatMap((mode) =>
      set.queries
        .filter((q) => q.kind === 'out-of-corpus' && !(of(model, mode)?.get(q.id)?.empty ?? true))
        .map((q) => `  ${model} ${mode}: "${q.text}" → ${of(model, mode)?.get(q.id)?.ranking.slice(0, 3).join(', ')}`),
    ),
  );
  if (answered.length > 0) console.log(`Out-of-corpus queries answered with a strong hit (first documents):\n${answered.join('\n')}\n`);

  console.log('Goals (nDCG@10 on the held-out split; dev in brackets)');
  for (const model of models) {
    const nd = (mode: Mode, split: string) => scores(model, mode, split).ndcg10;
    const beats = nd('hybrid', 'held-out') > Math.max(nd('keyword', 'held-out'), nd('vector', 'held-out'));
    const ratio = (other: Mode) =>
      `hybrid/${other} ${fmtRatio(nd('hybrid', 'held-out') / nd(other, 'held-out'))} [${fmtRatio(nd('hybrid', 'dev') / nd(other, 'dev'))}]`;
    console.log(`  ${model}: hybrid beats keyword and vector alone: ${beats ? 'yes' : 'NO'} — ${ratio('keyword')}, ${ratio('vector')}`);
  }
  const local = models.find((m) => m !== baseline);
  if (local) {
    const ratio = (split: string) => scores(local, 'hybrid', split).ndcg10 / scores(baseline, 'hybrid', split).ndcg10;
    const met = ratio('held-out') >= 1.5;
    console.log(
      `  hybrid with ${local} ≥ 1.5× ${baseline}'s nDCG@10: ${met ? 'yes' : 'NO'} — ${fmtRatio(ratio('held-out'))} [${fmtRatio(ratio('dev'))}]`,
    );
  } else console.log(`  hybrid with a local model ≥ 1.5× ${baseline}'s nDCG@10: n/a (only ${baseline} is served here)`);
  for (const model of models) {
    const all = MODES.map((m) => `${m} ${pct(scores(model, m, null).oocEmpty)}`).join(', ');
    console.log(
      `  ${model}: out-of-corpus queries answered empty in hybrid: ${scores(model, 'hybrid', null).oocEmpty === 1 ? 'yes' : 'NO'} — ${all}`,
    );
  }
}

/** Each query's first 20 documents per model and mode, as JSON lines, for looking into a run. */
export function writeRankings(file: string, set: EvalSet, models: string[], answers: Answers): void {
  const rows = models.flatMap((model) =>
    MODES.flatMap((mode) =>
      set.queries.map((q) => {
        const a = answers.get(model)?.get(mode)?.get(q.id);
        return { model, mode, query_id: q.id, split: q.split, empty: a?.empty ?? true, ranking: a?.ranking.slice(0, 20) ?? [] };
      }),
    ),
  );
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
