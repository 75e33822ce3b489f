import type { Service, ServiceDeps } from '@mandant/shared/service/service.ts';
import type { ReadStores } from '@mandant/shared/stores/read-stores.ts';

export interface SearchDeps extends ServiceDeps {
  stores: ReadStores;
  /** the EMBEDDING_MODEL default and the embedder registry's lookup */
  embedders: { defaultModel: string; get(model: string): { model: string; dimension: number; embed(texts: string[]): Promise<number[][]> } | null };
}

/** Search: project-scoped by default, global on request. (Handlers land with the search service.) */
export function searchService(_deps: SearchDeps): Service {
  return { name: 'search', handlers: {}, projections: [] };
}
