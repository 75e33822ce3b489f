/**
 * What the corpus generator's parts share: the document and storyline shapes, a seeded random
 * source (the same seed writes the same corpus byte for byte) and small formatters.
 */

export type DocType =
  | 'email'
  | 'registry-extract'
  | 'bank-transfer'
  | 'invoice'
  | 'court-filing'
  | 'regulatory-filing'
  | 'news-clipping'
  | 'meeting-notes'
  | 'memo';

export interface Doc {
  id: string;
  title: string;
  type: DocType;
  /** the storyline it belongs to; null for a distractor */
  storyline: string | null;
  lang: 'en' | 'de';
  date: string;
  text: string;
  /** what the document is about (judging rules read them): `about:<facet>` is its subject, the rest are mentions */
  tags: string[];
}

export interface Person {
  name: string;
  role: string;
  email?: string;
}

export interface Company {
  name: string;
  /** how registry extracts are laid out */
  jurisdiction: 'de' | 'uk' | 'cy' | 'bvi' | 'lv' | 'ch' | 'gi' | 'ae' | 'je' | 'pt' | 'ks';
  number: string;
  address: string;
  incorporated: string;
  capital: string;
  activity: string;
  directors: string[];
  shareholders: string[];
  /** facet tags every document about it carries */
  tags: string[];
}

export interface Transfer {
  date: string;
  from: { name: string; iban: string; bank: string };
  to: { name: string; iban: string; bank: string };
  amount: number;
  currency: string;
  reference: string;
  /** the analyst's or compliance officer's comment, when the memo has one */
  note?: string;
  tags: string[];
}

export interface InvoiceSpec {
  number: string;
  date: string;
  seller: { name: string; address: string; vat?: string };
  buyer: { name: string; address: string };
  lines: Array<{ text: string; qty: number; unit: number }>;
  currency: string;
  /** VAT charged; default 19% for a German seller, 20% for another with a VAT number, else none (0 for reverse charge and exports) */
  vatRate?: number;
  payTo?: string;
  footer?: string;
  tags: string[];
}

/** A hand-written document: the storyline's facts in prose. */
export interface Written {
  id: string;
  type: DocType;
  title: string;
  date: string;
  lang?: 'en' | 'de';
  text: string;
  tags: string[];
}

export interface Storyline {
  id: string;
  people: Person[];
  companies: Company[];
  transfers: Transfer[];
  invoices: InvoiceSpec[];
  written: Written[];
  /** what the newsroom intends to publish, put to each person in `replyTo` before publication */
  claims?: Array<{ text: string; tags: string[] }>;
  replyTo?: Array<{ name: string; salutation: string; address: string; tags: string[] }>;
}

/** mulberry32: small, seeded, good enough to vary wording deterministically */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, list: readonly T[]): T => {
  const v = list[Math.floor(r() * list.length)];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
};

export function money(amount: number, currency: string): string {
  const fixed = amount.toFixed(2);
  const [int = '0', dec = '00'] = fixed.split('.');
  return `${currency} ${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${dec}`;
}

export function geld(amount: number, currency: string): string {
  const fixed = amount.toFixed(2);
  const [int = '0', dec = '00'] = fixed.split('.');
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, '.')},${dec} ${currency}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONATE = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];

/** `2023-03-14` → `14 March 2023` */
export function longDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d} ${MONTHS[(m ?? 1) - 1]} ${y}`;
}

/** `2023-03-14` → `14. März 2023` */
export function langDatum(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d}. ${MONATE[(m ?? 1) - 1]} ${y}`;
}

/** `2023-03-14` → `14.03.2023` */
export function dotted(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

export function slug(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Dedents a template literal and trims its first and last empty lines. */
export function text(s: string): string {
  const lines = s
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  // the first line's indent: interpolated multi-line values may be indented less than the template
  const indent = /^ */.exec(lines.find((l) => l.trim() !== '') ?? '')?.[0].length ?? 0;
  return lines.map((l) => l.slice(Math.min(indent, /^ */.exec(l)?.[0].length ?? 0))).join('\n');
}
