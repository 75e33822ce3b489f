import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchesByLength, normalise, padBatch, poolAndNormalise, truncateIds } from './pooling.ts';

const norm = (v: readonly number[]): number => Math.hypot(...v);

describe('truncateIds', () => {
  it('keeps ids that fit and cuts longer ones to the limit, ending with [SEP]', () => {
    expect(truncateIds([101, 7, 8, 102], 4, 102)).toEqual([101, 7, 8, 102]);
    expect(truncateIds([101, 7, 8, 9, 10, 102], 4, 102)).toEqual([101, 7, 8, 102]);
  });
});

describe('padBatch', () => {
  it('right-pads rows to the longest with the pad id and masks the padding out', () => {
    const b = padBatch(
      [
        [101, 5, 102],
        [101, 102],
      ],
      0,
    );
    expect(b).toMatchObject({ rows: 2, columns: 3 });
    expect([...b.inputIds]).toEqual([101n, 5n, 102n, 101n, 102n, 0n]);
    expect([...b.attentionMask]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
    expect([...b.tokenTypeIds]).toEqual([0n, 0n, 0n, 0n, 0n, 0n]);
  });
});

describe('poolAndNormalise', () => {
  // two rows, three columns, dimension 2; row 1's last column is padding with a huge value
  const hidden = new Float32Array([1, 0, 3, 0, 2, 6, /* row 1 */ 0, 2, 0, 4, 100, 100]);
  const mask = new BigInt64Array([1n, 1n, 1n, 1n, 1n, 0n]);
  const shape = { rows: 2, columns: 3, dimension: 2 };

  it('mean-pools under the attention mask, ignoring padding, then scales to unit length', () => {
    const [a = [], b = []] = poolAndNormalise(hidden, mask, shape, 'mean');
    // row 0: mean (2, 2) → (0.707, 0.707); row 1: mean over two tokens (0, 3) → (0, 1)
    expect(a[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(a[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(b).toEqual([0, 1]);
  });

  it('CLS-pools the first token of each row', () => {
    expect(poolAndNormalise(hidden, mask, shape, 'cls')).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('gives unit vectors for any finite hidden states', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.float({ min: -10, max: 10, noNaN: true })),
        (rows, columns, dimension, values) => {
          const data = Float32Array.from({ length: rows * columns * dimension }, () => values.next().value as number);
          data[0] = 1; // at least one non-zero (the first row's first token is never masked out)
          const m = new BigInt64Array(rows * columns).fill(1n);
          for (const v of poolAndNormalise(data, m, { rows, columns, dimension }, 'cls').slice(0, 1)) expect(norm(v)).toBeCloseTo(1, 5);
        },
      ),
    );
  });
});

describe('normalise', () => {
  it('scales to unit length and leaves a zero vector at zero', () => {
    expect(normalise([3, 4])).toEqual([0.6, 0.8]);
    expect(normalise([0, 0])).toEqual([0, 0]);
  });
});

describe('batchesByLength', () => {
  it('groups the shortest texts together, every index exactly once', () => {
    expect(batchesByLength([50, 3, 20, 3, 7], 2)).toEqual([[1, 3], [4, 2], [0]]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 })), fc.integer({ min: 1, max: 10 }), (lengths, size) => {
        const batches = batchesByLength(lengths, size);
        expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        expect(batches.every((b) => b.length >= 1 && b.length <= size)).toBe(true);
      }),
    );
  });
});
