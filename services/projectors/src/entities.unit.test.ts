import { describe, expect, it } from 'vitest';
import { mergedClass, survivorsOf } from './entities.ts';

const m = (seq: number, from: string, into: string) => ({ seq, from, into });

describe('entity merges as the search projections resolve them', () => {
  it('follows chains of merges to the last survivor', () => {
    expect([...survivorsOf([m(1, 'a', 'b'), m(2, 'b', 'c')])].sort()).toEqual([
      ['a', 'c'],
      ['b', 'c'],
    ]);
  });

  it('ignores a merge of, or into, an entity merged away before (as the graph store does), so no cycle forms', () => {
    expect([...survivorsOf([m(1, 'a', 'b'), m(2, 'b', 'a'), m(3, 'a', 'c'), m(4, 'x', 'x')])]).toEqual([['a', 'b']]);
  });

  it('moves everything that resolved to the merged entity with it', () => {
    const before = survivorsOf([m(1, 'a', 'b'), m(2, 'c', 'd')]);
    expect([...mergedClass(before, 'B')].sort()).toEqual(['a', 'b']);
  });
});
