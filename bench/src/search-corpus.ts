/**
 * A seeded synthetic corpus for `bench/search.ts`: documents of chunks made of sentences over a
 * vocabulary of people, companies, places, verbs and nouns. Words are drawn with a Zipf-like skew,
 * so some terms appear in a large share of the chunks (common) and others in a handful (selective);
 * the queries mix both. Same seed, same corpus, so runs compare.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '@mandant/shared/testing';

const FIRST = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Elif',
  'Farid',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Karin',
  'Luca',
  'Mira',
  'Nils',
  'Olga',
  'Paul',
  'Rosa',
  'Sven',
  'Tara',
  'Umut',
  'Vera',
  'Willem',
  'Xenia',
  'Yusuf',
  'Zofia',
  'Amir',
  'Birgit',
  'Chen',
  'Dora',
  'Emil',
];
const LAST = [
  'Meyer',
  'Schulz',
  'Okafor',
  'Novak',
  'Rossi',
  'Dubois',
  'Yilmaz',
  'Kowalski',
  'Jansen',
  'Haddad',
  'Lindqvist',
  'Moreau',
  'Petrov',
  'Santos',
  'Tanaka',
  'Weber',
  'Fischer',
  'Brennan',
  'Castillo',
  'Andersen',
  'Kaur',
  'Nakamura',
  'Oyelaran',
  'Varga',
];
const COMPANIES = [
  'Acme Holdings',
  'Borealis Shipping',
  'Cobalt Trust',
  'Delta Mining',
  'Evergreen Capital',
  'Falcon Logistics',
  'Granite Bank',
  'Helios Energy',
  'Ironbridge Partners',
  'Juniper Pharma',
  'Kestrel Media',
  'Lumen Telecom',
  'Meridian Foods',
  'Northwind Trading',
  'Orion Insurance',
  'Pinnacle Realty',
  'Quarry Steel',
  'Riverside Ventures',
  'Sapphire Textiles',
  'Titan Freight',
];
const PLACES = [
  'Berlin',
  'Zurich',
  'Lagos',
  'Rotterdam',
  'Nicosia',
  'Panama',
  'Dubai',
  'Riga',
  'Valletta',
  'Luxembourg',
  'Jersey',
  'Singapore',
  'Tallinn',
  'Vienna',
  'Lisbon',
  'Istanbul',
  'Hamburg',
  'Geneva',
  'Milan',
  'Warsaw',
];
const VERBS = [
  'transferred',
  'paid',
  'signed',
  'approved',
  'invoiced',
  'registered',
  'acquired',
  'wired',
  'reported',
  'audited',
  'invested',
  'borrowed',
  'shipped',
  'leased',
  'merged',
  'disclosed',
  'concealed',
  'received',
  'owed',
  'forwarded',
];
const NOUNS = [
  'payment',
  'contract',
  'invoice',
  'account',
  'loan',
  'shares',
  'property',
  'cargo',
  'licence',
  'subsidiary',
  'fee',
  'dividend',
  'bond',
  'guarantee',
  'commission',
  'donation',
  'settlement',
  'warehouse',
  'vessel',
  'consultancy',
  'ledger',
  'trust',
  'offshore',
  'audit',
  'tender',
  'royalty',
  'escrow',
  'mortgage',
  'permit',
  'bribe',
];
const TEMPLATES = [
  (w: Words) => `${w.person} ${w.verb} the ${w.noun} to ${w.company} in ${w.place}.`,
  (w: Words) => `According to the ${w.noun2}, ${w.company} ${w.verb} a ${w.noun} worth ${w.amount} euros.`,
  (w: Words) => `In ${w.place}, ${w.person} of ${w.company} ${w.verb} the ${w.noun} on ${w.date}.`,
  (w: Words) => `The ${w.noun} ${w.verb} by ${w.company} was later ${w.verb2} through ${w.place}.`,
  (w: Words) => `${w.person} never ${w.verb} any ${w.noun2} linked to ${w.company}.`,
];
const TYPES = ['pdf', 'docx', 'email', 'html'];

interface Words {
  person: string;
  company: string;
  place: string;
  verb: string;
  verb2: string;
  noun: string;
  noun2: string;
  amount: string;
  date: string;
}

/** mulberry32: small, fast, seedable. */
export const rng = seededRandom;

/** Zipf-like pick: index i has weight 1/(i+1), so the first entries are common, the last rare. */
function zipf<T>(rand: () => number, xs: readonly T[]): T {
  const h = harmonic(xs.length);
  let u = rand() * h;
  for (let i = 0; i < xs.length; i++) {
    u -= 1 / (i + 1);
    if (u <= 0) return xs[i] as T;
  }
  return xs[xs.length - 1] as T;
}
const harmonicCache = new Map<number, number>();
function harmonic(n: number): number {
  let h = harmonicCache.get(n);
  if (h === undefined) {
    h = 0;
    for (let i = 1; i <= n; i++) h += 1 / i;
    harmonicCache.set(n, h);
  }
  return h;
}
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

