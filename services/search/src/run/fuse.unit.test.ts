import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Candidate,
  KEYWORD_TIER,
  RRF_K,
  RRF_WEIGHTS,
  fuseByRank,
  keywordStrength,
  single,
  strongSimilarity,
  vectorStrength,
} from './fuse.ts';

const c = (chunkId: string, score = 1, extra: Partial<Candidate> = {}): Candidate => ({
  chunkId,
  documentId: `doc-${chunkId}`,
  chunkIndex: null,
  score,
  snippet: null,
  match: 'weak',
  ...extra,
});
const [KW, VEC] = [RRF_WEIGHTS.keyword, RRF_WEIGHTS.vector];

describe('reciprocal-rank fusion', () => {
  it('adds weight/(k+rank) from each list (a vector rank weighs half), so a chunk both retrievers found ranks first', () => {
    const fused = fuseByRank({ keyword: [c('a'), c('b')], vector: [c('c'), c('b')] });
    expect(fused.map((f) => f.chunkId)).toEqual(['b', 'a', 'c']);
    expect(fused[0]?.score).toBeCloseTo((KW + VEC) / (RRF_K + 2));
    expect(fused[2]?.score).toBeCloseTo(VEC / (RRF_K + 1));
    expect(fused[0]?.foundBy).toEqual(['keyword', 'vector']);
    expect(fused[1]?.foundBy).toEqual(['keyword']);
    expect(fused[2]?.foundBy).toEqual(['vector']);
  });

  it('puts every strong keyword hit (more than half of the words) before any other, however the vector ranks them', () => {
    const fused = fuseByRank({
      keyword: [c('some', 1, { match: 'weak' }), c('all', 1, { match: 'strong' })],
      vector: [c('some', 0.9, { match: 'strong' }), c('near', 0.8, { match: 'strong' })],
    });
    expect(fused.map((f) => f.chunkId)).toEqual(['all', 'some', 'near']);
    expect(fused[0]?.score).toBeCloseTo(KEYWORD_TIER + KW / (RRF_K + 2));
    // a weak keyword hit the vector also found still comes first among the rest
    expect(fused[1]?.score).toBeCloseTo(KW / (RRF_K + 1) + VEC / (RRF_K + 1));
  });

  it("ignores the engines' scores: only ranks count", () => {
    const fused = fuseByRank({ keyword: [c('x', 1000), c('y', 0.001)] });
    expect(fused.map((f) => [f.chunkId, f.score])).toEqual([
      ['x', 1 / (RRF_K + 1)],
      ['y', 1 / (RRF_K + 2)],
    ]);
  });

  it('breaks equal scores by chunk id, whatever order the lists come in', () => {
    const one = fuseByRank({ keyword: [c('b'), c('d')], vector: [c('a'), c('c')] });
    const two = fuseByRank({ vector: [c('a'), c('c')], keyword: [c('b'), c('d')] });
    expect(one.map((f) => f.chunkId)).toEqual(['b', 'd', 'a', 'c']);
    expect(two).toEqual(one);
    // equal sums: vector rank 1 and 2 with k = 0 (1/2, 1/4) against keyword rank 2 and 4 (1/2, 1/4)
    const tied = fuseByRank({ keyword: [c('x'), c('d'), c('y'), c('b')], vector: [c('c'), c('a')] }, { k: 0 });
    expect(tied.map((f) => f.chunkId)).toEqual(['x', 'c', 'd', 'y', 'a', 'b']);
  });

  it('gives a tie to the strong match before the chunk id', () => {
    // vector-only: rank 2 at weight 1/2 is 0.5/62 = 1/124, the same as keyword-only rank 64 (1/124)
    const keyword = Array.from({ length: 64 }, (_, i) => c(`k${String(i).padStart(2, '0')}`));
    const fused = fuseByRank({
      keyword,
      vector: [c('v1', 0.9, { match: 'weak' }), c('a', 0.9, { match: 'strong' })],
    });
    const [a, k63] = [fused.find((f) => f.chunkId === 'a'), fused.find((f) => f.chunkId === 'k63')];
    expect(a?.score).toBe(k63?.score);
    expect(fused.indexOf(a as never)).toBe(fused.indexOf(k63 as never) - 1);
  });

  it('keeps the text snippet and the vector chunk index of a chunk both found', () => {
    const [f] = fuseByRank({ keyword: [c('a', 1, { snippet: '<mark>x</mark>' })], vector: [c('a', 1, { chunkIndex: 3 })] });
    expect(f).toMatchObject({ snippet: '<mark>x</mark>', chunkIndex: 3 });
  });

  it('counts a chunk repeated in one list once, at its best rank', () => {
    const fused = fuseByRank({ keyword: [c('a'), c('a'), c('b')] });
    expect(fused.map((f) => [f.chunkId, f.score])).toEqual([
      ['a', 1 / (RRF_K + 1)],
      ['b', 1 / (RRF_K + 2)],
    ]);
  });

  it("a single retriever keeps the engine's order and score", () => {
    expect(single('vector', [c('b', 0.9), c('a', 0.9), c('b', 0.1)]).map((f) => [f.chunkId, f.score, f.foundBy])).toEqual([
      ['b', 0.9, ['vector']],
      ['a', 0.9, ['vector']],
    ]);
  });
});

