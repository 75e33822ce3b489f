import { rpc } from '@mandant/contracts';
import type { Service, ServiceDeps } from '@mandant/shared/service';
import type { ReadStores } from '@mandant/shared/stores';
import { runSearch } from './run/handler.ts';
import { servingMemo } from '@mandant/project';

export interface SearchDeps extends ServiceDeps {
  stores: ReadStores;
  /** the EMBEDDING_MODEL default and the embedder registry's lookup */
  embedders: {
    defaultModel: string;
    get(model: string): SearchEmbedder | null;
  };
}

/** What search needs of an embedder (ingestion's `Embedder` is one). */
export interface SearchEmbedder {
  readonly model: string;
  readonly dimension: number;
  /** the cosine similarity under which a passage is unrelated to a query in this model's space */
  readonly minSimilarity: number;
  embed(texts: string[], purpose?: 'passage' | 'query'): Promise<number[][]>;
}

/**
 * Search: project-scoped by default, global (tenant-wide, over what the caller may read) when no
 * project is given. Keyword (any word, every word first), vector (no farther than the model's
 * similarity floor) or hybrid (strong keyword hits first, then reciprocal-rank fusion); each hit
 * says whether it is a strong or a weak match. Every search is recorded as `search.performed.v1`.
 * It keeps no read model of its own.
 */
export function searchService(deps: SearchDeps): Service {
  const memo = servingMemo();
  return {
    name: 'search',
    handlers: { [rpc.searchRun]: (input, ctx) => runSearch(deps, input, ctx, memo) },
    projections: [],
  };
}
