import {
  FIRST_NAMES,
  KNOWN_ORGANISATIONS,
  ORG_KEYWORDS,
  ORG_SUFFIXES,
  ORG_TAIL_WORDS,
  PLACES,
  ROLES,
  STOPWORDS,
  TITLES,
} from './gazetteer.ts';
import { normaliseName } from './normalise.ts';
import type { Mention } from './extract.ts';

/**
 * Two finders that run before the capitalised-run heuristic (`names.ts`), so what they find is
 * blanked out for it:
 * - organisations known by name (`KNOWN_ORGANISATIONS`: "Europol", "HSBC", "Der Spiegel"),
 *   matched as whole words with the case as listed, so "Ing." or "sec" never match, and not
 *   where a capitalised word or legal form follows ("Wirecard AG", "HSBC Holdings plc": the
 *   heuristic takes the whole name);
 * - persons written surname-first in registry extracts: "SOKOLOV, Igor", "FORSYTH, Helen Margaret"
 *   (an upper-case surname, a comma, capitalised given names). The key puts the given names
 *   first ("igor sokolov"), so the entity meets the same person written in prose.
 */

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const KNOWN_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${[...KNOWN_ORGANISATIONS]
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|')})(?![\\p{L}\\p{N}]|-\\p{L}|[ \\u00a0]+(?:\\p{Lu}|&|plc\\b|e\\.V\\.))`,
  'gu',
);

export function findKnownOrganisations(text: string): Mention[] {
  return [...text.matchAll(KNOWN_RE)].map((m) => ({
    type: 'organisation' as const,
    name: m[0],
    normalised: normaliseName(m[0]),
    start: m.index,
    end: m.index + m[0].length,
  }));
}

const REGISTRY_PERSON =
  /(?<![\p{L}\p{N}])(\p{Lu}[\p{Lu}'’-]+(?: \p{Lu}[\p{Lu}'’-]+)?), (\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+){0,2})(?![\p{L}\p{N}])/gu;

/** A word that may not be part of a registry name: a place, legal form, organisation word, title or stopword. */
const notAName = (word: string): boolean => {
  const n = normaliseName(word);
  return (
    PLACES.has(n) ||
    ORG_SUFFIXES.has(n) ||
    ORG_KEYWORDS.has(n) ||
    ORG_TAIL_WORDS.has(n) ||
    TITLES.has(n) ||
    ROLES.has(n) ||
    STOPWORDS.has(n)
  );
};

/** Words that follow a name in a registry line ("LINDQVIST, Karin Appointed 12/03/2019"). */
const REGISTRY_LABELS =
  /[ -](?:Appointed|Resigned|Ceased|Born|Nationality|Date|Address|Occupation|Director|Secretary|Notified|Country|Residence)\b.*$/u;

export function findRegistryPersons(text: string): Mention[] {
  const found: Mention[] = [];
  for (const m of text.matchAll(REGISTRY_PERSON)) {
    const [whole, surname = '', fullGiven = ''] = m;
    const given = fullGiven.replace(REGISTRY_LABELS, '');
    const name = whole.slice(0, whole.length - fullGiven.length + given.length);
    const words = [...surname.split(' '), ...given.split(/[ -]/)];
    if (words.some(notAName)) continue;
    // a given name we do not know needs a registry label before it ("DIRECTOR:", "member:")
    const labelled = /[:;]\s*$/.test(text.slice(Math.max(0, m.index - 3), m.index));
    if (!labelled && !FIRST_NAMES.has(normaliseName(given.split(/[ -]/)[0] ?? ''))) continue;
    found.push({ type: 'person', name, normalised: normaliseName(`${given} ${surname}`), start: m.index, end: m.index + name.length });
  }
  return found;
}
