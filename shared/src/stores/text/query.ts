import { withoutSentinels } from './snippet.ts';
import { STOPWORDS } from './stopwords.ts';

/**
 * Query text as every text adapter reads it, parsed once here so the engines agree on what the
 * user asked (pure). The syntax is the search box's (PostgreSQL's `websearch_to_tsquery`, and
 * Meilisearch's own operators):
 * - terms are separated by white space; `"a quoted phrase"` is one term (an unclosed quote runs
 *   to the end of the text);
 * - a leading `-` excludes a word or a phrase: no hit contains it;
 * - a bare `or` is dropped: any term already finds a document (see the ranking below);
 * - control characters count as white space, and a term without a letter or digit is no term;
 * - bare function words ("the", "how", "und": `STOPWORDS`) are no terms when the query has others.
 *
 * Hits match any term; those matching more terms rank first (all terms first), then by the
 * engine's relevance. Only the first `MAX_QUERY_WORDS` words count, Meilisearch's hard limit
 * (a phrase counts its words), and the first `MAX_EXCLUDED_TERMS` exclusions: a pasted page of
 * text costs what ten words cost.
 */
export interface QueryTerm {
  /** the term as typed, without quotes or the exclusion dash; the engine splits it into its own tokens */
  text: string;
  phrase: boolean;
}

export interface ParsedQuery {
  /** distinct terms, in the order typed; empty: the query finds nothing */
  terms: QueryTerm[];
  excluded: QueryTerm[];
}

export const MAX_QUERY_WORDS = 10;
export const MAX_EXCLUDED_TERMS = 10;

const WORD = /[\p{L}\p{N}]+/gu;
// control characters and lone surrogates carry nothing to search for (and NUL cannot reach PostgreSQL)
const BLANKS = /[\p{Cc}\p{Cs}]/gu;
const SPACE = /\s/u;

const wordCount = (text: string): number => text.match(WORD)?.length ?? 0;

/** `text` up to the end of its `n`-th word. */
function firstWords(text: string, n: number): string {
  let end = 0;
  let seen = 0;
  for (const m of text.matchAll(WORD)) {
    if (seen === n) break;
    end = m.index + m[0].length;
    seen += 1;
  }
  return text.slice(0, end);
}

export function parseQuery(query: string): ParsedQuery {
  const text = withoutSentinels(query.replace(BLANKS, ' '));
  const terms: QueryTerm[] = [];
  // the query's function words, kept only should it have nothing else
  const common: QueryTerm[] = [];
  const excluded: QueryTerm[] = [];
  const seen = new Set<string>();
  let words = 0;
  let i = 0;
  while (i < text.length && (words < MAX_QUERY_WORDS || excluded.length < MAX_EXCLUDED_TERMS)) {
    while (i < text.length && SPACE.test(text.charAt(i))) i += 1;
    if (i >= text.length) break;
    let negated = false;
    // `-word` excludes; a dash before white space or at the end is nothing
    while (text.charAt(i) === '-') {
      negated = true;
      i += 1;
    }
    let raw: string;
    let phrase = false;
    if (text.charAt(i) === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close === -1 ? text.length : close;
      raw = text.slice(i + 1, end).trim();
      phrase = true;
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !SPACE.test(text.charAt(i)) && text.charAt(i) !== '"') i += 1;
      raw = text.slice(start, i).replace(/^-+/, '');
    }
    const count = wordCount(raw);
    if (count === 0) continue;
    if (!phrase && raw.toLowerCase() === 'or') continue;
    const key = `${phrase ? 'p' : 'w'}:${negated ? '-' : '+'}:${raw.toLowerCase()}`;
    if (seen.has(key)) continue;
    if (negated) {
      if (excluded.length >= MAX_EXCLUDED_TERMS) continue;
      seen.add(key);
      excluded.push({ text: firstWords(raw, MAX_QUERY_WORDS), phrase });
      continue;
    }
    if (!phrase && STOPWORDS.has(raw.toLowerCase())) {
      if (common.length < MAX_QUERY_WORDS && !seen.has(key)) common.push({ text: raw, phrase });
      seen.add(key);
      continue;
    }
    if (words >= MAX_QUERY_WORDS) continue;
    const kept = Math.min(count, MAX_QUERY_WORDS - words);
    seen.add(key);
    terms.push({ text: kept === count ? raw : firstWords(raw, kept), phrase });
    words += kept;
  }
  return { terms: terms.length > 0 ? terms : common, excluded };
}

/**
 * The score a hit reports in every adapter, in [0, 1]: the share of the query's terms it matches,
 * refined within that share by the engine's own relevance in [0, 1]. So a hit matching more
 * terms always scores higher, and scores of one answer follow its order.
 */
export function termScore(matched: number, terms: number, relevance: number): number {
  if (terms <= 0) return 0;
  const r = Number.isFinite(relevance) ? Math.min(1, Math.max(0, relevance)) : 0;
  return (Math.max(0, Math.min(matched, terms) - 1) + r) / terms;
}

/** One engine hit in the merge below: its id and the engine's relevance in [0, 1]. */
export interface TermHit {
  id: string;
  relevance: number;
}

export interface TermRanked<T> {
  hit: T;
  /** how many of the query's terms it matches */
  matched: number;
  relevance: number;
}

/**
 * For an engine that answers one term at a time: merges the answer of the query with every
 * term (`all`) and one answer per term into one order, more terms matched first, then higher
 * relevance, then id. A hit's terms are counted from the lists it appears in, so each list must
 * reach at least as deep as the page asked for; a hit in `all` matches every term. The hit kept is
 * the one from `all` when there is one (its snippet marks every term), else the most relevant.
 */
export function rankByTerms<T extends TermHit>(all: T[], perTerm: T[][]): TermRanked<T>[] {
  const terms = perTerm.length;
  const out = new Map<string, TermRanked<T> & { lists: number }>();
  const key = (h: T) => h.id.toLowerCase();
  for (const h of all) {
    if (!out.has(key(h))) out.set(key(h), { hit: h, matched: terms, relevance: h.relevance, lists: 0 });
  }
  for (const list of perTerm) {
    const seen = new Set<string>();
    for (const h of list) {
      const k = key(h);
      if (seen.has(k)) continue;
      seen.add(k);
      const prev = out.get(k);
      if (!prev) {
        out.set(k, { hit: h, matched: 1, relevance: h.relevance, lists: 1 });
        continue;
      }
      prev.lists += 1;
      prev.matched = Math.max(prev.matched, prev.lists);
      if (h.relevance > prev.relevance) {
        prev.relevance = h.relevance;
        if (prev.matched < terms) prev.hit = h;
      }
    }
  }
  return [...out.values()]
    .map(({ hit, matched, relevance }) => ({ hit, matched, relevance }))
    .sort((a, b) => b.matched - a.matched || b.relevance - a.relevance || (a.hit.id < b.hit.id ? -1 : a.hit.id > b.hit.id ? 1 : 0));
}
