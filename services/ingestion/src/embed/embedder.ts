/**
 * The embedder port. `model` names the vector space: vectors from different models (or the
 * same model at another dimension) are never compared or stored in one index, so an adapter
 * whose output changes must change its `model` string.
 */
export interface Embedder {
  readonly model: string;
  readonly dimension: number;
  /** one vector of `dimension` numbers per input, in input order */
  embed(texts: string[]): Promise<number[][]>;
}

export { createHashingEmbedder, type HashingEmbedderOptions } from './hashing.ts';
export { createOpenAiEmbedder, EmbeddingProviderError, type OpenAiEmbedderOptions } from './openai.ts';

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
