import type { Citation } from '@mandant/contracts';
import type { Passage } from './passages.ts';
import { splitSentences } from './sentences.ts';

export const STOPWORDS = new Set(
  (
    'the a an and or of to in on at for by with from about into over under is are was were be been being it its this that these those ' +
    'what which who whom whose when where why how do does did has have had can could should would may might will shall not no yes me my we our you your ' +
    'they them their he she his her there here than then also any all some tell show give find list please'
  ).split(' '),
);

/** Lower-cased words of 3+ letters that carry meaning, accents kept. */
export function queryTerms(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .normalize('NFC')
      .match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !STOPWORDS.has(w)))];
}

/**
 * The sentences of a passage worth quoting: whole sentences (see sentences.ts), the ellipses a
 * snippet was cut with at either end taken off. Each is a verbatim slice of the passage text.
 */
export const sentencesOf = (text: string): string[] =>
  splitSentences(text)
    .map((s) => s.replace(/^[\s…]+/u, '').trim())
    .filter((s) => s.length >= 12);

/** One quoted sentence and the passage it is quoted from. */
export interface Quote {
  sentence: string;
  passage: Passage;
}

/**
 * The sentences of the retrieved passages that contain most of the question's terms (best
 * first, at most `max`). Deterministic: same question and passages, same quotes. When no
 * sentence shares a term (the passages were found by meaning only), the opening sentence of the
 * best passages. A sentence is quoted once, even when two chunks overlap.
 */
export function extractiveQuotes(question: string, passages: Passage[], max = 4): Quote[] {
  const terms = queryTerms(question);
  const scored = passages.flatMap((passage) =>
    sentencesOf(passage.text).map((sentence, i) => {
      const lower = sentence.toLowerCase();
      const matched = terms.filter((t) => lower.includes(t)).length;
      return { sentence, passage, matched, order: passage.n * 1000 + i };
    }),
  );
  let chosen = scored
    .filter((x) => x.matched > 0)
    .sort((a, b) => b.matched - a.matched || a.order - b.order)
    .slice(0, max);
  if (chosen.length === 0) {
    chosen = passages.slice(0, 2).flatMap((passage) => {
      const first = sentencesOf(passage.text)[0] ?? passage.text;
      return first ? [{ sentence: first, passage, matched: 0, order: passage.n * 1000 }] : [];
    });
  }
  const seen = new Set<string>();
  return chosen.filter((x) => !seen.has(x.sentence) && seen.add(x.sentence)).map(({ sentence, passage }) => ({ sentence, passage }));
}

export const NOTHING_FOUND = 'No passage in the documents searched answers this question.';

/**
 * The answer without a language model, as the lines it is written in: each quoted sentence
 * verbatim followed by ` [k]`, k numbering the cited passages by first use, then the graph
 * connections. The quotes never pass through marker rewriting: a sentence that itself holds
 * "[2]" or "2.5" is quoted exactly as the document has it.
 */
export function extractiveLines(
  question: string,
  passages: Passage[],
  opts: { max?: number; connections?: string[] } = {},
): { lines: string[]; citations: Citation[] } {
  if (passages.length === 0) return { lines: [NOTHING_FOUND], citations: [] };
  const cited: Passage[] = [];
  const lines = extractiveQuotes(question, passages, opts.max).map(({ sentence, passage }) => {
    if (!cited.includes(passage)) cited.push(passage);
    return `${sentence} [${cited.indexOf(passage) + 1}]`;
  });
  const connections = opts.connections ?? [];
  if (connections.length > 0) lines.push(`${lines.length > 0 ? '\n' : ''}Connections: ${connections.join('; ')}.`);
  return {
    lines,
    citations: cited.map((p) => ({ document_id: p.document_id, chunk_id: p.chunk_id, project_ids: p.project_ids })),
  };
}

/** The extractive answer's text: its lines, one a line. */
export function extractiveAnswer(question: string, passages: Passage[], opts: { max?: number; connections?: string[] } = {}): string {
  return extractiveLines(question, passages, opts).lines.join('\n');
}
