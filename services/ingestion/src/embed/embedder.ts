/**
 * The embedder port. `model` names the vector space: vectors from different models (or the
 * same model at another dimension) are never compared or stored in one index, so an adapter
 * whose output changes must change its `model` string.
 */
export interface Embedder {
  readonly model: string;
  readonly dimension: number;
  /**
   * The cosine similarity under which a passage is not related to a query in this model's
   * space: hybrid search never pads its results with vector hits below it.
   */
  readonly minSimilarity: number;
  /** When the model reads tokens: the most it reads (longer input is cut) and how it counts them. */
  readonly tokens?: { readonly max: number; count(text: string): number };
  /**
   * One vector of `dimension` numbers per input, in input order. `purpose` tells queries from
   * passages for models that embed them differently (prefixes, instructions); passages by default.
   */
  embed(texts: string[], purpose?: EmbedPurpose): Promise<number[][]>;
}

export type EmbedPurpose = 'passage' | 'query';

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
