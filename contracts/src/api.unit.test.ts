import { describe, expect, it } from 'vitest';
import { CreateApiKeyBody, CreateApiKeyInput } from './api.ts';

describe('CreateApiKeyBody, the documented shape of CreateApiKeyInput', () => {
  const user = '0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f';
  it.each([
    [{ name: 'k', user_id: user }],
    [{ name: 'k', role: 'auditor' }],
    [{ name: 'k', role: 'tenant_admin' }],
    [{ name: 'k', user_id: user, role: 'auditor' }],
    [{ name: 'k' }],
    [{ name: 'k', role: 'member' }],
    [{ name: '', user_id: user }],
    [{ name: 'k', user_id: user, extra: 1 }],
    [{ user_id: user }],
  ])('accepts %j exactly when the parsing schema does', (body) => {
    expect(CreateApiKeyBody.safeParse(body).success).toBe(CreateApiKeyInput.safeParse(body).success);
  });
});