describe('the relevance floor and strong or weak hits', () => {
  it('lets no vector candidate below the floor in, fused or alone', () => {
    const vector = [c('near', 0.8), c('edge', 0.3), c('below', 0.29), c('nan', Number.NaN)];
    expect(fuseByRank({ vector }, { vectorFloor: 0.3 }).map((f) => f.chunkId)).toEqual(['near', 'edge']);
    expect(single('vector', vector, 0.3).map((f) => f.chunkId)).toEqual(['near', 'edge']);
    // a keyword hit stays whatever its vector similarity
    expect(fuseByRank({ keyword: [c('below', 5)], vector }, { vectorFloor: 0.3 }).find((f) => f.chunkId === 'below')?.foundBy).toEqual([
      'keyword',
    ]);
  });

  it('a keyword hit is strong with more than half of the terms; a vector hit well above the floor', () => {
    expect([keywordStrength(1, 1), keywordStrength(2, 3), keywordStrength(1, 2), keywordStrength(2, 4), keywordStrength(0, 0)]).toEqual([
      'strong',
      'strong',
      'weak',
      'weak',
      'weak',
    ]);
    expect(strongSimilarity(0.2)).toBeCloseTo(0.4);
    expect([vectorStrength(0.41, 0.2), vectorStrength(0.39, 0.2)]).toEqual(['strong', 'weak']);
  });

  it('a hit is strong when any retriever that found it is sure', () => {
    const fused = fuseByRank({
      keyword: [c('both', 1, { match: 'weak' }), c('kw', 1, { match: 'strong' })],
      vector: [c('both', 0.9, { match: 'strong' }), c('vec', 0.5, { match: 'weak' })],
    });
    expect(Object.fromEntries(fused.map((f) => [f.chunkId, f.match]))).toEqual({ both: 'strong', kw: 'strong', vec: 'weak' });
  });

  const id = fc.constantFrom(...'abcdefghijkl'.split(''));
  const candidate = (similarity: fc.Arbitrary<number>) =>
    fc
      .record({ chunkId: id, score: similarity, match: fc.constantFrom('strong' as const, 'weak' as const) })
      .map((x) => c(x.chunkId, x.score, x));
  const lists = fc.record({
    keyword: fc.array(candidate(fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 12 }),
    vector: fc.array(candidate(fc.double({ min: -1, max: 1 })), { maxLength: 12 }),
    floor: fc.double({ min: -1, max: 1, noNaN: true }),
  });

  it('fuses any lists over exactly the keyword chunks and the vector chunks at or above the floor: strong keyword hits first, then weighted RRF order', () => {
    fc.assert(
      fc.property(lists, ({ keyword, vector, floor }) => {
        const fused = fuseByRank({ keyword, vector }, { vectorFloor: floor });
        const kept = vector.filter((v) => v.score >= floor);
        expect(new Set(fused.map((f) => f.chunkId))).toEqual(new Set([...keyword, ...kept].map((x) => x.chunkId)));
        for (const f of fused) {
          if (f.foundBy.includes('vector')) expect(kept.some((v) => v.chunkId === f.chunkId)).toBe(true);
          // a chunk repeated within a list counts at its first place there
          const first = (list: Candidate[]) => list.find((x) => x.chunkId === f.chunkId);
          const strong = first(keyword)?.match === 'strong' || first(kept)?.match === 'strong';
          expect(f.match).toBe(strong ? 'strong' : 'weak');
          // the score's whole part is the tier (a strong keyword hit), its fraction the weighted rank sum
          const ranks = (list: Candidate[]) => [...new Set(list.map((x) => x.chunkId))];
          const term = (list: Candidate[], weight: number) => {
            const at = ranks(list).indexOf(f.chunkId);
            return at < 0 ? 0 : weight / (RRF_K + at + 1);
          };
          const tier = first(keyword)?.match === 'strong' ? KEYWORD_TIER : 0;
          expect(f.score).toBeCloseTo(tier + term(keyword, KW) + term(kept, VEC), 12);
          expect(f.score - tier).toBeLessThanOrEqual((KW + VEC) / (RRF_K + 1) + 1e-12);
        }
        for (let i = 1; i < fused.length; i++) {
          const [before, after] = [fused[i - 1], fused[i]];
          const tierOf = (x: typeof before) => (keyword.find((k) => k.chunkId === x?.chunkId)?.match === 'strong' ? 1 : 0);
          // no chunk without a strong keyword hit ever comes before one with it
          expect(tierOf(before)).toBeGreaterThanOrEqual(tierOf(after));
          expect(before?.score ?? 0).toBeGreaterThanOrEqual(after?.score ?? 0);
          if (before?.score === after?.score && before?.match === 'weak') expect(after?.match).toBe('weak');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a query that no keyword finds and no vector reaches above the floor answers nothing', () => {
    fc.assert(
      fc.property(fc.array(candidate(fc.double({ min: -1, max: 0.25, maxExcluded: true })), { maxLength: 12 }), (vector) => {
        expect(fuseByRank({ keyword: [], vector }, { vectorFloor: 0.25 })).toEqual([]);
        expect(single('vector', vector, 0.25)).toEqual([]);
      }),
    );
  });
});
