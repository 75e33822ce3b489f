/**
 * Merging the retrievers' answers (pure). Hybrid search ranks in two tiers: first the chunks the
 * keyword engine found with more than half of the query's words (a strong keyword hit: the words
 * the user typed are there), then the rest; within a tier by weighted reciprocal rank, each list
 * adding `weight / (k + rank)` for every chunk it holds (rank from 1; keyword 1, vector 1/2), so
 * the engines' incomparable scores never meet. The vector list thus reorders and fills in, but
 * never pushes a passage with the query's words below one without them. Ties go to the strong
 * match, then to the lower chunk id, so the same answers always fuse into the same order.
 * (Tuned on the relevance bench's dev queries only; see bench/RESULTS.md.)
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
  /** hybrid: 1 for a strong keyword hit (`KEYWORD_TIER`, else 0) plus the weighted rank sum; one retriever: its engine's score */
  score: number;
  foundBy: Retriever[];
  /** strong when any retriever that found it is sure */
  match: Match;
}

/** The constant of Cormack et al.: damps the head of each list so one engine cannot dominate. */
export const RRF_K = 60;

/** Each list's weight in the reciprocal-rank sum: a vector rank counts half a keyword rank. */
export const RRF_WEIGHTS: Readonly<Record<Retriever, number>> = { keyword: 1, vector: 0.5 };

/**
 * Added to the score of a chunk with a strong keyword hit: more than any reciprocal-rank sum can
 * reach (at most 1.5 / (k + 1), under 1 for any k ≥ 1), so the score's whole part is the tier and
 * its fraction the rank sum.
 */
export const KEYWORD_TIER = 1;

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
/** Fused score first; on a tie the strong match, then the id. */
const byScoreThenId = (a: Fused, b: Fused): number =>
  b.score - a.score || strength(b) - strength(a) || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0);

/**
 * Tiered, weighted reciprocal-rank fusion of ranked lists over chunk ids (see the top of this
 * file); a chunk repeated within one list counts once, at its first place. `vectorFloor` is the
 * model's similarity floor: vector candidates below it never enter.
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
      const add = RRF_WEIGHTS[retriever] / (k + rank) + (retriever === 'keyword' && c.match === 'strong' ? KEYWORD_TIER : 0);
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
