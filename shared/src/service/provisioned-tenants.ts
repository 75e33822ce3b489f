import { DomainError } from '../errors.ts';
import type { EventStore } from '../eventstore/event-store.ts';

/** The first event of every tenant's log: its provisioning. */
export const TENANT_PROVISIONED = 'tenant.provisioned.v1';

/** Tenants remembered as provisioned before the memory is dropped and refilled on demand. */
const MAX_REMEMBERED = 100_000;

/**
 * The event store as services write through it: an append for a tenant whose log does not start
 * with `tenant.provisioned.v1` is refused (`unauthenticated`, nothing written), unless it is that
 * provisioning itself. The gateway already refuses credentials of such tenants; this keeps any
 * other path (a service bug, a forged internal request) from starting a log for a phantom tenant,
 * which could then be neither listed nor offboarded.
 *
 * Cost: one indexed read of the tenant's first event, once per tenant per process; a provisioned
 * tenant is remembered (a log's first event never changes), so steady-state appends add no round
 * trip. Offboarding needs no forgetting: the log itself refuses events after the tombstone
 * (migration 1700000000100). Known limit: a non-provisioning append racing the provisioning of a
 * brand-new tenant id is refused, which only the provisioning use case could produce.
 */
export function refuseUnprovisionedTenants(store: EventStore): EventStore {
  const provisioned = new Set<string>();

  async function check(tenantId: string, firstType: string | undefined): Promise<void> {
    const key = tenantId.toLowerCase();
    if (provisioned.has(key)) return;
    const [first] = await store.readTenant(key, 0, 1);
    if (first?.type === TENANT_PROVISIONED) {
      if (provisioned.size >= MAX_REMEMBERED) provisioned.clear();
      provisioned.add(key);
      return;
    }
    if (!first && firstType === TENANT_PROVISIONED) return;
    throw new DomainError('unauthenticated', 'no such tenant: it was never provisioned');
  }

  return {
    ...store,
    async append(tenantId, stream, expected, events, meta, opts) {
      await check(tenantId, events[0]?.type);
      return store.append(tenantId, stream, expected, events, meta, opts);
    },
  };
}
