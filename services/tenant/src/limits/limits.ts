import type { LimitsView, TenantLimitOverrides } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { type Env, readEnv } from '@mandant/shared/env';

/**
 * A tenant's effective limits: the operator's overrides (tenant_limits_view, written by the
 * tenant service's projection) over the platform defaults from the environment. Read here, in
 * one place, by the tenant service (rate leases, usage) and, through `tenantLimits`, by the
 * document service (quotas).
 */
export type LimitDefaults = Omit<LimitsView, 'overrides'>;

export function limitDefaults(
  env: Pick<
    Env,
    | 'RATE_LIMIT_RPS'
    | 'RATE_LIMIT_BURST'
    | 'RATE_LIMIT_EXPENSIVE_RPS'
    | 'RATE_LIMIT_EXPENSIVE_BURST'
    | 'QUOTA_STORED_BYTES'
    | 'QUOTA_DOCUMENTS'
  >,
): LimitDefaults {
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
  requests_per_second: null,
  burst: null,
  expensive_requests_per_second: null,
  expensive_burst: null,
  max_stored_bytes: null,
  max_documents: null,
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
  return resolveLimits(
    {
      requests_per_second: num(row.requests_per_second),
      burst: num(row.burst),
      expensive_requests_per_second: num(row.expensive_requests_per_second),
      expensive_burst: num(row.expensive_burst),
      max_stored_bytes: num(row.max_stored_bytes),
      max_documents: num(row.max_documents),
    },
    defaults,
  );
}

/**
 * The tenant's effective limits as other contexts read them (the document service's quotas),
 * with the platform defaults of `env` (the schema's defaults when absent). Inside the caller's
 * tenant transaction.
 */
export function tenantLimits(env?: Env): { limits(tx: Tx, tenantId: string): Promise<LimitsView> } {
  const defaults = limitDefaults(env ?? readEnv({}));
  return { limits: (tx, tenantId) => readLimits(tx, tenantId, defaults) };
}
