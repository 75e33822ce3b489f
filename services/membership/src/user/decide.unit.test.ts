import { createHash } from 'node:crypto';
import { UserEvent } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from '@mandant/shared/testing';
import { userDecider } from './decide.ts';
import { emailHash } from './email.ts';

const P1 = '0190c6e0-0000-7000-8000-000000000001';
const P2 = '0190c6e0-0000-7000-8000-000000000002';
const T = '0190c6e0-0000-7000-8000-0000000000aa';
/** stands for `sealUser(…)`: deciding never opens it */
const SEALED = 'c2VhbGVkLXVzZXI=';
const HASH = emailHash(T, 'ana@example.org');
const registered: UserEvent = { type: 'user.registered.v2', data: { sealed: SEALED, email_hash: HASH } };
/** as logs written before sealing hold it */
const registeredV1: UserEvent = { type: 'user.registered.v1', data: { email: 'ana@example.org', name: 'Ana' } };

const { decide, rejection } = deciderSpec(userDecider, UserEvent);

describe('RegisterUser', () => {
  it('registers a user as user.registered.v2 with the sealed secret and the e-mail hash only', () => {
    expect(decide([], { type: 'RegisterUser', sealed: SEALED, email_hash: HASH })).toEqual([
      { type: 'user.registered.v2', data: { sealed: SEALED, email_hash: HASH } },
    ]);
  });

  it('rejects a user that exists with conflict', () => {
    expect(rejection([registered], { type: 'RegisterUser', sealed: SEALED, email_hash: HASH })).toBe('conflict');
  });

  it('rejects a user registered in clear by v1 (old logs) with conflict', () => {
    expect(rejection([registeredV1], { type: 'RegisterUser', sealed: SEALED, email_hash: HASH })).toBe('conflict');
  });
});

describe('emailHash', () => {
  it('hashes the e-mail lowercased and trimmed', () => {
    expect(emailHash(T, '  Ana@Example.ORG ')).toBe(HASH);
  });

  it('is SHA-256 of {tenant_id}:{e-mail}, as migration 1700000000120 rehashes old claims', () => {
    expect(HASH).toBe(createHash('sha256').update(`${T}:ana@example.org`).digest('hex'));
  });

  it('differs between tenants for the same e-mail', () => {
    expect(emailHash('0190c6e0-0000-7000-8000-0000000000bb', 'ana@example.org')).not.toBe(HASH);
  });
});

describe('SwitchProject', () => {
  it('switches from no project on the first switch', () => {
    expect(decide([registered], { type: 'SwitchProject', to_project_id: P1 })).toEqual([
      { type: 'user.project_switched.v1', data: { from_project_id: null, to_project_id: P1 } },
    ]);
  });

  it('switches from the project switched to last', () => {
    const given: UserEvent[] = [registered, { type: 'user.project_switched.v1', data: { from_project_id: null, to_project_id: P1 } }];
    expect(decide(given, { type: 'SwitchProject', to_project_id: P2 })).toEqual([
      { type: 'user.project_switched.v1', data: { from_project_id: P1, to_project_id: P2 } },
    ]);
  });

  it('records a switch to the current project as a visit', () => {
    const given: UserEvent[] = [registered, { type: 'user.project_switched.v1', data: { from_project_id: null, to_project_id: P1 } }];
    expect(decide(given, { type: 'SwitchProject', to_project_id: P1 })).toEqual([
      { type: 'user.project_switched.v1', data: { from_project_id: P1, to_project_id: P1 } },
    ]);
  });

  it('switches a user registered in clear by v1 (old logs)', () => {
    expect(decide([registeredV1], { type: 'SwitchProject', to_project_id: P1 })).toEqual([
      { type: 'user.project_switched.v1', data: { from_project_id: null, to_project_id: P1 } },
    ]);
  });

  it('rejects a user never registered with not_found', () => {
    expect(rejection([], { type: 'SwitchProject', to_project_id: P1 })).toBe('not_found');
  });
});
