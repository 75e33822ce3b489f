import { NAME_PARTICLES, ORG_KEYWORDS, ORG_LINKS, ORG_SUFFIXES, PLACES, ROLES, SECOND_PARTICLES, STOPWORDS, TITLES } from './gazetteer.ts';
import { normaliseName } from './normalise.ts';
import type { Mention } from './extract.ts';

/**
 * Persons, organisations and places by a deterministic heuristic over runs of capitalised
 * words, the local default until a model (NER service) replaces it behind the same output:
 * - a run ending in a legal form (GmbH, AG, Ltd, Inc, S.A., plc …) or starting/ending with an
 *   organisation word (Bank, Ministry, Universität …) is an organisation;
 * - a run, or part of one, found in the gazetteer is a place;
 * - what is left is a person when it has 2–3 capitalised words ("Ursula von der Leyen"
 *   counts 2), or 1 after a title or role ("Dr. Müller", "Staatsanwalt Meier").
 * Known limits: single-word organisations ("Siemens", "Commerzbank") are missed; German nouns
 * directly before a name without a comma can be taken into it; Title Case headlines produce
 * false organisations; a capitalised sentence starter not in the stopword list ("Meeting Anna
 * Schmidt") joins the name. Precision over recall: lone capitalised words are never persons.
 */

interface Token {
  start: number;
  end: number;
  norm: string;
  /** starts with an uppercase letter, or is a legal-form suffix such as "plc" or "e.V." */
  cap: boolean;
}

const TOKEN = /[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}'’-]|\.(?=\p{L}))*\.?|&/gu;
const KEEP_FINAL_DOT = new Set(['co', 'corp', 'inc', 'ltd', 'jr', 'sr', 'st']);
const COMPOUND_ORG = /(?:ministerium|gericht|behorde|bundesamt|landesamt|kommission|verband|stiftung|universitat|institut|versicherung)$/;

function tokenize(text: string): Token[] {
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
    tokens.push({ start: m.index, end: m.index + raw.length, norm, cap: /\p{Lu}/u.test(first) || ORG_SUFFIXES.has(norm) });
  }
  return tokens;
}

const isOrgKeyword = (t: Token): boolean => ORG_KEYWORDS.has(t.norm) || (t.cap && COMPOUND_ORG.test(t.norm));
const isNameWord = (t: Token): boolean => t.cap && !STOPWORDS.has(t.norm) && t.norm !== '&';

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

