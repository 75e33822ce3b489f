import { MATCH_END, MATCH_START, parseQuery, snippetHtml, withoutSentinels } from '@mandant/shared/stores/text';

/**
 * Snippets for chunks only the vector index found (the text index marks its own matches): the
 * chunk's text around the first query word it contains, HTML-escaped, each query word in
 * `<mark>`. Pure; `chunkTexts` in ./chunk-text.ts reads the text.
 */

const WORD = /[\p{L}\p{N}]+/gu;
/** about two lines of a result list */
export const SNIPPET_CHARS = 240;

/**
 * The words of the query's terms as the text index reads them (`parseQuery`: no excluded words, no
 * bare function words when there are others), lower-cased and distinct; one-letter words mark too
 * much to help.
 */
export function queryTerms(query: string): Set<string> {
  const words = parseQuery(query).terms.flatMap((t) => [...t.text.toLocaleLowerCase().matchAll(WORD)].map((m) => m[0]));
  return new Set(words.filter((w) => w.length > 1));
}

/** `text` cut to about `max` characters around the first match (or from the start), matches marked, escaped. */
export function highlight(text: string, terms: ReadonlySet<string>, max: number = SNIPPET_CHARS): string {
  const clean = withoutSentinels(text);
  const matches: Array<{ start: number; end: number }> = [];
  for (const m of clean.matchAll(WORD)) {
    if (terms.has(m[0].toLocaleLowerCase())) matches.push({ start: m.index, end: m.index + m[0].length });
  }
  const first = matches[0];
  let from = first ? Math.max(0, first.start - Math.floor(max / 3)) : 0;
  let to = Math.min(clean.length, from + max);
  from = Math.max(0, Math.min(from, to - max));
  // do not cut a word in half at either end
  if (from > 0) {
    const space = clean.indexOf(' ', from);
    if (space !== -1 && space < (first?.start ?? to)) from = space + 1;
  }
  if (to < clean.length) {
    const space = clean.lastIndexOf(' ', to);
    if (space > from && space >= (first?.end ?? from)) to = space;
  }
  let marked = '';
  let at = from;
  for (const m of matches) {
    if (m.start < from || m.end > to) continue;
    marked += clean.slice(at, m.start) + MATCH_START + clean.slice(m.start, m.end) + MATCH_END;
    at = m.end;
  }
  marked += clean.slice(at, to);
  return `${from > 0 ? '…' : ''}${snippetHtml(marked.trim())}${to < clean.length ? '…' : ''}`;
}
