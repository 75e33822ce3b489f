import type { MembershipEvent, ProjectRole } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { sameJson } from '@mandant/shared/json';
import { evolveMembership, initialMembershipState, type MembershipState } from './membership.ts';

/** Adds the user (again) with `role`, or changes the role of a current member. */
export type SetMemberRole = { type: 'SetMemberRole'; user_id: string; role: ProjectRole };
export type RemoveMember = { type: 'RemoveMember'; user_id: string };
/**
 * Replaces the whole profile with `sealed` (`sealProfile` of display name and preferences): the
 * caller fills in unchanged fields from the current profile, and skips the command when nothing
 * changes, since only it can open the current one (deciding has no keyring).
 */
export type UpdateProfile = { type: 'UpdateProfile'; user_id: string; sealed: string };
export type SaveProjectState = { type: 'SaveProjectState'; user_id: string; state: Record<string, unknown> };

export type MembershipCommand = SetMemberRole | RemoveMember | UpdateProfile | SaveProjectState;

function requireMember(state: MembershipState): void {
  if (state.status !== 'member') throw notFound('member');
}

export function decideMembership(command: MembershipCommand, state: MembershipState): MembershipEvent[] {
  // The stream is per (project, user): a command for another user was routed to the wrong stream.
  if (state.userId !== null && state.userId !== command.user_id) {
    throw new DomainError('validation.failed', 'user_id does not match this membership', { field: 'user_id' });
  }
  const { user_id } = command;
  switch (command.type) {
    case 'SetMemberRole': {
      if (state.status !== 'member') return [{ type: 'member.added.v1', data: { user_id, role: command.role } }];
      if (state.role === command.role) return [];
      return [{ type: 'member.role_changed.v1', data: { user_id, role: command.role } }];
    }
    case 'RemoveMember': {
      requireMember(state);
      return [{ type: 'member.removed.v1', data: { user_id } }];
    }
    case 'UpdateProfile': {
      requireMember(state);
      return [{ type: 'member.profile_updated.v2', data: { user_id, sealed: command.sealed } }];
    }
    case 'SaveProjectState': {
      requireMember(state);
      if (sameJson(command.state, state.state)) return [];
      return [{ type: 'member.state_saved.v1', data: { user_id, state: command.state } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled membership command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const membershipDecider: Decider<MembershipState, MembershipCommand, MembershipEvent> = {
  initialState: initialMembershipState,
  evolve: evolveMembership,
  decide: decideMembership,
};
