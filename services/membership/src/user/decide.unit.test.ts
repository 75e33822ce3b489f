import { UserEvent } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from '@mandant/shared/testing/decider.ts';
import { type UserCommand, userDecider } from './decide.ts';

const P1 = '0190c6e0-0000-7000-8000-000000000001';
const P2 = '0190c6e0-0000-7000-8000-000000000002';
const registered: UserEvent = { type: 'user.registered.v1', data: { email: 'ana@example.org', name: 'Ana' } };

const { decide, rejection } = deciderSpec(userDecider, UserEvent);

describe('RegisterUser', () => {
  it('registers a user with the email lowercased and trimmed', () => {
    expect(decide([], { type: 'RegisterUser', email: '  Ana@Example.ORG ', name: 'Ana' })).toEqual([
      { type: 'user.registered.v1', data: { email: 'ana@example.org', name: 'Ana' } },
    ]);
  });

  it('rejects a user that exists with conflict', () => {
    expect(rejection([registered], { type: 'RegisterUser', email: 'ana@example.org', name: 'Ana' })).toBe('conflict');
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

  it('rejects a user never registered with not_found', () => {
    expect(rejection([], { type: 'SwitchProject', to_project_id: P1 })).toBe('not_found');
  });
});
