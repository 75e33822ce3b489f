import type { Passage } from './passages.ts';

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

const sentencesOf = (text: string): string[] =>
  (text.match(/[^.!?…]+(?:[.!?…]+|$)/g) ?? []).map((s) => s.replace(/^[\s…]+/, '').trim()).filter((s) => s.length >= 12);

/**
 * The answer without a language model: the sentences of the retrieved passages that contain
 * most of the question's terms (best first, at most `max`), each followed by the marker of its
 * passage. Deterministic: same question and passages, same answer. When no sentence shares a
 * term (the passages were found by meaning only), the opening sentence of the best passages.
 */
export function extractiveAnswer(question: string, passages: Passage[], opts: { max?: number; connections?: string[] } = {}): string {
  const max = opts.max ?? 4;
  if (passages.length === 0) return 'No passage in the documents searched answers this question.';
  const terms = queryTerms(question);
  const scored = passages.flatMap((p) =>
    sentencesOf(p.text).map((s, i) => {
      const lower = s.toLowerCase();
      const matched = terms.filter((t) => lower.includes(t)).length;
      return { s, n: p.n, matched, order: p.n * 1000 + i };
    }),
  );
  let chosen = scored
    .filter((x) => x.matched > 0)
    .sort((a, b) => b.matched - a.matched || a.order - b.order)
    .slice(0, max);
  if (chosen.length === 0) {
    chosen = passages.slice(0, 2).flatMap((p) => {
      const first = sentencesOf(p.text)[0] ?? p.text;
      return first ? [{ s: first, n: p.n, matched: 0, order: p.n * 1000 }] : [];
    });
  }
  // one sentence once, even when two chunks overlap
  const seen = new Set<string>();
  const lines = chosen.filter((x) => !seen.has(x.s) && seen.add(x.s)).map((x) => `${x.s} [${x.n}]`);
  const connections = opts.connections ?? [];
  return [lines.join('\n'), ...(connections.length > 0 ? [`Connections: ${connections.join('; ')}.`] : [])].join('\n\n');
}
