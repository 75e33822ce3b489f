import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSecret, newApiKeySecret, tenantOfSecret } from './api-keys.ts';

describe('api key secrets', () => {
  it('carry their tenant and are stored only as a hash', () => {
    const tenant = randomUUID();
    const key = newApiKeySecret(tenant);
    expect(tenantOfSecret(key.secret)).toBe(tenant);
    expect(key.secret_hash).toBe(hashSecret(key.secret));
    expect(key.secret_hash).not.toContain(key.secret.slice(-20));
  });

  it('reject anything not shaped like a key', () => {
    expect(tenantOfSecret('mnd_abc_def')).toBeNull();
    expect(tenantOfSecret('Bearer x')).toBeNull();
  });
});
