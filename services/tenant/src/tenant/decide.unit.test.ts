import { TenantEvent } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { fold } from '@mandant/shared/decider';
import { deciderSpec } from '@mandant/shared/testing';
import { type TenantCommand, tenantDecider } from './decide.ts';

const KEY = '0190c6e0-0000-7000-8000-00000000000a';
const OTHER_KEY = '0190c6e0-0000-7000-8000-00000000000b';
const USER = '0190c6e0-0000-7000-8000-000000000001';
const HASH = 'a'.repeat(64);

const provisioned: TenantEvent = {
  type: 'tenant.provisioned.v1',
  data: { name: 'Acme', slug: 'acme', settings: { model: 'small', lang: 'en' } },
};
const keyIssued: TenantEvent = {
  type: 'api_key.issued.v1',
  data: { key_id: KEY, name: 'ci', user_id: null, role: 'tenant_admin', prefix: 'mnd_…abcdef', secret_hash: HASH },
};
const issue = (over: Partial<Extract<TenantCommand, { type: 'IssueApiKey' }>> = {}): TenantCommand => ({
  type: 'IssueApiKey',
  key_id: OTHER_KEY,
  name: 'bot',
  user_id: null,
  role: 'auditor',
  prefix: 'mnd_…123456',
  secret_hash: HASH,
  ...over,
});

const { decide, rejection } = deciderSpec(tenantDecider, TenantEvent);

describe('ProvisionTenant', () => {
  it('provisions a new tenant with its name, slug and settings', () => {
    expect(decide([], { type: 'ProvisionTenant', name: 'Acme', slug: 'acme', settings: { model: 'small' } })).toEqual([
      { type: 'tenant.provisioned.v1', data: { name: 'Acme', slug: 'acme', settings: { model: 'small' } } },
    ]);
  });

  it('rejects a tenant that is already provisioned with tenant.exists', () => {
    expect(rejection([provisioned], { type: 'ProvisionTenant', name: 'Acme', slug: 'acme', settings: {} })).toBe('tenant.exists');
  });
});

describe('ChangeTenantSettings', () => {
  it('merges the patch shallowly and emits the whole resulting settings', () => {
    expect(decide([provisioned], { type: 'ChangeTenantSettings', patch: { model: 'large', chunk: { size: 512 } } })).toEqual([
      { type: 'tenant.settings_changed.v1', data: { settings: { model: 'large', lang: 'en', chunk: { size: 512 } } } },
    ]);
  });

  it('removes a key whose patch value is null', () => {
    expect(decide([provisioned], { type: 'ChangeTenantSettings', patch: { lang: null } })).toEqual([
      { type: 'tenant.settings_changed.v1', data: { settings: { model: 'small' } } },
    ]);
  });

  it('replaces a nested object as a whole rather than merging into it', () => {
    const given: TenantEvent[] = [
      provisioned,
      { type: 'tenant.settings_changed.v1', data: { settings: { chunk: { size: 512, overlap: 64 } } } },
    ];
    expect(decide(given, { type: 'ChangeTenantSettings', patch: { chunk: { size: 256 } } })).toEqual([
      { type: 'tenant.settings_changed.v1', data: { settings: { chunk: { size: 256 } } } },
    ]);
  });

  it('emits nothing when the patch restates the current values or removes absent keys', () => {
    expect(decide([provisioned], { type: 'ChangeTenantSettings', patch: { lang: 'en', missing: null } })).toEqual([]);
  });

  it('emits nothing when a nested value is equal with its keys in another order', () => {
    const given: TenantEvent[] = [
      provisioned,
      { type: 'tenant.settings_changed.v1', data: { settings: { chunk: { size: 512, overlap: 64 } } } },
    ];
    expect(decide(given, { type: 'ChangeTenantSettings', patch: { chunk: { overlap: 64, size: 512 } } })).toEqual([]);
  });

  it('never lets a __proto__ key in a patch change the prototype of the settings', () => {
    // The contract schemas drop such a key at the edge; this guards the merge on its own.
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const [event] = tenantDecider.decide({ type: 'ChangeTenantSettings', patch }, fold(tenantDecider, [provisioned]));
    const settings = event?.type === 'tenant.settings_changed.v1' ? event.data.settings : {};
    expect(Object.getPrototypeOf(settings)).toBe(Object.prototype);
    expect('polluted' in settings).toBe(false);
  });

  it('rejects a tenant that was never provisioned with not_found', () => {
    expect(rejection([], { type: 'ChangeTenantSettings', patch: { model: 'large' } })).toBe('not_found');
  });
});

