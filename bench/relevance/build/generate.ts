/**
 * Writes the frozen evaluation set (bench/relevance/{corpus,queries,judgements}.jsonl) from the
 * storylines, the distractor layouts and the query rules, deterministically (seeded): running it
 * again on unchanged sources rewrites the same bytes. Refuses to write a set that breaks its own
 * rules (duplicate ids or texts, a judgement without a document, a paraphrase sharing a content
 * word with one of its grade-3 documents).
 *
 *   npx tsx bench/relevance/build/generate.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR, FILES, type Judgement, type Query, sharedContentWords } from '../data.ts';
import { distractors } from './distractors.ts';
import { type Doc, type Storyline, rng } from './kit.ts';
import { QUERIES } from './queries.ts';
import { ashby } from './story-ashby.ts';
import { baltica } from './story-baltica.ts';
import { civic } from './story-civic.ts';
import { coinharbor } from './story-coinharbor.ts';
import { hospital } from './story-hospital.ts';
import { kasanga } from './story-kasanga.ts';
import { nordwind } from './story-nordwind.ts';
import { porto } from './story-porto.ts';
import { tarvik } from './story-tarvik.ts';
import { velkor } from './story-velkor.ts';
import { veridian } from './story-veridian.ts';
import { REPLIES } from './claims.ts';
import { invoiceDoc, registryExtract, replyLetters, transferDocs, written } from './templates.ts';

const SEED = 20_260_301;
export const STORYLINES: Storyline[] = [nordwind, baltica, hospital, porto, kasanga, ashby, veridian, tarvik, civic, coinharbor, velkor];

function storylineDocs(s: Storyline, r: () => number): Doc[] {
  const firstDate = [...s.transfers.map((t) => t.date), ...s.written.map((w) => w.date)].sort()[0] ?? '2022-01-01';
  return [
    ...s.companies.map((c) => registryExtract(c, s.id, r, firstDate)),
    ...transferDocs(s.transfers, s.id, r),
    ...s.invoices.map((i) => invoiceDoc(i, s.id)),
    ...s.written.map((w) => written(w, s.id, r)),
    ...(REPLIES[s.id] ? replyLetters({ ...s, ...REPLIES[s.id] }, r, REPLIES[s.id]?.date ?? firstDate) : []),
  ];
}

/** Every third query of a kind, in list order, is held out: the split is fixed by position, before any run. */
function splitOf(indexInKind: number): Query['split'] {
  return indexInKind % 3 === 2 ? 'held-out' : 'dev';
}

export function build(): { docs: Doc[]; queries: Query[]; judgements: Judgement[] } {
  const r = rng(SEED);
  const story = STORYLINES.flatMap((s) => storylineDocs(s, r));
  const other = distractors(r, { registry: 30, invoices: 35, payments: 25, emails: 35, news: 30, minutes: 6 });
  const docs = [...story, ...other];

  const ids = new Set<string>();
  const texts = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`duplicate document id ${d.id}`);
    // the platform deduplicates uploads by content: equal texts would be one document
    if (texts.has(d.text)) throw new Error(`duplicate document text (${d.id})`);
    ids.add(d.id);
    texts.add(d.text);
  }

  const perKind = new Map<string, number>();
  const queries: Query[] = [];
  const judgements: Judgement[] = [];
  QUERIES.forEach((spec, i) => {
    const id = `q${String(i + 1).padStart(3, '0')}`;
    const n = perKind.get(spec.kind) ?? 0;
    perKind.set(spec.kind, n + 1);
    queries.push({ id, text: spec.text, kind: spec.kind, split: splitOf(n), note: spec.note });
    for (const d of docs) {
      const grade = spec.grade(d);
      if (grade <= 0) continue;
      if (spec.kind === 'paraphrase' && grade === 3) {
        const shared = sharedContentWords(spec.text, `${d.title}\n${d.text}`);
        if (shared.length > 0) throw new Error(`paraphrase ${id} "${spec.text}" shares ${shared.join(', ')} with ${d.id}`);
      }
      judgements.push({ query_id: id, doc_id: d.id, grade });
    }
    if (spec.kind !== 'out-of-corpus' && !judgements.some((j) => j.query_id === id && j.grade >= 2))
      throw new Error(`query ${id} "${spec.text}" has no document of grade 2 or more`);
  });
  return { docs, queries, judgements };
}

function main(): void {
  const { docs, queries, judgements } = build();
  const jsonl = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
  writeFileSync(path.join(DATA_DIR, FILES.docs), jsonl(docs));
  writeFileSync(path.join(DATA_DIR, FILES.queries), jsonl(queries));
  writeFileSync(path.join(DATA_DIR, FILES.judgements), jsonl(judgements));
  const words = docs.map((d) => d.text.split(/\s+/).length).sort((a, b) => a - b);
  console.log(
    `${docs.length} documents (${docs.filter((d) => d.storyline).length} in ${STORYLINES.length} storylines, ` +
      `${docs.filter((d) => !d.storyline).length} distractors, ${docs.filter((d) => d.lang === 'de').length} German), ` +
      `${words[0]}–${words[words.length - 1]} words (median ${words[Math.floor(words.length / 2)]}); ` +
      `${queries.length} queries (${queries.filter((q) => q.split === 'dev').length} dev, ${queries.filter((q) => q.split === 'held-out').length} held-out), ` +
      `${judgements.length} judgements`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();
