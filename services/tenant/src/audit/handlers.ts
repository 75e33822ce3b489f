import { EventsListInput, rpc } from '@mandant/contracts';
import { type Sql, withTenant } from '@mandant/shared/db';
import type { EventStore } from '@mandant/shared/eventstore';
import { listDeadLetters, requestRetry } from '@mandant/shared/projection';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requireOversight, requireTenantAdmin } from '@mandant/membership';

/** At most this many dead letters are listed in projection status (the CLI lists them all). */
export const DEAD_LETTERS_SHOWN = 100;

/** The event log as auditors and tenant admins read it: only ever the caller's own tenant. */
function requireAuditReader(ctx: RpcContext): string {
  return requireOversight(ctx.principal).tenant_id;
}

export function auditHandlers(deps: { sql: Sql; store: EventStore }): Record<string, RpcHandler> {
  const { sql, store } = deps;
  return {
    async [rpc.eventsList](input, ctx) {
      const tenantId = requireAuditReader(ctx);
      const { after, limit } = EventsListInput.parse(input ?? {});
      const events = await store.readTenant(tenantId, after, limit);
      const last = events.at(-1);
      return { events, next_after: last ? last.tenant_seq : after, head: await store.head(tenantId) };
    },

    async [rpc.eventsVerify](_input, ctx) {
      const tenantId = requireAuditReader(ctx);
      return store.verify(tenantId);
    },

    async [rpc.projectionsStatus](_input, ctx) {
      const tenantId = requireAuditReader(ctx);
      return withTenant(sql, tenantId, async (tx) => {
        const [head] = await tx<{ last_seq: number }[]>`select last_seq from tenant_heads where tenant_id = ${tenantId}`;
        const position = head?.last_seq ?? 0;
        const rows = await tx<{ projector: string; position: number; updated_at: Date; dead_letters: number }[]>`
          select c.projector, c.position, c.updated_at,
                 (select count(*)::int from projection_dead_letters d where d.tenant_id = c.tenant_id and d.projector = c.projector) as dead_letters
          from projection_checkpoints c where c.tenant_id = ${tenantId} order by c.projector`;
        return {
          tenant_id: tenantId,
          head: position,
          projectors: rows.map((r) => ({
            name: r.projector,
            position: r.position,
            lag: Math.max(0, position - r.position),
            dead_letters: r.dead_letters,
            updated_at: r.updated_at.toISOString(),
          })),
          // each event a projector gave up on: which, where, why (safe text, never content), how often,
          // when; the first DEAD_LETTERS_SHOWN of them (each projector's count above is whole)
          dead_letters: await listDeadLetters(tx, tenantId, { limit: DEAD_LETTERS_SHOWN }),
        };
      });
    },

    /** Marks every dead letter of the caller's tenant for a retry; each projector carries it out (see requestRetry). */
    async [rpc.projectionsRetry](_input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const requested = await withTenant(sql, p.tenant_id, (tx) => requestRetry(tx, p.tenant_id));
      return { requested };
    },
  };
}
