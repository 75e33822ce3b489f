import type { Projection } from '@mandant/shared/projection/projector.ts';
import type { DocumentProjectionName } from '../index.ts';

/**
 * The projections under their own checkpoint names and blind to every tenant but one, so a test
 * process (or a child it kills) never moves the real projectors' checkpoints or touches another
 * test's stores, however the runner's start-up sweep walks the database's tenants.
 */
export function isolate(projections: Record<DocumentProjectionName, Projection>, suffix: string, tenantId: string): Record<DocumentProjectionName, Projection> {
  const wrap = (p: Projection): Projection => ({
    ...p,
    name: `${p.name}-${suffix}`,
    apply: (tx, e) => (e.tenant_id === tenantId ? p.apply(tx, e) : Promise.resolve()),
    reset: (tx, t) => (t === tenantId ? p.reset(tx, t) : Promise.resolve()),
  });
  return { vectors: wrap(projections.vectors), text: wrap(projections.text), graph: wrap(projections.graph), blobs: wrap(projections.blobs) };
}
