import type { LimitsView, TenantLimitOverrides } from '@mandant/contracts';
import type { Tx } from '../db/connect.ts';
import type { Env } from '../env.ts';

/**
 * A tenant's effective limits: the operator's overrides (tenant_limits_view, written by the
 * tenant service's projection) over the platform defaults from the environment. Read here, in
 * one place, by the tenant service (rate leases, usage) and the document service (quotas), the
 * way project-view.ts serves the contexts that show a project.
 */
export type LimitDefaults = Omit<LimitsView, 'overrides'>;

export function limitDefaults(env: Pick<Env, 'RATE_LIMIT_RPS' | 'RATE_LIMIT_BURST' | 'RATE_LIMIT_EXPENSIVE_RPS' | 'RATE_LIMIT_EXPENSIVE_BURST' | 'QUOTA_STORED_BYTES' | 'QUOTA_DOCUMENTS'>): LimitDefaults {
  return {
    requests_per_second: env.RATE_LIMIT_RPS,
    burst: env.RATE_LIMIT_BURST,
    expensive_requests_per_second: env.RATE_LIMIT_EXPENSIVE_RPS,
    expensive_burst: env.RATE_LIMIT_EXPENSIVE_BURST,
    max_stored_bytes: env.QUOTA_STORED_BYTES,
    max_documents: env.QUOTA_DOCUMENTS,
  };
}

export const NO_OVERRIDES: TenantLimitOverrides = {
  requests_per_second: null, burst: null, expensive_requests_per_second: null, expensive_burst: null, max_stored_bytes: null, max_documents: null,
};

export function resolveLimits(overrides: TenantLimitOverrides, defaults: LimitDefaults): LimitsView {
  return {
    requests_per_second: overrides.requests_per_second ?? defaults.requests_per_second,
    burst: overrides.burst ?? defaults.burst,
    expensive_requests_per_second: overrides.expensive_requests_per_second ?? defaults.expensive_requests_per_second,
    expensive_burst: overrides.expensive_burst ?? defaults.expensive_burst,
    max_stored_bytes: overrides.max_stored_bytes ?? defaults.max_stored_bytes,
    max_documents: overrides.max_documents ?? defaults.max_documents,
    overrides,
  };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The tenant's effective limits, inside the caller's tenant transaction. */
export async function readLimits(tx: Tx, tenantId: string, defaults: LimitDefaults): Promise<LimitsView> {
  const [row] = await tx`select * from tenant_limits_view where tenant_id = ${tenantId}`;
  if (!row) return resolveLimits(NO_OVERRIDES, defaults);
  return resolveLimits({
    requests_per_second: num(row.requests_per_second),
    burst: num(row.burst),
    expensive_requests_per_second: num(row.expensive_requests_per_second),
    expensive_burst: num(row.expensive_burst),
    max_stored_bytes: num(row.max_stored_bytes),
    max_documents: num(row.max_documents),
  }, defaults);
}

/** What the tenant stores now, from the document views: documents not deleted and their bytes. */
export async function documentTotals(tx: Tx, tenantId: string): Promise<{ documents: number; stored_bytes: number }> {
  const [row] = await tx<{ documents: string; stored_bytes: string }[]>`
    select count(*) as documents, coalesce(sum(size), 0) as stored_bytes from documents_view where tenant_id = ${tenantId}`;
  return { documents: Number(row?.documents ?? 0), stored_bytes: Number(row?.stored_bytes ?? 0) };
}
