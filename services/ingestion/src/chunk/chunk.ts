import { estimateWordPieceTokens } from './token-estimate.ts';

/**
 * Splits extracted text into overlapping chunks that fit an embedding model's input. A chunk
 * holds at most `maxTokens` tokens as `countTokens` counts them, and ends at the strongest
 * boundary that keeps it above half of that: a paragraph break, else a sentence end, else a
 * line break, else a space; only a single word longer than the budget (or than `maxChars`) is
 * cut inside. Each chunk after the first starts up to `overlapTokens` tokens before the
 * previous one ended, at a sentence or word start, so a fact that straddles a cut is whole in
 * at least one chunk.
 *
 * Tokens are counted word by word (whitespace-separated, each distinct word once) and summed,
 * which is exact for BERT-style tokenizers, whose pre-tokenizer splits at whitespace; each chunk
 * is then counted whole and cut shorter should a tokenizer not add up that way, so every chunk
 * is within the budget per `countTokens` whatever the tokenizer.
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
  /** the most tokens in a chunk, special tokens excluded (default 200) */
  maxTokens?: number;
  /** the most tokens a chunk repeats of the previous one (default 30; at most maxTokens / 2) */
  overlapTokens?: number;
  /** a text's token count, special tokens excluded (default: `estimateWordPieceTokens`) */
  countTokens?: (text: string) => number;
  /** the most characters in a chunk whatever its token count, for words a tokenizer reads as one unknown token (default 3000) */
  maxChars?: number;
}

export const DEFAULT_CHUNK_TOKENS = 200;
export const DEFAULT_OVERLAP_TOKENS = 30;
const DEFAULT_MAX_CHARS = 3000;

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

interface Settings {
  maxTokens: number;
  overlapTokens: number;
  maxChars: number;
  count: (text: string) => number;
}

/** The input's words (maximal non-space runs) with their token counts, each distinct word counted once. */
interface Words {
  starts: number[];
  ends: number[];
  cost(w: number): number;
}

function words(text: string, s: Settings): Words {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of text.matchAll(/\S+/g)) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  const costs = new Map<string, number>();
  return {
    starts,
    ends,
    cost(w) {
      const from = starts[w] ?? 0;
      const to = ends[w] ?? 0;
      if (to - from > s.maxChars) return Number.POSITIVE_INFINITY; // always cut inside
      const word = text.slice(from, to);
      let cost = costs.get(word);
      if (cost === undefined) {
        cost = s.count(word);
        costs.set(word, cost);
      }
      return cost;
    },
  };
}

/** The first word ending after `at`. */
function wordAfter(ws: Words, at: number): number {
  let lo = 0;
  let hi = ws.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ws.ends[mid] ?? 0) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** The longest prefix of text[start, to) within the budget, cut inside a word: at least one character, never half a surrogate pair. */
function hardCut(text: string, start: number, to: number, s: Settings): number {
  let lo = start + 1;
  let hi = Math.min(to, start + s.maxChars);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.count(text.slice(start, mid)) <= s.maxTokens) lo = mid;
    else hi = mid - 1;
  }
  if (lo < to && isHighSurrogate(text.charCodeAt(lo - 1))) lo = lo - 1 > start ? lo - 1 : lo + 1;
  return lo;
}

/**
 * Where the chunk starting at `start` may end: `limit`, the end of the last word within the
 * budget, and `earliest`, the end of the last word before half the budget (cuts lie after it);
 * `whole` when the rest of the text fits; `hard` when not even one word fits.
 */
