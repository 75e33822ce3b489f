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
import { type Tx, pipeline } from '@mandant/shared/db';
import { type Projection, RowFold } from '@mandant/shared/projection';
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

/** A members_view key (the project may be missing from a malformed event: then it matches no row). */
type Member = { project_id: string | null; user_id: string };

/**
 * `apply` writes one event's change; `applyBatch` folds a page's events per row (`RowFold`) and
 * writes each row once, in a few set-based statements sent together: the same rows in the end.
 */
/** The user a `user.registered` event (v1 in clear, v2 sealed) registers. */
async function registeredUser(keyring: Keyring, e: EventEnvelope) {
  const userId = e.stream.slice('user-'.length);
  const u =
    e.type === 'user.registered.v1'
      ? UserRegistered.shape.data.parse(e.data)
      : await openUser(keyring, e.tenant_id, userId, UserRegisteredV2.shape.data.parse(e.data).sealed);
  return { userId, u };
}

const membershipRows = (keyring: Keyring): Projection => ({
  ...MEMBERSHIP_VIEWS,
  handles: (type) => type.startsWith('user.') || type.startsWith('member.') || type === 'project.deleted.v1',
  async apply(tx: Tx, e: EventEnvelope) {
    const t = e.tenant_id;
    const p = e.project_id;
    switch (e.type) {
      case 'user.registered.v1':
      case 'user.registered.v2': {
        const { userId, u } = await registeredUser(keyring, e);
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
  async applyBatch(tx: Tx, events: EventEnvelope[]) {
    const t = events[0]?.tenant_id;
    if (t === undefined) return;
    const users = new RowFold<string>((u) => u.toLowerCase());
    const members = new RowFold<Member>((m) => `${String(m.project_id).toLowerCase()}/${m.user_id.toLowerCase()}`);
    const deletedProjects: string[] = [];
    for (const e of events) {
      const p = e.project_id;
      const member = (userId: string): Member => ({ project_id: p, user_id: userId });
      switch (e.type) {
        case 'user.registered.v1':
        case 'user.registered.v2': {
          const { userId, u } = await registeredUser(keyring, e);
          users.insertIfAbsent(userId, {
            user_id: userId,
            email: u?.email ?? null,
            name: u?.name ?? null,
            current_project_id: null,
            created_at: e.occurred_at,
          });
          break;
        }
        case 'user.project_switched.v1': {
          const d = UserProjectSwitched.shape.data.parse(e.data);
          users.change(e.stream.slice('user-'.length), { set: { current_project_id: d.to_project_id } });
          break;
        }
        case 'member.added.v1': {
          const d = MemberAdded.shape.data.parse(e.data);
          members.insertIfAbsent(member(d.user_id), {
            ...member(d.user_id),
            role: d.role,
            display_name: null,
            preferences: {},
            state: {},
            added_at: e.occurred_at,
          });
          break;
        }
        case 'member.role_changed.v1': {
          const d = MemberRoleChanged.shape.data.parse(e.data);
          members.change(member(d.user_id), { set: { role: d.role } });
          break;
        }
        case 'member.removed.v1':
          members.remove(member(String(e.data.user_id)));
          break;
        case 'member.profile_updated.v1': {
          const d = MemberProfileUpdated.shape.data.parse(e.data);
          members.change(member(d.user_id), { set: { display_name: d.display_name, preferences: d.preferences } });
          break;
        }
        case 'member.profile_updated.v2': {
          const d = MemberProfileUpdatedV2.shape.data.parse(e.data);
          if (!p) throw new Error(`member.profile_updated.v2 ${e.id} has no project`);
          const profile = await openProfile(keyring, t, p, d.user_id, { kind: 'sealed', sealed: d.sealed });
          members.change(member(d.user_id), {
            set: { display_name: profile?.display_name ?? null, preferences: profile?.preferences ?? {} },
          });
          break;
        }
        case 'member.state_saved.v1': {
          const d = MemberStateSaved.shape.data.parse(e.data);
          members.change(member(d.user_id), { set: { state: d.state } });
          break;
        }
        case 'project.deleted.v1':
          if (!p) break;
          deletedProjects.push(p);
          members.removeWhere((m) => m.project_id?.toLowerCase() === p.toLowerCase());
          break;
      }
    }
    const u = users.writes();
    const m = members.writes();
    const json = (rows: unknown[]) => tx.json(rows as never);
    // the keys of the rows a recordset changes, also as arrays: an index condition the planner
    // sizes right (it takes a JSON recordset for a hundred rows, and for that many would rather
    // walk all of the tenant's rows of the table)
    const keyed = (keys: Member[]) =>
      tx`x.project_id = any(${keys.flatMap((k) => (k.project_id === null ? [] : [k.project_id]))}::uuid[])
         and x.user_id = any(${keys.map((k) => k.user_id)}::uuid[])`;
    // in this order: see RowFold
    await pipeline(
      u.removed.length > 0 ? tx`delete from users_view where tenant_id = ${t} and user_id = any(${u.removed}::uuid[])` : null,
      u.changed.length > 0
        ? tx`update users_view x set
               current_project_id = case when v.s ? 'current_project_id' then (v.s->>'current_project_id')::uuid else x.current_project_id end
             from jsonb_to_recordset(${json(u.changed.map((c) => ({ user_id: c.key, s: c.change.set })))}) as v(user_id uuid, s jsonb)
             where x.tenant_id = ${t} and x.user_id = any(${u.changed.map((c) => c.key)}::uuid[]) and x.user_id = v.user_id`
        : null,
      u.added.length > 0
        ? tx`insert into users_view (tenant_id, user_id, email, name, current_project_id, created_at)
             select ${t}, r.user_id, r.email, r.name, r.current_project_id, r.created_at
             from jsonb_to_recordset(${json(u.added)}) as r(user_id uuid, email text, name text, current_project_id uuid, created_at timestamptz)
             on conflict do nothing`
        : null,
      deletedProjects.length > 0
        ? tx`delete from members_view where tenant_id = ${t} and project_id = any(${deletedProjects}::uuid[])`
        : null,
      m.removed.length > 0
        ? tx`delete from members_view x using jsonb_to_recordset(${json(m.removed)}) as v(project_id uuid, user_id uuid)
             where x.tenant_id = ${t} and ${keyed(m.removed)} and x.project_id = v.project_id and x.user_id = v.user_id`
        : null,
      m.changed.length > 0
        ? tx`update members_view x set
               role = case when v.s ? 'role' then v.s->>'role' else x.role end,
               display_name = case when v.s ? 'display_name' then v.s->>'display_name' else x.display_name end,
               preferences = case when v.s ? 'preferences' then v.s->'preferences' else x.preferences end,
               state = case when v.s ? 'state' then v.s->'state' else x.state end
             from jsonb_to_recordset(${json(m.changed.map((c) => ({ ...c.key, s: c.change.set })))}) as v(project_id uuid, user_id uuid, s jsonb)
             where x.tenant_id = ${t} and ${keyed(m.changed.map((c) => c.key))} and x.project_id = v.project_id and x.user_id = v.user_id`
        : null,
      m.added.length > 0
        ? tx`insert into members_view (tenant_id, project_id, user_id, role, display_name, preferences, state, added_at)
             select ${t}, r.project_id, r.user_id, r.role, r.display_name, r.preferences, r.state, r.added_at
             from jsonb_to_recordset(${json(m.added)}) as r(project_id uuid, user_id uuid, role text, display_name text,
                    preferences jsonb, state jsonb, added_at timestamptz)
             on conflict do nothing`
        : null,
    );
  },
  async reset(tx, tenantId) {
    await tx`delete from members_view where tenant_id = ${tenantId}`;
    await tx`delete from users_view where tenant_id = ${tenantId}`;
  },
});