describe('IssueApiKey', () => {
  it('issues a key with a tenant role', () => {
    expect(decide([provisioned], issue())).toEqual([
      {
        type: 'api_key.issued.v1',
        data: { key_id: OTHER_KEY, name: 'bot', user_id: null, role: 'auditor', prefix: 'mnd_…123456', secret_hash: HASH },
      },
    ]);
  });

  it('issues a key acting as a user', () => {
    expect(decide([provisioned], issue({ user_id: USER, role: null }))).toEqual([
      {
        type: 'api_key.issued.v1',
        data: { key_id: OTHER_KEY, name: 'bot', user_id: USER, role: null, prefix: 'mnd_…123456', secret_hash: HASH },
      },
    ]);
  });

  it('rejects a key with both a user and a role with validation.failed', () => {
    expect(rejection([provisioned], issue({ user_id: USER, role: 'member' }))).toBe('validation.failed');
  });

  it('rejects a key with neither a user nor a role with validation.failed', () => {
    expect(rejection([provisioned], issue({ user_id: null, role: null }))).toBe('validation.failed');
  });

  it('rejects a key id already issued with conflict', () => {
    expect(rejection([provisioned, keyIssued], issue({ key_id: KEY }))).toBe('conflict');
  });

  it('rejects reusing the id of a revoked key with conflict', () => {
    const revoked: TenantEvent = { type: 'api_key.revoked.v1', data: { key_id: KEY } };
    expect(rejection([provisioned, keyIssued, revoked], issue({ key_id: KEY }))).toBe('conflict');
  });

  it('rejects a tenant that was never provisioned with not_found', () => {
    expect(rejection([], issue())).toBe('not_found');
  });
});

describe('RevokeApiKey', () => {
  it('revokes an issued key', () => {
    expect(decide([provisioned, keyIssued], { type: 'RevokeApiKey', key_id: KEY })).toEqual([
      { type: 'api_key.revoked.v1', data: { key_id: KEY } },
    ]);
  });

  it('rejects an unknown key with not_found', () => {
    expect(rejection([provisioned, keyIssued], { type: 'RevokeApiKey', key_id: OTHER_KEY })).toBe('not_found');
  });

  it('rejects a key already revoked with not_found', () => {
    const revoked: TenantEvent = { type: 'api_key.revoked.v1', data: { key_id: KEY } };
    expect(rejection([provisioned, keyIssued, revoked], { type: 'RevokeApiKey', key_id: KEY })).toBe('not_found');
  });

  it('rejects a tenant that was never provisioned with not_found', () => {
    expect(rejection([], { type: 'RevokeApiKey', key_id: KEY })).toBe('not_found');
  });
});

describe('OffboardTenant', () => {
  const offboarded: TenantEvent = { type: 'tenant.offboarded.v1', data: {} };

  it('offboards an active tenant with a tombstone', () => {
    expect(decide([provisioned, keyIssued], { type: 'OffboardTenant' })).toEqual([{ type: 'tenant.offboarded.v1', data: {} }]);
  });

  it('answers not_found for a tenant that never was or is offboarded already', () => {
    expect(rejection([], { type: 'OffboardTenant' })).toBe('not_found');
    expect(rejection([provisioned, offboarded], { type: 'OffboardTenant' })).toBe('not_found');
  });

  it('refuses every later command on an offboarded tenant, provisioning it again included', () => {
    const given = [provisioned, keyIssued, offboarded];
    expect(rejection(given, { type: 'ChangeTenantSettings', patch: { lang: 'de' } })).toBe('not_found');
    expect(rejection(given, issue())).toBe('not_found');
    expect(rejection(given, { type: 'RevokeApiKey', key_id: KEY })).toBe('not_found');
    expect(rejection(given, { type: 'ProvisionTenant', name: 'Acme', slug: 'acme', settings: {} })).toBe('tenant.exists');
  });
});