function reach(text: string, start: number, ws: Words, s: Settings): { limit: number; earliest: number; whole: boolean; hard: boolean } {
  let used = 0;
  let limit = start;
  let earliest = start;
  for (let w = wordAfter(ws, start); w < ws.ends.length; w++) {
    const wordStart = ws.starts[w] ?? 0;
    const end = ws.ends[w] ?? 0;
    // a word this chunk starts inside of (after a hard cut) is counted as the part it holds
    const cost = wordStart >= start ? ws.cost(w) : s.count(text.slice(start, Math.min(end, start + s.maxChars + 1)));
    if (used + cost > s.maxTokens || end - start > s.maxChars) {
      if (limit === start) return { limit: hardCut(text, start, end, s), earliest: start, whole: false, hard: true };
      return { limit, earliest, whole: false, hard: false };
    }
    used += cost;
    if (used * 2 <= s.maxTokens) earliest = end;
    limit = end;
  }
  return { limit: text.length, earliest, whole: true, hard: false };
}

function chooseCut(text: string, earliest: number, limit: number): number {
  for (const kind of BOUNDARY_ORDER) {
    const candidates = cuts(text, earliest, limit, kind);
    const last = candidates[candidates.length - 1];
    if (last !== undefined) return last;
  }
  return limit;
}

/** Where the next chunk starts: the earliest sentence (else word) start among the last `overlapTokens` tokens before `cut`. */
function nextStart(text: string, previousStart: number, cut: number, ws: Words, s: Settings): number {
  let next = cut;
  if (s.overlapTokens > 0) {
    let from = cut;
    let used = 0;
    for (let w = wordAfter(ws, cut - 1); w >= 0; w--) {
      const wordStart = ws.starts[w] ?? 0;
      if ((ws.ends[w] ?? 0) > cut) continue; // the word a hard cut went through
      if (wordStart <= previousStart) break;
      used += ws.cost(w);
      if (used > s.overlapTokens) break;
      from = wordStart;
    }
    if (from < cut) {
      const region = text.slice(from, cut);
      const sentence = /(?:[.!?…]+["'”’»)\]]*\s+|\n\s*)(?=\S)/g.exec(region);
      next = sentence === null ? from : from + sentence.index + sentence[0].length;
    }
  }
  return skipSpace(text, next);
}

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && isSpace(text[at])) at++;
  return at;
}

function trimmedEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && isSpace(text[e - 1])) e--;
  return e;
}

function settings(options: ChunkOptions): Settings {
  const { maxTokens = DEFAULT_CHUNK_TOKENS, maxChars = DEFAULT_MAX_CHARS, countTokens = estimateWordPieceTokens } = options;
  const overlapTokens = options.overlapTokens ?? Math.min(DEFAULT_OVERLAP_TOKENS, Math.floor(maxTokens / 2));
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError('maxTokens must be an integer ≥ 1');
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens * 2 > maxTokens) {
    throw new RangeError('overlapTokens must be an integer between 0 and maxTokens / 2');
  }
  if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError('maxChars must be an integer ≥ 2');
  return { maxTokens, overlapTokens, maxChars, count: countTokens };
}

export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const s = settings(options);
  const ws = words(text, s);
  const chunks: Chunk[] = [];
  let start = ws.starts[0] ?? text.length;
  let previousCut = start;
  while (start < text.length) {
    const r = reach(text, start, ws, s);
    if (!r.whole && start < previousCut && r.limit <= previousCut) {
      // the overlap leaves no room for anything new (a word longer than the budget follows): drop it
      start = skipSpace(text, previousCut);
      continue;
    }
    let cut = r.whole || r.hard ? r.limit : chooseCut(text, r.earliest, r.limit);
    let end = trimmedEnd(text, start, cut);
    let whole = r.whole;
    // a tokenizer that does not add up word by word: cut shorter until the chunk fits
    while (end - start > 1 && s.count(text.slice(start, end)) > s.maxTokens) {
      const shorter = ws.ends.slice(wordAfter(ws, start), wordAfter(ws, end - 1)).filter((e) => e < end);
      cut = shorter[shorter.length - 1] ?? hardCut(text, start, end - 1, s);
      end = trimmedEnd(text, start, cut);
      whole = false;
    }
    chunks.push({ index: chunks.length, text: text.slice(start, end), start, end });
    if (whole) break;
    previousCut = cut;
    start = nextStart(text, start, cut, ws, s);
  }
  return chunks;
}
