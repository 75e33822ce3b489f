import { rpc } from '@mandant/contracts';
import type { Service, ServiceDeps } from '@mandant/shared/service';
import type { ReadStores } from '@mandant/shared/stores';
import { runSearch } from './run/handler.ts';

export interface SearchDeps extends ServiceDeps {
  stores: ReadStores;
  /** the EMBEDDING_MODEL default and the embedder registry's lookup */
  embedders: {
    defaultModel: string;
    get(model: string): { model: string; dimension: number; embed(texts: string[]): Promise<number[][]> } | null;
  };
}

/**
 * Search: project-scoped by default, global (tenant-wide, over what the caller may read) when no
 * project is given. Keyword, vector or hybrid (reciprocal-rank fusion); every search is recorded
 * as `search.performed.v1`. It keeps no read model of its own.
 */
export function searchService(deps: SearchDeps): Service {
  return {
    name: 'search',
    handlers: { [rpc.searchRun]: (input, ctx) => runSearch(deps, input, ctx) },
    projections: [],
  };
}
