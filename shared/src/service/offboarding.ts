import { type EventEnvelope, TENANT_OFFBOARDED } from '@mandant/contracts';
import type { Tx } from '../db/connect.ts';
import type { Projection } from '../projection/projector.ts';

/**
 * A projection that also turns a tenant's tombstone (`tenant.offboarded.v1`, its last event:
 * the log refuses any later one, migration 1700000000100) into a purge of that tenant: `purge`
 * (default: the projection's own `reset`, which empties its store for the tenant). Each context
 * wraps its own projections, so each purges the rows it owns. The projection runner resets every
 * projection on the tombstone anyway (projection/page.ts): a wrapper is for a purge that is
 * more than the reset (rows the handlers write, a store outside the database). Name and
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
