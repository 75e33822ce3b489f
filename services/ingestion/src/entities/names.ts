import {
  FIRST_NAMES,
  NAME_PARTICLES,
  ORG_KEYWORDS,
  ORG_SUFFIXES,
  ORG_TAIL_WORDS,
  PLACES,
  ROLES,
  STOPWORDS,
  STREET_WORDS,
  TITLES,
} from './gazetteer.ts';
import { normaliseName } from './normalise.ts';
import type { Mention } from './extract.ts';
import { type Candidate, resolveByContext } from './context.ts';
import { type Token, isCompoundOrg, isNameWord, isOrgKeyword, runs, tokenize, trimConnectors } from './runs.ts';

/**
 * Persons, organisations and places by a deterministic heuristic over runs of capitalised
 * words, the local default until a model (NER service) replaces it behind the same output:
 * - a run ending in a legal form (GmbH, AG, Ltd, Inc, S.A., S.à r.l., plc …), or in a business
 *   word (Shipping, Logistics, Trading …), or starting/ending with an organisation word (Bank,
 *   Ministry, Universität …), or joined by "&" ("Marlowe & Finch") is an organisation; a legal
 *   form also ends the run ("NORDWIND SHIPPING LIMITED Registered office");
 * - a run, or part of one, found in the gazetteer is a place, unless it is a given name that a
 *   surname follows ("Paris Hilton");
 * - what is left is a person when it has 2–3 capitalised words ("Ursula von der Leyen"
 *   counts 2), or 1 after a title or role ("Dr. Müller", "Staatsanwalt Meier");
 * - then the words around decide what shape alone cannot (see `context.ts`): "the company X",
 *   "X's board", "director of X" make an organisation, "said X" a person, "in X" a place.
 * Known limits: single-word organisations without context are missed unless known by name
 * (`known.ts`); German nouns directly before a name without a comma can be taken into it; Title
 * Case headlines produce false organisations; a capitalised sentence starter not in the stopword
 * list ("Meeting Anna Schmidt") joins the name. Precision over recall: a lone capitalised word
 * is typed only by its context.
 */

type Named = Mention & { type: NonNullable<Candidate['type']> };

