import { createHash, randomBytes } from 'node:crypto';

/**
 * API key secrets read `mnd_<tenant id, 32 hex>_<43 random base64url chars>`. Carrying the tenant
 * lets authentication set the tenant before it looks the key up, so even that lookup runs under
 * row-level security. Only the SHA-256 of the secret is stored.
 */
export function newApiKeySecret(tenantId: string): { secret: string; prefix: string; secret_hash: string } {
  const random = randomBytes(32).toString('base64url');
  const secret = `mnd_${tenantId.replaceAll('-', '')}_${random}`;
  return { secret, prefix: `mnd_…${random.slice(0, 6)}`, secret_hash: hashSecret(secret) };
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The tenant a secret claims to belong to, or null when it is not shaped like a Mandant key. */
export function tenantOfSecret(secret: string): string | null {
  const m = /^mnd_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(secret);
  const h = m?.[1];
  if (!h) return null;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
