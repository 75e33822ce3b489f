/**
 * The frozen evaluation set: its file shapes, a loader that checks them, and the content-word
 * tokenizer the paraphrase rule is checked with. The JSONL files beside this module are the set,
 * committed so that it is reviewable and fixed; `build/generate.ts` writes them from the
 * storylines and judging rules, and a unit test holds the files to its output, so a correction
 * is made in the sources and shows up as a reviewed diff of the files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const QUERY_KINDS = ['name', 'exact', 'paraphrase', 'entity', 'partial', 'topic', 'out-of-corpus'] as const;
export const SPLITS = ['dev', 'held-out'] as const;

export const CorpusDoc = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1),
  type: z.string().min(1),
  storyline: z.string().nullable(),
  lang: z.enum(['en', 'de']),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  text: z.string().min(1),
  tags: z.array(z.string()),
});
export type CorpusDoc = z.infer<typeof CorpusDoc>;

export const Query = z.strictObject({
  id: z.string().regex(/^q\d{3}$/),
  text: z.string().min(1),
  kind: z.enum(QUERY_KINDS),
  split: z.enum(SPLITS),
  /** how the judgements were made, for a reviewer */
  note: z.string(),
});
export type Query = z.infer<typeof Query>;

export const Judgement = z.strictObject({
  query_id: z.string(),
  doc_id: z.string(),
  /** 3 answers the query, 2 substantially relevant, 1 mentions it in passing; 0 is never written */
  grade: z.number().int().min(1).max(3),
});
export type Judgement = z.infer<typeof Judgement>;

export interface EvalSet {
  docs: CorpusDoc[];
  queries: Query[];
  judgements: Judgement[];
  /** query id → doc id → grade (absent: 0) */
  grades: Map<string, Map<string, number>>;
}

export const DATA_DIR = path.dirname(fileURLToPath(import.meta.url));
export const FILES = { docs: 'corpus.jsonl', queries: 'queries.jsonl', judgements: 'judgements.jsonl' } as const;

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  const raw = readFileSync(path.join(DATA_DIR, file), 'utf8');
  return raw
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file} line ${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
}

export function loadEvalSet(): EvalSet {
  const docs = readJsonl(FILES.docs, CorpusDoc);
  const queries = readJsonl(FILES.queries, Query);
  const judgements = readJsonl(FILES.judgements, Judgement);
  const grades = new Map<string, Map<string, number>>(queries.map((q) => [q.id, new Map()]));
  for (const j of judgements) grades.get(j.query_id)?.set(j.doc_id, j.grade);
  return { docs, queries, judgements, grades };
}

const STOPWORDS = new Set(
  (
    'a an the and or but of to in on at by for from with without into onto over under about above below as is are was were be been being ' +
    'it its this that these those there here who whom whose what which when where why how not no nor so than then too very can could ' +
    'will would shall should may might must do does did done has have had having i me my we our you your he him his she her they them their ' +
    'all any some each every one up down out off again once only own same such just also more most other'
  ).split(' '),
);

/** Lower-cased letter/digit runs of two or more characters that are not stopwords. */
export function contentWords(s: string): string[] {
  // single letters (the s of a possessive, initials) carry no content
  return (s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

/** A crude English stem, so "transfers" and "transferred" count as "transfer": strict for the no-shared-word rule. */
export function stem(w: string): string {
  for (const suffix of ['ingly', 'edly', 'ing', 'ied', 'ies', 'ed', 'es', 'ly', 's']) {
    if (w.length - suffix.length < 3 || !w.endsWith(suffix)) continue;
    const base = w.slice(0, -suffix.length);
    // transferred → transferr → transfer
    return /([b-df-hj-np-tv-z])\1$/.test(base) ? base.slice(0, -1) : base;
  }
  return w;
}

/** The content words (stemmed) a query shares with a text; empty when it shares none. */
export function sharedContentWords(query: string, text: string): string[] {
  const inText = new Set(contentWords(text).map(stem));
  return [...new Set(contentWords(query).map(stem))].filter((w) => inText.has(w));
}
