import type { ProjectLookup } from '@mandant/membership';
import type { Service, ServiceDeps } from '@mandant/shared/service';
import type { Tx } from '@mandant/shared/db';
import type { ReadStores } from '@mandant/shared/stores';
import { browseHandlers } from './browse/handlers.ts';
import { graphHandlers } from './graph/handlers.ts';
import { mergeHandlers } from './merge/handlers.ts';

export interface EntityDeps extends ServiceDeps {
  stores: ReadStores;
  /** projects' existence and status for the access checks: the project context's, given by the composition */
  projects: ProjectLookup;
  /** the archived-project rule for a merge (project's rule table and guard), given by the composition */
  writes: { guardContentWrite(tx: Tx, tenantId: string, write: 'entity.merge', projectIds: string[]): Promise<void> };
}

/**
 * Entities and the graph: listing and search, one entity, cross-project, neighbourhoods and
 * graphs for drawing (reads of the graph store, filtered to what the caller may read), and the
 * merge (the one write: `entity.merged.v1` on the merged entity's stream; the store projectors
 * follow it).
 */
export function entityService(deps: EntityDeps): Service {
  return { name: 'entities', handlers: { ...browseHandlers(deps), ...graphHandlers(deps), ...mergeHandlers(deps) }, projections: [] };
}
