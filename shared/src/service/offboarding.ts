import type { EventEnvelope } from '@mandant/contracts';
import type { Tx } from '../db/connect.ts';
import type { Projection } from '../projection/projector.ts';

/** The tenant's tombstone: its last event (the log refuses any later one, migration 1700000000100). */
export const TENANT_OFFBOARDED = 'tenant.offboarded.v1';

/**
 * A projection that also turns a tenant's tombstone into a purge of that tenant: `purge`
 * (default: the projection's own `reset`, which empties its store for the tenant). Name and
 * version stay, so checkpoints carry on. Events after the tombstone, which the log refuses
 * anyway, are ignored. A rebuild replays the log up to the tombstone and so ends purged.
 */
export function purgingOffboarded(projection: Projection, purge?: (tx: Tx, tenantId: string) => Promise<void>): Projection {
  const drop = purge ?? ((tx: Tx, tenantId: string) => projection.reset(tx, tenantId));
  const { applyBatch } = projection;
  return {
    ...projection,
    handles: (type) => type === TENANT_OFFBOARDED || projection.handles(type),
    async apply(tx, e) {
      if (e.type === TENANT_OFFBOARDED) return drop(tx, e.tenant_id);
      return projection.apply(tx, e);
    },
    applyBatch: applyBatch
      ? async (tx: Tx, events: EventEnvelope[]) => {
        const at = events.findIndex((e) => e.type === TENANT_OFFBOARDED);
        if (at < 0) return applyBatch(tx, events);
        const before = events.slice(0, at).filter((e) => projection.handles(e.type));
        if (before.length > 0) await applyBatch(tx, before);
        const tombstone = events[at];
        if (tombstone) await drop(tx, tombstone.tenant_id);
      }
      : undefined,
  };
}
