/** Latency sampling for `bench/search.ts`: sequential timed calls and nearest-rank percentiles. */
import { performance } from 'node:perf_hooks';

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (no interpolation): p95 of 200 samples is the 190th smallest. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN };
}

/** Runs `call(i)` for i in 0..n-1, one at a time, and returns each call's wall time in ms. */
export async function timeEach(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Reciprocal rank fusion (k = 60): each list adds 1 / (k + rank) to an id; best fused first. */
export function rrf(lists: Array<Array<{ id: string }>>, limit: number, k = 60): string[] {
  const score = new Map<string, number>();
  for (const list of lists) list.forEach((hit, rank) => score.set(hit.id, (score.get(hit.id) ?? 0) + 1 / (k + rank + 1)));
  return [...score]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([id]) => id);
}
