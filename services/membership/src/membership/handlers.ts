import {
  CreateUserInput,
  type EventMeta,
  MemberInput,
  type MemberView,
  type Principal,
  type ProfileView,
  ProjectIdInput,
  type ProjectRole,
  PutMemberInput,
  PutProfileInput,
  SwitchProjectInput,
  type UserView,
  rpc,
  streams,
} from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import { fold } from '@mandant/shared/decider';
import { forbidden, notFound } from '@mandant/shared/errors';
import { uuidv7 } from '@mandant/shared/ids';
import { sameJson } from '@mandant/shared/json';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { requirePrincipal, requireProjectRole, requireTenantAdmin, requireUser } from '../access/access.ts';
import type { ProjectDirectory } from '../access/projects.ts';
import { runCommand } from '@mandant/shared/service';
import type { ServiceDeps } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { openProfile, sealProfile } from '../sealed.ts';
import { userDecider } from '../user/decide.ts';
import { registerUser } from '../user/register.ts';
import { type MembershipCommand, membershipDecider } from './decide.ts';
import type { MembershipState } from './membership.ts';

/**
 * The membership service seals personal data in its events with the tenant's data key; it reads
 * projects (which the project context owns) through `projects`.
 */
export interface MembershipDeps extends ServiceDeps {
  keyring: Keyring;
  projects: ProjectDirectory;
}

const metaOf = (ctx: RpcContext, p: Principal): EventMeta => ({
  actor: p.actor,
  correlation_id: ctx.meta.correlation_id,
  causation_id: null,
  traceparent: ctx.meta.traceparent,
});
// email and name are null once the tenant's key is destroyed (erased); UserView in contracts/api.ts
// still says string: only an offboarded tenant, whose views are purged, can get there
/** A row of `users_view`. */
interface UserRow {
  user_id: string;
  email: UserView['email'];
  name: UserView['name'];
  current_project_id: UserView['current_project_id'];
  created_at: Date;
}
/** A row of `members_view`. */
interface MemberRow {
  project_id: string;
  user_id: string;
  role: MemberView['role'];
  added_at: Date;
}
const userView = (r: UserRow): UserView => ({
  id: r.user_id,
  email: r.email,
  name: r.name,
  current_project_id: r.current_project_id,
  created_at: r.created_at.toISOString(),
});
const memberView = (r: MemberRow): MemberView => ({
  project_id: r.project_id,
  user_id: r.user_id,
  role: r.role,
  added_at: r.added_at.toISOString(),
});

