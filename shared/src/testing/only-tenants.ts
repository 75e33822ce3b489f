import type { Projection } from '../projection/projector.ts';

/**
 * A projection under a name of its own that touches only the given tenants: suites share one
 * database, and a projector sweeps every tenant in it, so a test's projector must neither write
 * other suites' rows nor share their checkpoints.
 */
export function onlyTenants(p: Projection, suffix: string, tenants: ReadonlySet<string>): Projection {
  return {
    ...p,
    name: `${p.name}-${suffix}`,
    apply: (tx, e) => (tenants.has(e.tenant_id) ? p.apply(tx, e) : Promise.resolve()),
    // a page is one tenant's
    ...(p.applyBatch && {
      applyBatch: (tx, events) =>
        events.every((e) => tenants.has(e.tenant_id)) && p.applyBatch ? p.applyBatch(tx, events) : Promise.resolve(),
    }),
    reset: (tx, t) => (tenants.has(t) ? p.reset(tx, t) : Promise.resolve()),
  };
}
