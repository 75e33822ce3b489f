import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentRanking, mean, ndcgAt, recallAt, reciprocalRank } from './metrics.ts';

const grades = new Map([
  ['a', 3],
  ['b', 2],
  ['c', 1],
]);

describe('relevance metrics', () => {
  it('ranks each document at its best chunk', () => {
    const hits = ['d1', 'd2', 'd1', 'd3', 'd2'].map((document_id) => ({ document_id }));
    expect(documentRanking(hits)).toEqual(['d1', 'd2', 'd3']);
  });

  it('computes nDCG with exponential gain and log2 discount as by hand', () => {
    // DCG = (2^2-1)/log2(2) + 0 + (2^3-1)/log2(4) = 3 + 3.5 = 6.5
    // IDCG = 7/log2(2) + 3/log2(3) + 1/log2(4) = 7 + 1.8927893 + 0.5 = 9.3927893
    expect(ndcgAt(['b', 'x', 'a'], grades, 10)).toBeCloseTo(6.5 / 9.3927893, 6);
    expect(ndcgAt(['b', 'x', 'a'], grades, 1)).toBeCloseTo(3 / 7, 6);
    expect(ndcgAt(['a', 'b', 'c', 'x'], grades, 10)).toBeCloseTo(1, 9);
    expect(ndcgAt([], grades, 10)).toBe(0);
    expect(ndcgAt(['a'], new Map(), 10)).toBeNaN();
  });

  it('computes recall at k over documents graded at least the minimum', () => {
    expect(recallAt(['b', 'x', 'a'], grades, 2)).toBeCloseTo(1 / 3, 9);
    expect(recallAt(['b', 'x', 'a'], grades, 3)).toBeCloseTo(2 / 3, 9);
    expect(recallAt(['b', 'x', 'a'], grades, 3, 2)).toBe(1);
    expect(recallAt(['x'], new Map(), 20)).toBeNaN();
  });

  it('computes the reciprocal rank of the first document graded at least the minimum', () => {
    expect(reciprocalRank(['c', 'x', 'a'], grades, 2)).toBeCloseTo(1 / 3, 9);
    expect(reciprocalRank(['c', 'x', 'a'], grades, 1)).toBe(1);
    expect(reciprocalRank(['x', 'y'], grades, 1)).toBe(0);
    expect(reciprocalRank(['a'], new Map([['a', 1]]), 2)).toBeNaN();
  });

  it('averages only the queries a metric applies to', () => {
    expect(mean([1, Number.NaN, 0])).toBe(0.5);
    expect(mean([Number.NaN])).toBeNaN();
  });

  it('keeps every metric between 0 and 1 and gives a perfect ranking 1, whatever the grades and ranking', () => {
    const docs = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
    fc.assert(
      fc.property(
        fc.dictionary(docs, fc.integer({ min: 0, max: 3 })),
        fc.uniqueArray(docs),
        fc.integer({ min: 1, max: 10 }),
        (g, ranking, k) => {
          const judged = new Map(Object.entries(g));
          for (const v of [ndcgAt(ranking, judged, k), recallAt(ranking, judged, k), reciprocalRank(ranking, judged, 1)]) {
            if (Number.isNaN(v)) continue;
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1 + 1e-12);
          }
          const ideal = [...judged]
            .filter(([, v]) => v > 0)
            .sort((x, y) => y[1] - x[1])
            .map(([id]) => id);
          if (ideal.length > 0) expect(ndcgAt(ideal, judged, k)).toBeCloseTo(1, 9);
        },
      ),
    );
  });
});