export function membershipHandlers(deps: MembershipDeps): Record<string, RpcHandler> {
  const { sql, store, clock, keyring, projects, waitForViews } = deps;
  const tx = <T>(p: Principal, fn: Parameters<typeof withTenant<T>>[2]) => withTenant(sql, p.tenant_id, fn);
  const access = (p: Principal, projectId: string, needed: 'viewer' | 'editor' | 'admin') =>
    tx(p, (t) => requireProjectRole(t, projects, p, projectId, needed));

  /** A profile is the project's content (read-only while archived, checked again inside the append); roles and saved state are not. */
  async function changeMembership(p: Principal, projectId: string, command: MembershipCommand, ctx: RpcContext) {
    const res = await runCommand({
      store,
      clock,
      decider: membershipDecider,
      tenantId: p.tenant_id,
      stream: streams.membership(projectId, command.user_id),
      projectId,
      command,
      meta: metaOf(ctx, p),
      beforeCommit:
        command.type === 'UpdateProfile'
          ? () => (t) => projects.guardContentWrite(t, p.tenant_id, 'member.profile', [projectId])
          : undefined,
    });
    await waitForViews(p.tenant_id, res.position);
    return res.state;
  }

  async function membershipState(p: Principal, projectId: string, userId: string) {
    const { events } = await store.readStream(p.tenant_id, streams.membership(projectId, userId));
    return fold(membershipDecider, events as never);
  }

  /** Profiles are the member's own: they and the project's admins may read and change them. */
  async function requireSelfOrAdmin(p: Principal, projectId: string, userId: string) {
    const a = await access(p, projectId, 'viewer');
    if (p.user_id !== userId && a.role !== 'admin') throw forbidden('only the member or a project admin');
    return a;
  }

  /** The member's profile opened; an erased one (the tenant's key destroyed) reads as empty. */
  async function openedProfile(p: Principal, projectId: string, userId: string, s: MembershipState): Promise<ProfileView> {
    const profile = await openProfile(keyring, p.tenant_id, projectId, userId, s.profile);
    return { project_id: projectId, user_id: userId, display_name: profile?.display_name ?? null, preferences: profile?.preferences ?? {} };
  }

  async function profileOf(p: Principal, projectId: string, userId: string): Promise<ProfileView> {
    const s = await membershipState(p, projectId, userId);
    if (s.status !== 'member') throw notFound('member');
    return openedProfile(p, projectId, userId, s);
  }

  async function requireUserExists(p: Principal, userId: string) {
    const [row] = await tx(p, (t) => t`select 1 from users_view where tenant_id = ${p.tenant_id} and user_id = ${userId}`);
    if (!row) throw notFound('user');
  }

  return {
    async [rpc.userCreate](input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const body = CreateUserInput.parse(input);
      const userId = uuidv7();
      await registerUser(deps, { tenantId: p.tenant_id, userId, email: body.email, name: body.name, meta: metaOf(ctx, p) });
      const [row] = await tx(p, (t) => t<UserRow[]>`select * from users_view where tenant_id = ${p.tenant_id} and user_id = ${userId}`);
      if (!row) throw notFound('user');
      return userView(row);
    },

    async [rpc.userList](_input, ctx) {
      const p = requireTenantAdmin(ctx.principal);
      const rows = await tx(p, (t) => t<UserRow[]>`select * from users_view where tenant_id = ${p.tenant_id} order by created_at, user_id`);
      return { users: rows.map(userView) };
    },

    async [rpc.memberList](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const { project_id } = ProjectIdInput.parse(input);
      await access(p, project_id, 'viewer');
      const rows = await tx(
        p,
        (t) =>
          t<
            MemberRow[]
          >`select * from members_view where tenant_id = ${p.tenant_id} and project_id = ${project_id} order by added_at, user_id`,
      );
      return { members: rows.map(memberView) };
    },

    async [rpc.memberGet](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const { project_id, user_id } = MemberInput.parse(input);
      await access(p, project_id, 'viewer');
      const [row] = await tx(
        p,
        (t) =>
          t<
            MemberRow[]
          >`select * from members_view where tenant_id = ${p.tenant_id} and project_id = ${project_id} and user_id = ${user_id}`,
      );
      if (!row) throw notFound('member');
      return memberView(row);
    },

    async [rpc.memberPut](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const { project_id, user_id, role } = PutMemberInput.parse(input);
      await access(p, project_id, 'admin');
      await requireUserExists(p, user_id);
      await changeMembership(p, project_id, { type: 'SetMemberRole', user_id, role }, ctx);
      const [row] = await tx(
        p,
        (t) =>
          t<
            MemberRow[]
          >`select * from members_view where tenant_id = ${p.tenant_id} and project_id = ${project_id} and user_id = ${user_id}`,
      );
      if (!row) throw notFound('member');
      return memberView(row);
    },

    async [rpc.memberDelete](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const { project_id, user_id } = MemberInput.parse(input);
      await access(p, project_id, 'admin');
      await changeMembership(p, project_id, { type: 'RemoveMember', user_id }, ctx);
      return null;
    },

    async [rpc.profileGet](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const { project_id, user_id } = MemberInput.parse(input);
      await requireSelfOrAdmin(p, project_id, user_id);
      return profileOf(p, project_id, user_id);
    },

    async [rpc.profilePut](input, ctx) {
      const p = requirePrincipal(ctx.principal);
      const body = PutProfileInput.parse(input);
      projects.requireWritable('member.profile', body.project_id, (await requireSelfOrAdmin(p, body.project_id, body.user_id)).status);
      const current = await profileOf(p, body.project_id, body.user_id);
      const next = {
        display_name: body.display_name === undefined ? current.display_name : body.display_name,
        preferences: body.preferences ?? current.preferences,
      };
      // Unchanged: no event. Checked here, not in decide, because only here the current profile
      // opens; two identical updates at once may both be recorded, which changes nothing.
      if (next.display_name === current.display_name && sameJson(next.preferences, current.preferences)) return current;
      const sealed = await sealProfile(keyring, p.tenant_id, body.project_id, body.user_id, next);
      const s = await changeMembership(p, body.project_id, { type: 'UpdateProfile', user_id: body.user_id, sealed }, ctx);
      return openedProfile(p, body.project_id, body.user_id, s);
    },

    async [rpc.meProjects](_input, ctx) {
      const p = requireUser(ctx.principal);
      const rows = await tx(p, async (t) => {
        const memberships = await t<{ project_id: string; role: ProjectRole; current: boolean | null }[]>`
          select m.project_id, m.role, (u.current_project_id = m.project_id) as current
          from members_view m left join users_view u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
          where m.tenant_id = ${p.tenant_id} and m.user_id = ${p.user_id}`;
        const listed = await projects.summaries(
          t,
          p.tenant_id,
          memberships.map((m) => m.project_id),
        );
        return memberships.flatMap((m) => {
          const project = listed.get(m.project_id.toLowerCase());
          return project
            ? [
                {
                  id: project.id,
                  name: project.name,
                  slug: project.slug,
                  status: project.status,
                  role: m.role,
                  current: m.current === true,
                },
              ]
            : [];
        });
      });
      // by name, then id (as the list always read)
      rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { projects: rows };
    },

    async [rpc.meSwitch](input, ctx) {
      const p = requireUser(ctx.principal);
      const body = SwitchProjectInput.parse(input);
      const target = await access(p, body.project_id, 'viewer');
      const { events } = await store.readStream(p.tenant_id, streams.user(p.user_id));
      const user = fold(userDecider, events as never);
      if (user.status !== 'active') throw notFound('user');
      const from = user.currentProjectId;
      if (body.save_state && from && from !== body.project_id && (await membershipState(p, from, p.user_id)).status === 'member') {
        await changeMembership(p, from, { type: 'SaveProjectState', user_id: p.user_id, state: body.save_state }, ctx);
      }
      const res = await runCommand({
        store,
        clock,
        decider: userDecider,
        tenantId: p.tenant_id,
        stream: streams.user(p.user_id),
        projectId: null,
        command: { type: 'SwitchProject', to_project_id: body.project_id },
        meta: metaOf(ctx, p),
      });
      await waitForViews(p.tenant_id, res.position);
      const s = await membershipState(p, body.project_id, p.user_id);
      const member = s.status === 'member';
      return {
        project: await tx(p, (t) => projects.view(t, p.tenant_id, body.project_id)),
        role: target.role,
        previous_project_id: from,
        profile: member ? await openedProfile(p, body.project_id, p.user_id, s) : null,
        state: member ? s.state : {},
      };
    },
  };
}
