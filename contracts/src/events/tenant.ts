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
export const TenantOffboarded = z.object({
  type: z.literal('tenant.offboarded.v1'),
  data: z.object({}),
});

export const TenantEvent = z.discriminatedUnion('type', [TenantProvisioned, TenantSettingsChanged, ApiKeyIssued, ApiKeyRevoked, TenantOffboarded]);
export type TenantEvent = z.infer<typeof TenantEvent>;
