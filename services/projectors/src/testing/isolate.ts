import { onlyTenants } from '@mandant/shared/testing';
import type { Projection } from '@mandant/shared/projection';
import type { DocumentProjectionName } from '../index.ts';

/**
 * The projections under their own checkpoint names and blind to every tenant but the test's own, so a test
 * process (or a child it kills) never moves the real projectors' checkpoints or touches another
 * test's stores, however the runner's start-up sweep walks the database's tenants.
 */
export function isolate(
  projections: Record<DocumentProjectionName, Projection>,
  suffix: string,
  ...tenantIds: string[]
): Record<DocumentProjectionName, Projection> {
  const mine = new Set(tenantIds);
  const wrap = (p: Projection): Projection => onlyTenants(p, suffix, mine);
  return {
    vectors: wrap(projections.vectors),
    text: wrap(projections.text),
    graph: wrap(projections.graph),
    blobs: wrap(projections.blobs),
  };
}
