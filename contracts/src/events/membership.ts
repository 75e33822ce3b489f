import { z } from 'zod';
import { Id, Name, ProjectRole } from '../common.ts';
import { Sealed } from './document.ts';

/**
 * Users (stream `user-{id}`) and memberships (stream `membership-{project}-{user}`).
 *
 * Personal data (e-mail, name, display name, preferences) travels only inside `sealed` since the
 * v2 events: `sealJson` under the tenant's data key, opened with the associated data
 * `event/{user_id}` (users) or `event/membership-{project_id}-{user_id}` (profiles), so
 * offboarding the tenant (destroying its keys) erases it from the log without rewriting history.
 * The v1 events carried it in clear; logs written before v2 still hold them and readers accept
 * both.
 */

/** `user.registered.v1` (before sealing): e-mail and name in clear. Read, never written any more. */
export const UserRegistered = z.object({
  type: z.literal('user.registered.v1'),
  data: z.object({ email: z.email(), name: Name }),
});
/** What `sealed` holds on `user.registered.v2`. */
export const UserSecret = z.object({ email: z.email(), name: Name });
export type UserSecret = z.infer<typeof UserSecret>;
export const UserRegisteredV2 = z.object({
  type: z.literal('user.registered.v2'),
  data: z.object({
    sealed: Sealed,
    /**
     * hex SHA-256 of `{tenant_id}:{normalised e-mail}`: what the tenant's uniqueness claim
     * (`user_emails`) holds. Not keyed by a secret: whoever holds the log and guesses an address
     * can confirm it, also after offboarding.
     */
    email_hash: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export const UserProjectSwitched = z.object({
  type: z.literal('user.project_switched.v1'),
  data: z.object({ from_project_id: Id.nullable(), to_project_id: Id }),
});
export const UserEvent = z.discriminatedUnion('type', [UserRegistered, UserRegisteredV2, UserProjectSwitched]);
export type UserEvent = z.infer<typeof UserEvent>;

export const Preferences = z.record(z.string(), z.unknown());
/** Saved per-project working state (open views, filters, last visited…), restored on switch. */
export const ProjectState = z.record(z.string(), z.unknown());

export const MemberAdded = z.object({ type: z.literal('member.added.v1'), data: z.object({ user_id: Id, role: ProjectRole }) });
export const MemberRoleChanged = z.object({
  type: z.literal('member.role_changed.v1'),
  data: z.object({ user_id: Id, role: ProjectRole }),
});
export const MemberRemoved = z.object({ type: z.literal('member.removed.v1'), data: z.object({ user_id: Id }) });
/** `member.profile_updated.v1` (before sealing): the profile in clear. Read, never written any more. */
export const MemberProfileUpdated = z.object({
  type: z.literal('member.profile_updated.v1'),
  data: z.object({ user_id: Id, display_name: Name.nullable(), preferences: Preferences }),
});
/** What `sealed` holds on `member.profile_updated.v2`: the whole profile after the change. */
export const ProfileSecret = z.object({ display_name: Name.nullable(), preferences: Preferences });
export type ProfileSecret = z.infer<typeof ProfileSecret>;
export const MemberProfileUpdatedV2 = z.object({
  type: z.literal('member.profile_updated.v2'),
  data: z.object({ user_id: Id, sealed: Sealed }),
});
export const MemberStateSaved = z.object({
  type: z.literal('member.state_saved.v1'),
  data: z.object({ user_id: Id, state: ProjectState }),
});
export const MembershipEvent = z.discriminatedUnion('type', [
  MemberAdded,
  MemberRoleChanged,
  MemberRemoved,
  MemberProfileUpdated,
  MemberProfileUpdatedV2,
  MemberStateSaved,
]);
export type MembershipEvent = z.infer<typeof MembershipEvent>;
