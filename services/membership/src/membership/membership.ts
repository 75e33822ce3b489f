import type { MembershipEvent, ProjectRole } from '@mandant/contracts';

/**
 * The profile as the stream holds it: in clear from `member.profile_updated.v1` (old logs), or
 * sealed from v2. Only the edge, which has the keyring, opens it (`openProfile`).
 */
export type StoredProfile =
  { kind: 'clear'; display_name: string | null; preferences: Record<string, unknown> } | { kind: 'sealed'; sealed: string };

/**
 * One (project, user) pair. Removing a member drops their role only: display name, preferences
 * and saved state stay in the stream, so a member who is added back finds their profile and
 * working state as they left them. (Chosen over a clean slate because re-adding is mostly an undo
 * of a mistaken removal; a fresh start is one `UpdateProfile` away.)
 */
export interface MembershipState {
  status: 'none' | 'member' | 'removed';
  /** set by the first event; every later command must name the same user */
  userId: string | null;
  /** null unless a member */
  role: ProjectRole | null;
  profile: StoredProfile;
  state: Record<string, unknown>;
}

export const initialMembershipState = (): MembershipState => ({
  status: 'none',
  userId: null,
  role: null,
  profile: { kind: 'clear', display_name: null, preferences: {} },
  state: {},
});

export function evolveMembership(s: MembershipState, event: MembershipEvent): MembershipState {
  switch (event.type) {
    case 'member.added.v1':
    case 'member.role_changed.v1':
      return { ...s, status: 'member', userId: event.data.user_id, role: event.data.role };
    case 'member.removed.v1':
      return { ...s, status: 'removed', userId: event.data.user_id, role: null };
    case 'member.profile_updated.v1':
      return {
        ...s,
        userId: event.data.user_id,
        profile: { kind: 'clear', display_name: event.data.display_name, preferences: event.data.preferences },
      };
    case 'member.profile_updated.v2':
      return { ...s, userId: event.data.user_id, profile: { kind: 'sealed', sealed: event.data.sealed } };
    case 'member.state_saved.v1':
      return { ...s, userId: event.data.user_id, state: event.data.state };
    default: {
      // Reached only by a stream written by newer code: deciding on a partial state would be unsafe.
      const unknown: never = event;
      throw new Error(`unknown membership event ${(unknown as { type: string }).type}`);
    }
  }
}
