import { rpc } from '@mandant/contracts';
import type { Sql } from '@mandant/shared/db';
import { forbidden } from '@mandant/shared/errors';
import type { RpcHandler } from '@mandant/shared/rpc';

/** Above this many tenants the per-tenant event series is left out: label cardinality stays bounded. */
export const PER_TENANT_SERIES_LIMIT = 50;
/** Tenants listed per projector in `lag_by_tenant`: the gateway keeps its own (smaller) top of them. */
export const LAG_BY_TENANT_LIMIT = 100;

/** What `ops.metrics` answers: platform-wide aggregates, no tenant's data (ids only for a small platform). */
export interface OpsMetrics {
  tenants: number;
  projects: { active: number; archived: number };
  /** sum of every tenant's head: events appended since the platform began (drops when a tenant is offboarded) */
  events_total: number;
  /** head per tenant, or null when there are more than PER_TENANT_SERIES_LIMIT tenants */
  events_by_tenant: { tenant_id: string; events: number }[] | null;
  projectors: { name: string; tenants: number; max_lag: number; total_lag: number; dead_letters: number }[];
  /** dead letters per tenant (every tenant, 0 included), or null when there are more than PER_TENANT_SERIES_LIMIT tenants */
  dead_letters_by_tenant: { tenant_id: string; dead_letters: number }[] | null;
  /** per projector, the LAG_BY_TENANT_LIMIT tenants lagging most (lag > 0 only) */
  lag_by_tenant: { projector: string; tenant_id: string; lag: number }[];
  /** events appended and not yet published by the outbox relay, and the age of the oldest in seconds */
  outbox: { unrelayed: number; oldest_seconds: number };
}

/**
 * Operator-level figures for the gateway's /metrics scrape. There is no principal: the request
 * comes from the gateway itself, flagged as operator. Every cross-tenant read goes through a
 * SECURITY DEFINER function that returns aggregates or ids and positions only (migration 110).
 */
export function opsHandlers(deps: { sql: Sql }): Record<string, RpcHandler> {
  const { sql } = deps;
  return {
    async [rpc.opsMetrics](_input, ctx): Promise<OpsMetrics> {
      if (!ctx.operator || ctx.principal) throw forbidden('platform operator only');
      const [heads, [counts], lag, dead, lagging, [backlog]] = await Promise.all([
        sql<{ tenant_id: string; last_seq: number }[]>`select tenant_id, last_seq from mandant_tenant_positions()`,
        sql<{ tenants: number; projects_active: number; projects_archived: number }[]>`select * from mandant_platform_counts()`,
        sql<
          { projector: string; tenants: number; max_lag: number; total_lag: number; dead_letters: number }[]
        >`select * from mandant_projection_lag()`,
        sql<{ tenant_id: string; dead_letters: number }[]>`select tenant_id, dead_letters from mandant_dead_letters_by_tenant()`,
        sql<
          { projector: string; tenant_id: string; lag: number }[]
        >`select projector, tenant_id, lag from mandant_projection_lag_by_tenant(${LAG_BY_TENANT_LIMIT})`,
        sql<{ unrelayed: number; oldest_seconds: number }[]>`select unrelayed, oldest_seconds from mandant_outbox_backlog()`,
      ]);
      const small = heads.length <= PER_TENANT_SERIES_LIMIT;
      const deadOf = new Map(dead.map((d) => [d.tenant_id, d.dead_letters]));
      return {
        tenants: counts?.tenants ?? 0,
        projects: { active: counts?.projects_active ?? 0, archived: counts?.projects_archived ?? 0 },
        events_total: heads.reduce((n, h) => n + h.last_seq, 0),
        events_by_tenant: small
          ? heads.map((h) => ({ tenant_id: h.tenant_id, events: h.last_seq })).sort((a, b) => a.tenant_id.localeCompare(b.tenant_id))
          : null,
        projectors: lag.map((r) => ({
          name: r.projector,
          tenants: r.tenants,
          max_lag: r.max_lag,
          total_lag: r.total_lag,
          dead_letters: r.dead_letters,
        })),
        dead_letters_by_tenant: small
          ? heads
              .map((h) => ({ tenant_id: h.tenant_id, dead_letters: deadOf.get(h.tenant_id) ?? 0 }))
              .sort((a, b) => a.tenant_id.localeCompare(b.tenant_id))
          : null,
        lag_by_tenant: lagging.map((l) => ({ projector: l.projector, tenant_id: l.tenant_id, lag: Number(l.lag) })),
        outbox: { unrelayed: Number(backlog?.unrelayed ?? 0), oldest_seconds: Number(backlog?.oldest_seconds ?? 0) },
      };
    },
  };
}
