import { MembershipEvent } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { fold } from '@mandant/shared/decider';
import { deciderSpec } from '@mandant/shared/testing';
import { membershipDecider } from './decide.ts';

const U = '0190c6e0-0000-7000-8000-000000000001';
const OTHER = '0190c6e0-0000-7000-8000-000000000002';
const added: MembershipEvent = { type: 'member.added.v1', data: { user_id: U, role: 'editor' } };
const removed: MembershipEvent = { type: 'member.removed.v1', data: { user_id: U } };
/** as logs written before sealing hold it */
const profiledV1: MembershipEvent = {
  type: 'member.profile_updated.v1',
  data: { user_id: U, display_name: 'Ana', preferences: { theme: 'dark' } },
};
/** stands for `sealProfile(…)`: deciding never opens it */
const SEALED = 'c2VhbGVkLXByb2ZpbGU=';
const profiled: MembershipEvent = { type: 'member.profile_updated.v2', data: { user_id: U, sealed: SEALED } };
const saved: MembershipEvent = { type: 'member.state_saved.v1', data: { user_id: U, state: { view: 'graph', filters: ['person'] } } };

const { decide, rejection } = deciderSpec(membershipDecider, MembershipEvent);

describe('SetMemberRole', () => {
  it('adds a user who never was a member', () => {
    expect(decide([], { type: 'SetMemberRole', user_id: U, role: 'viewer' })).toEqual([
      { type: 'member.added.v1', data: { user_id: U, role: 'viewer' } },
    ]);
  });

  it('adds back a removed member', () => {
    expect(decide([added, removed], { type: 'SetMemberRole', user_id: U, role: 'viewer' })).toEqual([
      { type: 'member.added.v1', data: { user_id: U, role: 'viewer' } },
    ]);
  });

  it('changes the role of a member', () => {
    expect(decide([added], { type: 'SetMemberRole', user_id: U, role: 'admin' })).toEqual([
      { type: 'member.role_changed.v1', data: { user_id: U, role: 'admin' } },
    ]);
  });

  it('emits nothing when the member has that role already', () => {
    const given: MembershipEvent[] = [added, { type: 'member.role_changed.v1', data: { user_id: U, role: 'admin' } }];
    expect(decide(given, { type: 'SetMemberRole', user_id: U, role: 'admin' })).toEqual([]);
  });

  it('rejects a command for another user than the stream holds with validation.failed', () => {
    expect(rejection([added], { type: 'SetMemberRole', user_id: OTHER, role: 'admin' })).toBe('validation.failed');
  });
});

describe('RemoveMember', () => {
  it('removes a member', () => {
    expect(decide([added], { type: 'RemoveMember', user_id: U })).toEqual([{ type: 'member.removed.v1', data: { user_id: U } }]);
  });

  it('rejects a user who never was a member with not_found', () => {
    expect(rejection([], { type: 'RemoveMember', user_id: U })).toBe('not_found');
  });

  it('rejects a member already removed with not_found', () => {
    expect(rejection([added, removed], { type: 'RemoveMember', user_id: U })).toBe('not_found');
  });
});

// Whether the profile changed is the handler's question (only it opens the sealed profile):
// see handlers.int.test.ts, 'records nothing when the profile is unchanged'.
describe('UpdateProfile', () => {
  it('records the sealed profile of a member as member.profile_updated.v2', () => {
    expect(decide([added], { type: 'UpdateProfile', user_id: U, sealed: SEALED })).toEqual([
      { type: 'member.profile_updated.v2', data: { user_id: U, sealed: SEALED } },
    ]);
  });

  it('replaces a profile recorded in clear by v1 with a sealed one', () => {
    expect(decide([added, profiledV1], { type: 'UpdateProfile', user_id: U, sealed: SEALED })).toEqual([
      { type: 'member.profile_updated.v2', data: { user_id: U, sealed: SEALED } },
    ]);
  });

  it('rejects a user who is not a member with not_found', () => {
    expect(rejection([], { type: 'UpdateProfile', user_id: U, sealed: SEALED })).toBe('not_found');
  });

  it('rejects a removed member with not_found', () => {
    expect(rejection([added, removed], { type: 'UpdateProfile', user_id: U, sealed: SEALED })).toBe('not_found');
  });
});

describe('SaveProjectState', () => {
  it('saves the working state of a member', () => {
    expect(decide([added], { type: 'SaveProjectState', user_id: U, state: { view: 'map' } })).toEqual([
      { type: 'member.state_saved.v1', data: { user_id: U, state: { view: 'map' } } },
    ]);
  });

  it('emits nothing when the state is unchanged', () => {
    expect(decide([added, saved], { type: 'SaveProjectState', user_id: U, state: { filters: ['person'], view: 'graph' } })).toEqual([]);
  });

  it('rejects a user who is not a member with not_found', () => {
    expect(rejection([], { type: 'SaveProjectState', user_id: U, state: {} })).toBe('not_found');
  });

  it('rejects a removed member with not_found', () => {
    expect(rejection([added, removed], { type: 'SaveProjectState', user_id: U, state: {} })).toBe('not_found');
  });
});

describe('a returning member', () => {
  it('gets their profile and saved state back when added again', () => {
    const state = fold(membershipDecider, [
      added,
      profiled,
      saved,
      removed,
      { type: 'member.added.v1', data: { user_id: U, role: 'viewer' } },
    ]);
    expect(state).toMatchObject({
      status: 'member',
      role: 'viewer',
      profile: { kind: 'sealed', sealed: SEALED },
      state: { view: 'graph', filters: ['person'] },
    });
  });

  it('gets a profile recorded in clear (v1, old logs) back when added again', () => {
    const state = fold(membershipDecider, [
      added,
      profiledV1,
      saved,
      removed,
      { type: 'member.added.v1', data: { user_id: U, role: 'viewer' } },
    ]);
    expect(state).toMatchObject({
      status: 'member',
      role: 'viewer',
      profile: { kind: 'clear', display_name: 'Ana', preferences: { theme: 'dark' } },
      state: { view: 'graph', filters: ['person'] },
    });
  });

  it('has no role while removed', () => {
    expect(fold(membershipDecider, [added, removed])).toMatchObject({ status: 'removed', role: null });
  });
});
