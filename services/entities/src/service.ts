import type { Service, ServiceDeps } from '@mandant/shared/service/service.ts';
import type { ReadStores } from '@mandant/shared/stores/read-stores.ts';

export interface EntityDeps extends ServiceDeps {
  stores: ReadStores;
}

/** Entities and the graph: listing, cross-project, merge, neighbourhoods. (Handlers land with the entity service.) */
export function entityService(_deps: EntityDeps): Service {
  return { name: 'entities', handlers: {}, projections: [] };
}
