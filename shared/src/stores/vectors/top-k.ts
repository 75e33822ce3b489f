export interface Scored {
  id: string;
  score: number;
}

/** Highest score first; equal scores by id, so pages over one stored state are stable. */
export const nearestFirst = (a: Scored, b: Scored): number => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Keeps the k best of a stream in bounded memory: it collects up to about 4k, then sorts and
 * cuts back to k (amortised O(n log k), without a heap's bookkeeping). Anything below the k-th
 * best seen so far is dropped at once.
 */
export function createTopK(k: number): { offer(id: string, score: number): void; sorted(): Scored[] } {
  let items: Scored[] = [];
  let floor = -Infinity;
  return {
    offer(id, score) {
      if (k <= 0 || score < floor) return;
      items.push({ id, score });
      if (items.length >= 4 * k + 64) {
        items = items.sort(nearestFirst).slice(0, k);
        floor = items[items.length - 1]?.score ?? -Infinity;
      }
    },
    sorted() {
      items = items.sort(nearestFirst).slice(0, k);
      return items.slice();
    },
  };
}
