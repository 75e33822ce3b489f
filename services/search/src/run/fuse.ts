/**
 * Merging the retrievers' answers (pure). Hybrid search fuses the keyword and the vector ranking
 * by reciprocal rank: each list adds `1 / (k + rank)` for every chunk it holds (rank from 1), so
 * the engines' incomparable scores never meet. Ties are broken by chunk id, so the same answers
 * always fuse into the same order.
 */

export type Retriever = 'keyword' | 'vector';

/** One retriever's answer for one chunk, in that retriever's order. */
export interface Candidate {
  chunkId: string;
  documentId: string;
  /** known from the vector payload; the text index does not carry it */
  chunkIndex: number | null;
  /** the engine's own score (its scale is the engine's) */
  score: number;
  /** HTML with <mark>, from the text index; null from the vector index */
  snippet: string | null;
}

export interface Fused {
  chunkId: string;
  documentId: string;
  chunkIndex: number | null;
  snippet: string | null;
  score: number;
  foundBy: Retriever[];
}

/** The constant of Cormack et al.: damps the head of each list so one engine cannot dominate. */
export const RRF_K = 60;

const byScoreThenId = (a: Fused, b: Fused): number => b.score - a.score || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0);

/** Reciprocal-rank fusion of ranked lists over chunk ids; a chunk repeated within one list counts once. */
export function fuseByRank(lists: Partial<Record<Retriever, Candidate[]>>, k: number = RRF_K): Fused[] {
  const out = new Map<string, Fused>();
  for (const retriever of ['keyword', 'vector'] as const) {
    const list = lists[retriever];
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
      } else {
        out.set(id, {
          chunkId: id,
          documentId: c.documentId.toLowerCase(),
          chunkIndex: c.chunkIndex,
          snippet: c.snippet,
          score: add,
          foundBy: [retriever],
        });
      }
    }
  }
  return [...out.values()].sort(byScoreThenId);
}

/** One retriever's list as it stands: the engine's score and order (the port defines both), duplicates dropped. */
export function single(retriever: Retriever, list: Candidate[]): Fused[] {
  const seen = new Set<string>();
  const out: Fused[] = [];
  for (const c of list) {
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
    });
  }
  return out;
}
