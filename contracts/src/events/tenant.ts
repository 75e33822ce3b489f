import { z } from 'zod';
import { Id, Name, Settings, Slug, TenantRole } from '../common.ts';

export const TenantProvisioned = z.object({
  type: z.literal('tenant.provisioned.v1'),
  data: z.object({ name: Name, slug: Slug, settings: Settings }),
});
export const TenantSettingsChanged = z.object({
  type: z.literal('tenant.settings_changed.v1'),
  /** the whole settings object after the change */
  data: z.object({ settings: Settings }),
});
export const ApiKeyIssued = z.object({
  type: z.literal('api_key.issued.v1'),
  data: z.object({
    key_id: Id,
    name: Name,
    user_id: Id.nullable(),
    role: TenantRole.nullable(),
    /** the visible start of the secret, to recognise a key in listings */
    prefix: z.string(),
    /** SHA-256 of the secret; the secret itself is never stored */
    secret_hash: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export const ApiKeyRevoked = z.object({
  type: z.literal('api_key.revoked.v1'),
  data: z.object({ key_id: Id }),
});

/**
 * The tenant was offboarded by the platform operator: the tombstone is the tenant's last event
 * (the log refuses any later one). Every projector purges the tenant's read models on it, and
 * every data key of the tenant is destroyed after it commits, so its sealed content is erased.
 * The log itself stays, and its chain still verifies; the slug is never given out again.
 */
export const TENANT_OFFBOARDED = 'tenant.offboarded.v1';
export const TenantOffboarded = z.object({
  type: z.literal(TENANT_OFFBOARDED),
  data: z.object({}),
});

/**
 * A tenant's limits as the platform operator set them; null keeps the platform default
 * (environment). Rates are tokens per second of a token bucket, bursts its capacity.
 */
export const TenantLimitOverrides = z.object({
  // at least a token per 1,000 s: a refusal's Retry-After stays a finite, readable number
  requests_per_second: z.number().min(0.001).max(1_000_000).nullable(),
  burst: z.number().int().min(1).max(10_000_000).nullable(),
  expensive_requests_per_second: z.number().min(0.001).max(1_000_000).nullable(),
  expensive_burst: z.number().int().min(1).max(10_000_000).nullable(),
  max_stored_bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
  max_documents: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type TenantLimitOverrides = z.infer<typeof TenantLimitOverrides>;
/** The operator set the tenant's limits: the whole set after the change, recorded with the operator as actor. */
export const TenantLimitsSet = z.object({
  type: z.literal('tenant.limits_set.v1'),
  data: z.object({ limits: TenantLimitOverrides }),
});

export const TenantEvent = z.discriminatedUnion('type', [
  TenantProvisioned,
  TenantSettingsChanged,
  ApiKeyIssued,
  ApiKeyRevoked,
  TenantOffboarded,
  TenantLimitsSet,
]);
export type TenantEvent = z.infer<typeof TenantEvent>;