function mention(text: string, type: Named['type'], ts: readonly Token[]): Named | null {
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
  // one word: a German compound such as "Bundesfinanzministerium" or "Generalstaatsanwaltschaft"
  if (caps.length === 1 && first !== undefined && ts.length === 1) return isCompoundOrg(first);
  if (caps.length < 2 || first === undefined || last === undefined) return false;
  // a legal form closes long names too ("Müller Bau Verwaltungs GmbH & Co. KG")
  if (ORG_SUFFIXES.has(last.norm)) return caps.length <= 12;
  if (caps.length > 6) return false;
  if (ORG_TAIL_WORDS.has(last.norm)) return true;
  // "Kühn & Partner", "Marlowe & Finch": persons are not joined by an ampersand
  if (ts.some((t) => t.norm === '&')) return true;
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

function person(text: string, ts: Token[], titled: boolean): Named | null {
  const words = trimConnectors(ts);
  const caps = words.filter((t) => t.cap);
  if (caps.some((t) => ALL_CAPS.test(text.slice(t.start, t.end)) || /\d/.test(t.norm))) return null;
  const last = caps[caps.length - 1];
  // "Handelsregister B" ends in an initial, "Harbour Road" in a street word: neither is a person
  if (last === undefined || last.norm.length === 1 || STREET_WORDS.has(last.norm)) return null;
  const enough = caps.length >= 2 && caps.length <= 3 + caps.filter((t) => t.norm.length === 1).length;
  const titledSurname = titled && caps.length === 1 && caps.every((t) => !isOrgKeyword(t) && !ORG_SUFFIXES.has(t.norm));
  return enough || titledSurname ? mention(text, 'person', words) : null;
}

/** Places found inside a run (longest first) split it; the remaining pieces may be persons. */
function placesAndPersons(text: string, ts: Token[], titled: boolean): Candidate[] {
  const out: Candidate[] = [];
  let piece: Token[] = [];
  let pieceTitled = titled;
  const flush = (): void => {
    const p = person(text, piece, pieceTitled);
    if (p !== null) out.push({ ...p, titled: pieceTitled });
    else if (piece.length === 1 && piece[0] !== undefined && isNameWord(piece[0])) out.push(loose(text, piece[0]));
    piece = [];
    pieceTitled = false;
  };
  for (let i = 0; i < ts.length;) {
    let matched = 0;
    for (let n = Math.min(4, ts.length - i); n >= 1 && matched === 0; n--) {
      const slice = ts.slice(i, i + n);
      if (slice[0]?.cap && slice[n - 1]?.cap && PLACES.has(slice.map((t) => t.norm).join(' '))) matched = n;
    }
    // "Paris Hilton", "Florence Adebayo": a given name that a surname follows is no place
    const token = ts[i];
    const next = ts[i + matched];
    if (matched === 1 && piece.length === 0 && token !== undefined && FIRST_NAMES.has(token.norm) && next?.cap && !PLACES.has(next.norm)) {
      matched = 0;
    }
    if (matched > 0) {
      flush();
      const place = mention(text, 'place', ts.slice(i, i + matched));
      if (place !== null) out.push({ ...place, titled: false });
      i += matched;
    } else {
      if (token !== undefined) piece.push(token);
      i++;
    }
  }
  flush();
  return out;
}

/** A lone capitalised word: typed later by its context, or dropped. */
const loose = (text: string, t: Token): Candidate => ({
  type: null,
  name: text.slice(t.start, t.end),
  normalised: t.norm,
  start: t.start,
  end: t.end,
  titled: false,
});

/**
 * Splits a segment after a legal form or business word that a capitalised word of no organisation
 * follows ("… LIMITED Registered office", "Nordwind Shipping Karin Lindqvist").
 */
function splitAfterSuffixes(segment: Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  const closes = (t: Token): boolean => ORG_SUFFIXES.has(t.norm) || ORG_TAIL_WORDS.has(t.norm) || ORG_KEYWORDS.has(t.norm);
  segment.forEach((t, n) => {
    current.push(t);
    const next = segment[n + 1];
    if (closes(t) && current.length > 1 && next !== undefined && next.cap && next.norm !== '&' && !closes(next) && !isOrgKeyword(next)) {
      out.push(current);
      current = [];
    }
  });
  if (current.length > 0) out.push(current);
  return out;
}

function candidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  const asCandidate = (m: Named | null, titled = false): void => {
    if (m !== null) out.push({ ...m, titled });
  };
  for (const run of runs(text, tokenize(text))) {
    // stopwords split a run and are dropped; titles and roles are dropped from the front
    const segments: Token[][] = [[]];
    for (const t of run) {
      if (t.cap && STOPWORDS.has(t.norm)) segments.push([]);
      else segments[segments.length - 1]?.push(t);
    }
    for (const raw of segments.flatMap(splitAfterSuffixes)) {
      let segment = trimConnectors(raw);
      // before titles go: "General Motors" and "Dr. Oetker GmbH" are organisations
      if (classifyOrganisation(segment) && splitAtParticle(segment) === null) {
        asCandidate(mention(text, 'organisation', segment));
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
        asCandidate(mention(text, 'organisation', split.organisation));
        continue;
      }
      if (classifyOrganisation(segment)) asCandidate(mention(text, 'organisation', segment));
      else if (titled && segment.filter((t) => t.cap).length <= 3) {
        // "Mrs. Sydney Park": after a title the whole is a name, whatever the gazetteer says
        asCandidate(person(text, segment, true), true);
      } else out.push(...placesAndPersons(text, segment, titled));
    }
  }
  return out;
}

export function findNames(text: string): Mention[] {
  return resolveByContext(text, candidates(text));
}
