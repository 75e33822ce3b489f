/**
 * Splits extracted text into overlapping chunks for embedding and search. A chunk ends at the
 * strongest boundary that keeps it between half and all of `targetChars`: a paragraph break,
 * else a sentence end, else a line break, else a space; only a single run of
 * `targetChars` without any of those is cut mid-word. Each chunk after the first starts up to
 * `overlapChars` before the previous one ended, at a sentence or word start, so a fact that
 * straddles a cut is whole in at least one chunk.
 *
 * Spans index into the input: `text === input.slice(start, end)`, without leading or trailing
 * whitespace. Pure and deterministic: the same input and options give the same chunks.
 */
export interface Chunk {
  index: number;
  text: string;
  start: number;
  end: number;
}

export interface ChunkOptions {
  targetChars?: number;
  overlapChars?: number;
}

type Boundary = 'paragraph' | 'sentence' | 'line' | 'word';
const BOUNDARY_ORDER: readonly Boundary[] = ['paragraph', 'sentence', 'line', 'word'];

/** Abbreviations whose trailing period ends no sentence (English and German newsroom usage). */
const ABBREVIATIONS = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'prof',
  'st',
  'jr',
  'sr',
  'no',
  'nr',
  'vs',
  'etc',
  'inc',
  'ltd',
  'co',
  'corp',
  'ca',
  'bzw',
  'vgl',
  'z.b',
  'u.a',
  'd.h',
  'usw',
  'hr',
  'fr',
  'str',
  'abs',
  'art',
  'mio',
  'mrd',
  'e.g',
  'i.e',
]);

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/.test(ch);

function endsSentence(text: string, punctuationAt: number): boolean {
  if (text[punctuationAt] !== '.') return true;
  const before = /([\p{L}.]+)$/u.exec(text.slice(Math.max(0, punctuationAt - 12), punctuationAt))?.[1] ?? '';
  if (before.length === 1) return false; // an initial, as in "J. Smith"
  return !ABBREVIATIONS.has(before.toLowerCase());
}

/** Cut positions of one boundary kind inside [from, to]; a cut is where the chunk's text ends. */
function cuts(text: string, from: number, to: number, kind: Boundary): number[] {
  const window = text.slice(from, Math.min(text.length, to + 1));
  const found: number[] = [];
  const add = (at: number): void => {
    if (at > from && at <= to) found.push(at);
  };
  if (kind === 'paragraph') for (const m of window.matchAll(/\n[ \t]*\n/g)) add(from + m.index);
  if (kind === 'line') for (const m of window.matchAll(/\n/g)) add(from + m.index);
  if (kind === 'word') for (const m of window.matchAll(/\s+/g)) add(from + m.index);
  if (kind === 'sentence') {
    for (const m of window.matchAll(/[.!?…]+["'”’»)\]]*(?=\s)/g)) {
      if (endsSentence(text, from + m.index)) add(from + m.index + m[0].length);
    }
  }
  return found;
}

function chooseCut(text: string, start: number, targetChars: number): number {
  const limit = start + targetChars;
  const earliest = start + Math.floor(targetChars / 2);
  for (const kind of BOUNDARY_ORDER) {
    const candidates = cuts(text, earliest, limit, kind);
    const last = candidates[candidates.length - 1];
    if (last !== undefined) return last;
  }
  // no boundary at all: cut hard, but never between the halves of a surrogate pair
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** Where the next chunk starts: the earliest sentence (else word) start in the overlap window. */
function nextStart(text: string, previousStart: number, cut: number, overlapChars: number): number {
  let next = cut;
  if (overlapChars > 0) {
    const from = Math.max(previousStart + 1, cut - overlapChars);
    const region = text.slice(from, cut);
    const sentence = /(?:[.!?…]+["'”’»)\]]*\s+|\n\s*)(?=\S)/g.exec(region);
    const word = /\s+(?=\S)/.exec(region);
    const atStart = from > 0 && isSpace(text[from - 1]) && !isSpace(text[from]);
    if (sentence !== null) next = from + sentence.index + sentence[0].length;
    else if (atStart) next = from;
    else if (word !== null) next = from + word.index + word[0].length;
  }
  while (next < text.length && isSpace(text[next])) next++;
  return next;
}

function trimmedEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && isSpace(text[e - 1])) e--;
  return e;
}

export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const { targetChars = 1200, overlapChars = 150 } = options;
  if (!Number.isInteger(targetChars) || targetChars < 2) throw new RangeError('targetChars must be an integer ≥ 2');
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars * 2 > targetChars) {
    throw new RangeError('overlapChars must be an integer between 0 and targetChars / 2');
  }
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < text.length && isSpace(text[start])) start++;
  while (start < text.length) {
    const remainderFits = text.length - start <= targetChars;
    const cut = remainderFits ? text.length : chooseCut(text, start, targetChars);
    const end = trimmedEnd(text, start, cut);
    chunks.push({ index: chunks.length, text: text.slice(start, end), start, end });
    if (remainderFits) break;
    start = nextStart(text, start, cut, overlapChars);
  }
  return chunks;
}
