import { describe, expect, it } from 'vitest';
import { createTopK } from './top-k.ts';

describe('createTopK', () => {
  it('keeps the k best of a long stream, best first, equal scores by id', () => {
    const top = createTopK(3);
    const scores = Array.from({ length: 1_000 }, (_, i) => ({ id: `id-${String(i).padStart(4, '0')}`, score: (i * 7919) % 1_000 }));
    for (const s of scores) top.offer(s.id, s.score);
    top.offer('a-tie', 999);
    expect(top.sorted()).toEqual([
      { id: 'a-tie', score: 999 },
      { id: scores.find((s) => s.score === 999)?.id ?? '', score: 999 },
      { id: scores.find((s) => s.score === 998)?.id ?? '', score: 998 },
    ]);
  });

  it('returns fewer than k when the stream is short, and nothing for k = 0', () => {
    const top = createTopK(5);
    top.offer('b', 0.5);
    top.offer('a', 0.9);
    expect(top.sorted().map((s) => s.id)).toEqual(['a', 'b']);
    const none = createTopK(0);
    none.offer('a', 1);
    expect(none.sorted()).toEqual([]);
  });
});
