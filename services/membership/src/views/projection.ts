import {
  type EventEnvelope,
  MemberAdded,
  MemberProfileUpdated,
  MemberProfileUpdatedV2,
  MemberRoleChanged,
  MemberStateSaved,
  UserProjectSwitched,
  UserRegistered,
  UserRegisteredV2,
} from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { openProfile, openUser } from '../sealed.ts';

/**
 * users_view and members_view: who exists in the tenant, who is in which project with which role.
 * E-mails, names and profiles are opened from the sealed v2 payloads here (v1 ones are in clear);
 * once the tenant's key is destroyed they read as erased: null e-mail and name, null display name
 * and empty preferences. Offboarding purges the views anyway; this keeps replays and rebuilds
 * from failing on such a log.
 */
/** The membership views' projection name and version (its checkpoints' key). */
export const MEMBERSHIP_VIEWS = { name: 'membership-views', version: 1 } as const;

export const membershipViews = (keyring: Keyring): Projection => {
  const views = membershipRows(keyring);
  // an offboarded tenant loses its users and members, and its e-mail claims (written by the
  // handlers, so no rebuild's reset touches them)
  return purgingOffboarded(views, async (tx, tenantId) => {
    await views.reset(tx, tenantId);
    await tx`delete from user_emails where tenant_id = ${tenantId}`;
  });
};

const membershipRows = (keyring: Keyring): Projection => ({
  ...MEMBERSHIP_VIEWS,
  handles: (type) => type.startsWith('user.') || type.startsWith('member.') || type === 'project.deleted.v1',
  async apply(tx: Tx, e: EventEnvelope) {
    const t = e.tenant_id;
    const p = e.project_id;
    switch (e.type) {
      case 'user.registered.v1':
      case 'user.registered.v2': {
        const userId = e.stream.slice('user-'.length);
        const u =
          e.type === 'user.registered.v1'
            ? UserRegistered.shape.data.parse(e.data)
            : await openUser(keyring, t, userId, UserRegisteredV2.shape.data.parse(e.data).sealed);
        await tx`insert into users_view (tenant_id, user_id, email, name, created_at)
                 values (${t}, ${userId}, ${u?.email ?? null}, ${u?.name ?? null}, ${e.occurred_at}) on conflict do nothing`;
        return;
      }
      case 'user.project_switched.v1': {
        const d = UserProjectSwitched.shape.data.parse(e.data);
        await tx`update users_view set current_project_id = ${d.to_project_id} where tenant_id = ${t} and user_id = ${e.stream.slice('user-'.length)}`;
        return;
      }
      case 'member.added.v1': {
        const d = MemberAdded.shape.data.parse(e.data);
        await tx`insert into members_view (tenant_id, project_id, user_id, role, added_at)
                 values (${t}, ${p}, ${d.user_id}, ${d.role}, ${e.occurred_at}) on conflict do nothing`;
        return;
      }
      case 'member.role_changed.v1': {
        const d = MemberRoleChanged.shape.data.parse(e.data);
        await tx`update members_view set role = ${d.role} where tenant_id = ${t} and project_id = ${p} and user_id = ${d.user_id}`;
        return;
      }
      case 'member.removed.v1': {
        const userId = String(e.data.user_id);
        await tx`delete from members_view where tenant_id = ${t} and project_id = ${p} and user_id = ${userId}`;
        return;
      }
      case 'member.profile_updated.v1': {
        const d = MemberProfileUpdated.shape.data.parse(e.data);
        await tx`update members_view set display_name = ${d.display_name}, preferences = ${tx.json(d.preferences as never)}
                 where tenant_id = ${t} and project_id = ${p} and user_id = ${d.user_id}`;
        return;
      }
      case 'member.profile_updated.v2': {
        const d = MemberProfileUpdatedV2.shape.data.parse(e.data);
        if (!p) throw new Error(`member.profile_updated.v2 ${e.id} has no project`);
        const profile = await openProfile(keyring, t, p, d.user_id, { kind: 'sealed', sealed: d.sealed });
        await tx`update members_view set display_name = ${profile?.display_name ?? null}, preferences = ${tx.json((profile?.preferences ?? {}) as never)}
                 where tenant_id = ${t} and project_id = ${p} and user_id = ${d.user_id}`;
        return;
      }
      case 'member.state_saved.v1': {
        const d = MemberStateSaved.shape.data.parse(e.data);
        await tx`update members_view set state = ${tx.json(d.state as never)} where tenant_id = ${t} and project_id = ${p} and user_id = ${d.user_id}`;
        return;
      }
      case 'project.deleted.v1':
        await tx`delete from members_view where tenant_id = ${t} and project_id = ${p}`;
        return;
    }
  },
  async reset(tx, tenantId) {
    await tx`delete from members_view where tenant_id = ${tenantId}`;
    await tx`delete from users_view where tenant_id = ${tenantId}`;
  },
});