/** Maximal runs of capitalised words joined only by spaces and the connectors that may link them. */
function runs(text: string, tokens: readonly Token[]): Token[][] {
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
      const chain = connectorChain(tokens, j, prev);
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

const trimConnectors = (ts: Token[]): Token[] => {
  let a = 0;
  let b = ts.length;
  while (a < b && !(ts[a]?.cap ?? false)) a++;
  while (b > a && !(ts[b - 1]?.cap ?? false)) b--;
  return ts.slice(a, b);
};

function mention(text: string, type: Mention['type'], ts: readonly Token[]): Mention | null {
  const first = ts[0];
  const last = ts[ts.length - 1];
  if (first === undefined || last === undefined) return null;
  const name = text.slice(first.start, last.end);
  return { type, name, normalised: normaliseName(name), start: first.start, end: last.end };
}

function classifyOrganisation(ts: readonly Token[]): boolean {
  const caps = ts.filter((t) => t.cap);
  const first = caps[0];
  const last = caps[caps.length - 1];
  if (caps.length < 2 || caps.length > 6 || first === undefined || last === undefined) return false;
  if (ORG_SUFFIXES.has(last.norm)) return true;
  const linked = ts.some((t, n) => isOrgKeyword(t) && ts[n + 1] !== undefined && !(ts[n + 1]?.cap ?? true));
  return isOrgKeyword(first) || isOrgKeyword(last) || linked;
}

/**
 * "Jürgen Weiß von der Alpha S.A." is a person *from* an organisation: a name particle that
 * does not follow an organisation word separates the two when what follows it is an
 * organisation on its own ("Ursula von der Leyen" stays whole: "Leyen" is none).
 */
function splitAtParticle(ts: Token[]): { head: Token[]; organisation: Token[] } | null {
  for (let i = ts.length - 2; i > 0; i--) {
    const t = ts[i];
    const prev = ts[i - 1];
    if (t === undefined || prev === undefined || t.cap || !NAME_PARTICLES.has(t.norm) || isOrgKeyword(prev)) continue;
    const organisation = trimConnectors(ts.slice(i + 1));
    if (classifyOrganisation(organisation)) return { head: trimConnectors(ts.slice(0, i)), organisation };
  }
  return null;
}

const ALL_CAPS = /^[\p{Lu}\d]{2,}$/u;

function person(text: string, ts: Token[], titled: boolean): Mention | null {
  const words = trimConnectors(ts);
  const caps = words.filter((t) => t.cap);
  if (caps.some((t) => ALL_CAPS.test(text.slice(t.start, t.end)) || /\d/.test(t.norm))) return null;
  const enough = caps.length >= 2 && caps.length <= 3 + caps.filter((t) => t.norm.length === 1).length;
  const titledSurname = titled && caps.length === 1 && caps.every((t) => !isOrgKeyword(t) && !ORG_SUFFIXES.has(t.norm));
  return enough || titledSurname ? mention(text, 'person', words) : null;
}

/** Places found inside a run (longest first) split it; the remaining pieces may be persons. */
function placesAndPersons(text: string, ts: Token[], titled: boolean): Mention[] {
  const out: Mention[] = [];
  let piece: Token[] = [];
  let pieceTitled = titled;
  const flush = (): void => {
    const p = person(text, piece, pieceTitled);
    if (p !== null) out.push(p);
    piece = [];
    pieceTitled = false;
  };
  for (let i = 0; i < ts.length;) {
    let matched = 0;
    for (let n = Math.min(4, ts.length - i); n >= 1 && matched === 0; n--) {
      const slice = ts.slice(i, i + n);
      if (slice[0]?.cap && slice[n - 1]?.cap && PLACES.has(slice.map((t) => t.norm).join(' '))) matched = n;
    }
    if (matched > 0) {
      flush();
      const place = mention(text, 'place', ts.slice(i, i + matched));
      if (place !== null) out.push(place);
      i += matched;
    } else {
      const token = ts[i];
      if (token !== undefined) piece.push(token);
      i++;
    }
  }
  flush();
  return out;
}

export function findNames(text: string): Mention[] {
  const out: Mention[] = [];
  for (const run of runs(text, tokenize(text))) {
    // stopwords split a run and are dropped; titles and roles are dropped from the front
    const segments: Token[][] = [[]];
    for (const t of run) {
      if (t.cap && STOPWORDS.has(t.norm)) segments.push([]);
      else segments[segments.length - 1]?.push(t);
    }
    for (const raw of segments) {
      let segment = trimConnectors(raw);
      // before titles go: "General Motors" and "Dr. Oetker GmbH" are organisations
      if (classifyOrganisation(segment) && splitAtParticle(segment) === null) {
        const org = mention(text, 'organisation', segment);
        if (org !== null) out.push(org);
        continue;
      }
      let titled = false;
      while (segment[0] !== undefined && (TITLES.has(segment[0].norm) || ROLES.has(segment[0].norm))) {
        titled = true;
        segment = trimConnectors(segment.slice(1));
      }
      if (!segment.some(isNameWord)) continue;
      const split = splitAtParticle(segment);
      if (split !== null) {
        out.push(...placesAndPersons(text, split.head, titled));
        const org = mention(text, 'organisation', split.organisation);
        if (org !== null) out.push(org);
        continue;
      }
      const org = classifyOrganisation(segment) ? mention(text, 'organisation', segment) : null;
      if (org !== null) out.push(org);
      else out.push(...placesAndPersons(text, segment, titled));
    }
  }
  return out;
}
