import { describe, expect, it } from 'vitest';
import { type Candidate, RRF_K, fuseByRank, single } from './fuse.ts';

const c = (chunkId: string, score = 1, extra: Partial<Candidate> = {}): Candidate => ({
  chunkId,
  documentId: `doc-${chunkId}`,
  chunkIndex: null,
  score,
  snippet: null,
  ...extra,
});

describe('reciprocal-rank fusion', () => {
  it('adds 1/(k+rank) from each list, so a chunk both retrievers found ranks first', () => {
    const fused = fuseByRank({ keyword: [c('a'), c('b')], vector: [c('c'), c('b')] });
    expect(fused.map((f) => f.chunkId)).toEqual(['b', 'a', 'c']);
    expect(fused[0]?.score).toBeCloseTo(2 / (RRF_K + 2));
    expect(fused[0]?.foundBy).toEqual(['keyword', 'vector']);
    expect(fused[1]?.foundBy).toEqual(['keyword']);
    expect(fused[2]?.foundBy).toEqual(['vector']);
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
    expect(one.map((f) => f.chunkId)).toEqual(['a', 'b', 'c', 'd']);
    expect(two).toEqual(one);
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
