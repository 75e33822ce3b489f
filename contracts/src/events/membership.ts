import { z } from 'zod';
import { Id, Name, ProjectRole } from '../common.ts';

export const UserRegistered = z.object({
  type: z.literal('user.registered.v1'),
  data: z.object({ email: z.email(), name: Name }),
});
export const UserProjectSwitched = z.object({
  type: z.literal('user.project_switched.v1'),
  data: z.object({ from_project_id: Id.nullable(), to_project_id: Id }),
});
export const UserEvent = z.discriminatedUnion('type', [UserRegistered, UserProjectSwitched]);
export type UserEvent = z.infer<typeof UserEvent>;

export const Preferences = z.record(z.string(), z.unknown());
/** Saved per-project working state (open views, filters, last visited…), restored on switch. */
export const ProjectState = z.record(z.string(), z.unknown());

export const MemberAdded = z.object({ type: z.literal('member.added.v1'), data: z.object({ user_id: Id, role: ProjectRole }) });
export const MemberRoleChanged = z.object({ type: z.literal('member.role_changed.v1'), data: z.object({ user_id: Id, role: ProjectRole }) });
export const MemberRemoved = z.object({ type: z.literal('member.removed.v1'), data: z.object({ user_id: Id }) });
export const MemberProfileUpdated = z.object({
  type: z.literal('member.profile_updated.v1'),
  data: z.object({ user_id: Id, display_name: Name.nullable(), preferences: Preferences }),
});
export const MemberStateSaved = z.object({
  type: z.literal('member.state_saved.v1'),
  data: z.object({ user_id: Id, state: ProjectState }),
});
export const MembershipEvent = z.discriminatedUnion('type', [
  MemberAdded, MemberRoleChanged, MemberRemoved, MemberProfileUpdated, MemberStateSaved,
]);
export type MembershipEvent = z.infer<typeof MembershipEvent>;