/** A deterministic uuid (v4 layout) from a label, so runs with one seed use the same ids. */
export function seededUuid(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface BenchChunk {
  id: string;
  documentId: string;
  chunkIndex: number;
  title: string;
  text: string;
  projectIds: string[];
  documentType: string;
  createdAt: string;
  entityNames: string[];
}

export interface CorpusShape {
  chunks: number;
  chunksPerDocument: number;
  projects: number;
  /** share of documents linked to a second project */
  sharedShare: number;
  seed: number;
}

export function projectIdsOf(shape: CorpusShape): string[] {
  return Array.from({ length: shape.projects }, (_, i) => seededUuid(`project-${shape.seed}-${i}`));
}

/** The chunks in batches of `batch`, generated lazily (100,000 chunks of text are ~40 MB as strings). */
export function* corpus(shape: CorpusShape, batch: number): Generator<BenchChunk[]> {
  const rand = rng(shape.seed);
  const projects = projectIdsOf(shape);
  const documents = Math.ceil(shape.chunks / shape.chunksPerDocument);
  let out: BenchChunk[] = [];
  let made = 0;
  for (let d = 0; d < documents && made < shape.chunks; d++) {
    const documentId = seededUuid(`doc-${shape.seed}-${d}`);
    const home = d % projects.length;
    const projectIds = [projects[home] ?? ''];
    if (rand() < shape.sharedShare)
      projectIds.push(projects[(home + 1 + Math.floor(rand() * (projects.length - 1))) % projects.length] ?? '');
    const documentType = pick(rand, TYPES);
    const createdAt = new Date(Date.UTC(2020, 0, 1) + Math.floor(rand() * 4 * 365) * 86_400_000).toISOString();
    const title = `${zipf(rand, COMPANIES)} ${zipf(rand, NOUNS)} file ${d}`;
    for (let c = 0; c < shape.chunksPerDocument && made < shape.chunks; c++, made++) {
      const sentences: string[] = [];
      const entities = new Set<string>();
      const n = 3 + Math.floor(rand() * 3);
      for (let s = 0; s < n; s++) {
        const w: Words = {
          person: `${zipf(rand, FIRST)} ${zipf(rand, LAST)}`,
          company: zipf(rand, COMPANIES),
          place: zipf(rand, PLACES),
          verb: zipf(rand, VERBS),
          verb2: zipf(rand, VERBS),
          noun: zipf(rand, NOUNS),
          noun2: zipf(rand, NOUNS),
          amount: String(1000 + Math.floor(rand() * 900_000)),
          date: `${1 + Math.floor(rand() * 28)} ${pick(rand, ['March', 'May', 'July', 'October'])} ${2015 + Math.floor(rand() * 9)}`,
        };
        sentences.push(pick(rand, TEMPLATES)(w));
        entities.add(w.person);
        entities.add(w.company);
      }
      out.push({
        id: seededUuid(`chunk-${shape.seed}-${d}-${c}`),
        documentId,
        chunkIndex: c,
        title,
        text: sentences.join(' '),
        projectIds,
        documentType,
        createdAt,
        entityNames: [...entities].slice(0, 4),
      });
      if (out.length === batch) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

export type QueryKind = 'selective' | 'mixed' | 'common';

/**
 * Keyword queries in three kinds, round robin: `selective` (a full name from the rare end of the
 * vocabulary: few matches), `mixed` (a company and a mid-frequency noun), `common` (one of the
 * most frequent words: matches a large share of the chunks).
 */
export function queries(n: number, seed: number): Array<{ text: string; kind: QueryKind }> {
  const rand = rng(seed ^ 0x5eed);
  const tail = <T>(xs: readonly T[]): T => xs[xs.length - 1 - Math.floor(rand() * Math.ceil(xs.length / 3))] as T;
  const head = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * 3)] as T;
  return Array.from({ length: n }, (_, i) => {
    switch (i % 3) {
      case 0:
        return { text: `${tail(FIRST)} ${tail(LAST)}`, kind: 'selective' as const };
      case 1:
        return { text: `${pick(rand, COMPANIES)} ${pick(rand, NOUNS)}`, kind: 'mixed' as const };
      default:
        return { text: head([VERBS[0], NOUNS[0], PLACES[0]]) ?? 'payment', kind: 'common' as const };
    }
  });
}
