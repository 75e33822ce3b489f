/**
 * Merging the retrievers' answers (pure). Hybrid search fuses the keyword and the vector ranking
 * by reciprocal rank: each list adds `1 / (k + rank)` for every chunk it holds (rank from 1), so
 * the engines' incomparable scores never meet. Ties go to the strong match, then to the lower
 * chunk id, so the same answers always fuse into the same order.
 *
 * Relevance: the vector list only holds chunks at or above the model's similarity floor (a
 * nearest neighbour is not an answer: every query has one), so a query about nothing in the
 * corpus finds nothing rather than whatever is nearest. Each hit is then `strong` or `weak`:
 * strong when either retriever's evidence is clear (see `keywordStrength`, `vectorStrength`).
 */

export type Retriever = 'keyword' | 'vector';
export type Match = 'strong' | 'weak';

/** One retriever's answer for one chunk, in that retriever's order. */
export interface Candidate {
  chunkId: string;
  documentId: string;
  /** known from the vector payload; the text index does not carry it */
  chunkIndex: number | null;
  /** the engine's own score (its scale is the engine's; the vector index's is the cosine similarity) */
  score: number;
  /** HTML with <mark>, from the text index; null from the vector index */
  snippet: string | null;
  /** whether this retriever's evidence alone makes the chunk a clear answer */
  match: Match;
}

export interface Fused {
  chunkId: string;
  documentId: string;
  chunkIndex: number | null;
  snippet: string | null;
  score: number;
  foundBy: Retriever[];
  /** strong when any retriever that found it is sure */
  match: Match;
}

/** The constant of Cormack et al.: damps the head of each list so one engine cannot dominate. */
export const RRF_K = 60;

/**
 * A vector hit is strong from this share of the way between the model's floor and a perfect
 * match (1) upwards: well clear of the floor, where unrelated passages thin out. For the local
 * hashing model (floor 0.25 at 384 dimensions) that is 0.44, which on the relevance bench's
 * corpus only passages sharing several query words reach; a vector hit between the floor and
 * this line is related at best.
 */
export const STRONG_SHARE = 0.25;

export const strongSimilarity = (floor: number): number => floor + (1 - floor) * STRONG_SHARE;

export const vectorStrength = (similarity: number, floor: number): Match => (similarity >= strongSimilarity(floor) ? 'strong' : 'weak');

/** A keyword hit is strong when it holds more than half of the query's terms ("Boris Petrov" of "Boris Petrov payment"). */
export const keywordStrength = (matched: number, terms: number): Match => (terms > 0 && matched * 2 > terms ? 'strong' : 'weak');

/** The vector list without what lies below the floor (or has no similarity at all). */
export function aboveFloor(list: Candidate[], floor: number): Candidate[] {
  return list.filter((c) => Number.isFinite(c.score) && c.score >= floor);
}

const strength = (f: Fused): number => (f.match === 'strong' ? 1 : 0);
/** Fused score first; on a tie the strong match (a chunk with every word ranked first by keyword and second by vector ties with its reverse), then the id. */
const byScoreThenId = (a: Fused, b: Fused): number =>
  b.score - a.score || strength(b) - strength(a) || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0);

/**
 * Reciprocal-rank fusion of ranked lists over chunk ids; a chunk repeated within one list counts
 * once. `vectorFloor` is the model's similarity floor: vector candidates below it never enter.
 */
export function fuseByRank(lists: Partial<Record<Retriever, Candidate[]>>, options: { vectorFloor?: number; k?: number } = {}): Fused[] {
  const { vectorFloor = -Infinity, k = RRF_K } = options;
  const out = new Map<string, Fused>();
  for (const retriever of ['keyword', 'vector'] as const) {
    const list = retriever === 'vector' ? aboveFloor(lists.vector ?? [], vectorFloor) : lists.keyword;
    if (!list) continue;
    const seen = new Set<string>();
    let rank = 0;
    for (const c of list) {
      const id = c.chunkId.toLowerCase();
      if (seen.has(id)) continue;
      seen.add(id);
      rank += 1;
      const add = 1 / (k + rank);
      const prev = out.get(id);
      if (prev) {
        prev.score += add;
        prev.foundBy.push(retriever);
        prev.chunkIndex ??= c.chunkIndex;
        prev.snippet ??= c.snippet;
        if (c.match === 'strong') prev.match = 'strong';
      } else {
        out.set(id, {
          chunkId: id,
          documentId: c.documentId.toLowerCase(),
          chunkIndex: c.chunkIndex,
          snippet: c.snippet,
          score: add,
          foundBy: [retriever],
          match: c.match,
        });
      }
    }
  }
  return [...out.values()].sort(byScoreThenId);
}

/**
 * One retriever's list as it stands: the engine's score and order (the port defines both),
 * duplicates dropped, and for the vector list what lies below `vectorFloor` dropped.
 */
export function single(retriever: Retriever, list: Candidate[], vectorFloor = -Infinity): Fused[] {
  const seen = new Set<string>();
  const out: Fused[] = [];
  for (const c of retriever === 'vector' ? aboveFloor(list, vectorFloor) : list) {
    const id = c.chunkId.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      chunkId: id,
      documentId: c.documentId.toLowerCase(),
      chunkIndex: c.chunkIndex,
      snippet: c.snippet,
      score: c.score,
      foundBy: [retriever],
      match: c.match,
    });
  }
  return out;
}
