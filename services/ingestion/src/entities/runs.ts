import { NAME_PARTICLES, ORG_KEYWORDS, ORG_LINKS, PLACES, SECOND_PARTICLES, STOPWORDS, TITLES, LOWERCASE_SUFFIXES } from './gazetteer.ts';
import { normaliseName } from './normalise.ts';

/**
 * Tokens and runs for the name heuristic (`names.ts`): words with their offsets and normalised
 * form, and maximal runs of capitalised words joined by spaces and by the connectors that may
 * sit inside a name ("&", "von der", "Bank of", "Isle of Man").
 */

export interface Token {
  start: number;
  end: number;
  norm: string;
  /** starts with an uppercase letter, or is a legal-form suffix such as "plc" or "e.V." */
  cap: boolean;
}

const TOKEN = /[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}'’-]|\.(?=\p{L}))*\.?|&/gu;
const KEEP_FINAL_DOT = new Set(['co', 'corp', 'inc', 'ltd', 'jr', 'sr', 'st']);
const COMPOUND_ORG =
  /(?:ministerium|gericht|behorde|bundesamt|landesamt|kommission|verband|stiftung|universitat|institut|versicherung|staatsanwaltschaft|kanzleramt|bank)$/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    let raw = m[0];
    const stem = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    const stemNorm = normaliseName(stem);
    const keepDot = stem.includes('.') || stem.length === 1 || TITLES.has(stemNorm) || KEEP_FINAL_DOT.has(stemNorm);
    if (raw.endsWith('.') && !keepDot) raw = stem;
    raw = raw.replace(/(?:['’]s?|-)$/u, '');
    if (raw === '') continue;
    const norm = normaliseName(raw);
    const first = raw[0] ?? '';
    tokens.push({ start: m.index, end: m.index + raw.length, norm, cap: /\p{Lu}/u.test(first) || LOWERCASE_SUFFIXES.has(norm) });
  }
  return tokens;
}

export const isOrgKeyword = (t: Token): boolean => ORG_KEYWORDS.has(t.norm) || (t.cap && COMPOUND_ORG.test(t.norm));
/** A compound longer than its organisation word: "Bundesfinanzministerium", not "Behörde" or "Bank" alone. */
export const isCompoundOrg = (t: Token): boolean => t.cap && (COMPOUND_ORG.exec(t.norm)?.index ?? 0) >= 3;
export const isNameWord = (t: Token): boolean => t.cap && !STOPWORDS.has(t.norm) && t.norm !== '&';

/**
 * The connector words between `prev` and the next capitalised word starting at `from`, or
 * null when the words there may not link two parts of one name: "&" ("Ernst & Young"), a name
 * particle ("von", "van der", "de"), or a link after an organisation word ("Bank of", "Ministerium der").
 */
function connectorChain(tokens: readonly Token[], from: number, prev: Token): Token[] | null {
  const chain: Token[] = [];
  for (let k = from; k < tokens.length; k++) {
    const t = tokens[k];
    if (t === undefined || (t.cap && t.norm !== '&')) break;
    const first = chain[0];
    const ok =
      first === undefined
        ? t.norm === '&' || NAME_PARTICLES.has(t.norm) || (ORG_LINKS.has(t.norm) && isOrgKeyword(prev))
        : chain.length === 1 && SECOND_PARTICLES.has(t.norm) && (first.norm === 'von' || first.norm === 'van');
    if (!ok) break;
    chain.push(t);
  }
  return chain.length === 0 ? null : chain;
}

/** "of" inside a gazetteer place ("Isle of Man", "United States of America"), or null. */
function placeLink(tokens: readonly Token[], from: number, run: readonly Token[]): Token[] | null {
  const link = tokens[from];
  const after = tokens[from + 1];
  if (link === undefined || after === undefined || link.cap || !['of', 'and'].includes(link.norm)) return null;
  for (let n = 1; n <= Math.min(3, run.length); n++) {
    const words = [...run.slice(run.length - n), link, after].map((t) => t.norm).join(' ');
    if (PLACES.has(words)) return [link];
  }
  return null;
}

/** Maximal runs of capitalised words joined only by spaces and the connectors that may link them. */
export function runs(text: string, tokens: readonly Token[]): Token[][] {
  const adjacent = (a: Token, b: Token): boolean => /^[ \t\u00a0]+$/.test(text.slice(a.end, b.start));
  const chained = (ts: readonly Token[]): boolean =>
    ts.every((t, n) => {
      const before = ts[n - 1];
      return before === undefined || adjacent(before, t);
    });
  const out: Token[][] = [];
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i];
    if (first === undefined || !first.cap || first.norm === '&') {
      i++;
      continue;
    }
    const run: Token[] = [first];
    let j = i + 1;
    for (;;) {
      const prev = run[run.length - 1];
      const next = tokens[j];
      if (prev === undefined || next === undefined || !adjacent(prev, next)) break;
      if (next.cap && next.norm !== '&') {
        run.push(next);
        j++;
        continue;
      }
      // a connector chain is taken only if a capitalised word follows it
      const chain = connectorChain(tokens, j, prev) ?? placeLink(tokens, j, run);
      const after = chain === null ? undefined : tokens[j + chain.length];
      if (chain === null || after === undefined || !after.cap || !chained([prev, ...chain, after])) break;
      run.push(...chain, after);
      j += chain.length + 1;
    }
    out.push(run);
    i = j;
  }
  return out;
}

export const trimConnectors = (ts: Token[]): Token[] => {
  let a = 0;
  let b = ts.length;
  while (a < b && !(ts[a]?.cap ?? false)) a++;
  while (b > a && !(ts[b - 1]?.cap ?? false)) b--;
  return ts.slice(a, b);
};
