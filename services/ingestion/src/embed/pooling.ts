/**
 * The pure arithmetic around a BERT-style encoder: building the padded batch it reads and
 * pooling the token vectors it returns into one unit vector per text. No I/O, so every step
 * is tested without a model (pooling.unit.test.ts).
 */

export type Pooling = 'mean' | 'cls';

/** Token ids per text, cut to `maxTokens` with the closing special token kept. */
export function truncateIds(ids: readonly number[], maxTokens: number, sepId: number): number[] {
  if (ids.length <= maxTokens) return [...ids];
  return [...ids.slice(0, maxTokens - 1), sepId];
}

export interface PaddedBatch {
  rows: number;
  columns: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

/** Right-pads every row to the longest one with `padId`; the attention mask marks the real tokens. */
export function padBatch(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const columns = Math.max(1, ...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * columns).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows.length * columns);
  rows.forEach((row, r) => {
    row.forEach((id, c) => {
      inputIds[r * columns + c] = BigInt(id);
      attentionMask[r * columns + c] = 1n;
    });
  });
  return { rows: rows.length, columns, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(rows.length * columns) };
}

/**
 * One vector per row from `hidden` ([rows, columns, dimension], row-major): the mean of the
 * token vectors under the attention mask, or the first ([CLS]) token's vector; then scaled to
 * unit length (a vector of zeros stays zeros).
 */
export function poolAndNormalise(
  hidden: Float32Array,
  mask: BigInt64Array,
  shape: { rows: number; columns: number; dimension: number },
  pooling: Pooling,
): number[][] {
  const { rows, columns, dimension } = shape;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const v = new Float64Array(dimension);
    if (pooling === 'cls') {
      const base = r * columns * dimension;
      for (let d = 0; d < dimension; d++) v[d] = hidden[base + d] ?? 0;
    } else {
      let n = 0;
      for (let c = 0; c < columns; c++) {
        if (mask[r * columns + c] === 0n) continue;
        n++;
        const base = (r * columns + c) * dimension;
        for (let d = 0; d < dimension; d++) v[d] = (v[d] ?? 0) + (hidden[base + d] ?? 0);
      }
      if (n > 0) for (let d = 0; d < dimension; d++) v[d] = (v[d] ?? 0) / n;
    }
    out.push(normalise(v));
  }
  return out;
}

export function normalise(v: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  return Array.from(v, (x) => (norm === 0 || !Number.isFinite(norm) ? 0 : x / norm));
}

/** Batches of at most `size` indexes into `lengths`, shortest texts together so little padding is computed. */
export function batchesByLength(lengths: readonly number[], size: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0) || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
  return batches;
}
