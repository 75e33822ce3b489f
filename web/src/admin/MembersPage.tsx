import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Schema } from '@mandant/client';
import { api, unwrap } from '../api.ts';
import type { MyProject } from '../scope.tsx';
import { useSession } from '../session.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { useAdministeredProjects, useChosenProject } from './access.ts';
import { Confirm } from '../shell/Dialog.tsx';
import './modal.css';
import { ProjectPicker } from './ProjectPicker.tsx';

type Role = Schema<'MemberView'>['role'];
type User = Schema<'UserView'>;
const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** A project's members and their roles; the caller's own display name in it. */
export function MembersPage() {
  const { projects, error, loading } = useAdministeredProjects();
  const { chosen, choose } = useChosenProject(projects);
  return (
    <section className="admin-section">
      <h1>Members</h1>
      <ProblemAlert error={error} />
      {projects.length > 0 ? <ProjectPicker projects={projects} chosen={chosen} onChoose={choose} /> : null}
      {chosen ? (
        <ProjectMembers key={chosen.id} project={chosen} />
      ) : loading ? (
        <p aria-busy="true">Loading…</p>
      ) : error ? null : (
        <p>You administer no project.</p>
      )}
    </section>
  );
}

function ProjectMembers({ project }: { project: MyProject }) {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const tenantAdmin = session?.principal.tenant_role === 'tenant_admin';
  const me = session?.principal.user_id ?? null;
  const key = ['admin', 'members', project.id];
  const members = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api.GET('/projects/{id}/members', { params: { path: { id: project.id } } })).members,
  });
  // only tenant admins may list the tenant's users; project admins see member ids
  const users = useQuery({
    queryKey: ['admin', 'users'],
    enabled: tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/users')).users,
  });
  const nameOf = (userId: string): string => {
    const user = users.data?.find((u) => u.id === userId);
    const name = user?.name ?? user?.email ?? userId;
    return userId === me ? `${name} (you)` : name;
  };
  const setRole = useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(await api.PUT('/projects/{id}/members/{user_id}', { params: { path: { id: project.id, user_id: userId } }, body: { role } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const remove = useMutation({
    mutationFn: async (userId: string) =>
      unwrap(await api.DELETE('/projects/{id}/members/{user_id}', { params: { path: { id: project.id, user_id: userId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const [removing, setRemoving] = useState<string | null>(null);
  const isMember = (members.data ?? []).some((m) => m.user_id === me);

  return (
    <>
      <ProblemAlert error={members.error ?? users.error ?? setRole.error ?? remove.error} />
      {members.data ? (
        <table className="data">
          <caption className="visually-hidden">Members of {project.name}</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.user_id}>
                <td>{nameOf(m.user_id)}</td>
                <td>
                  <select
                    aria-label={`Role of ${nameOf(m.user_id)}`}
                    value={m.role}
                    disabled={setRole.isPending}
                    onChange={(e) => setRole.mutate({ userId: m.user_id, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{new Date(m.added_at).toLocaleDateString()}</td>
                <td>
                  <button type="button" className="quiet" onClick={() => setRemoving(m.user_id)}>
                    Remove<span className="visually-hidden"> {nameOf(m.user_id)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : members.isPending ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
      <AddMember
        project={project}
        users={tenantAdmin ? (users.data ?? []) : undefined}
        taken={(members.data ?? []).map((m) => m.user_id)}
      />
      {me && isMember ? <Profile project={project} userId={me} /> : null}
      {removing ? (
        <Confirm
          open
          title="Remove member?"
          action="Remove"
          onConfirm={() => {
            remove.mutate(removing);
            setRemoving(null);
          }}
          onCancel={() => setRemoving(null)}
        >
          <p>
            {nameOf(removing)} loses access to {project.name}. Their conversations and uploads stay.
          </p>
        </Confirm>
      ) : null}
    </>
  );
}

/** Adds a user of the tenant (tenant admins pick one; a project admin, who cannot list users, gives the id). */
function AddMember({ project, users, taken }: { project: MyProject; users: readonly User[] | undefined; taken: readonly string[] }) {
  const queryClient = useQueryClient();
  const candidates = (users ?? []).filter((u) => !taken.includes(u.id));
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const userField = useId();
  const roleField = useId();
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT('/projects/{id}/members/{user_id}', { params: { path: { id: project.id, user_id: userId.trim() } }, body: { role } }),
      ),
    onSuccess: async () => {
      setUserId('');
      await queryClient.invalidateQueries({ queryKey: ['admin', 'members', project.id] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (userId.trim()) add.mutate();
  };
  return (
    <form className="admin-form" onSubmit={submit}>
      <h2>Add a member</h2>
      <div className="row">
        <label htmlFor={userField}>User</label>
        {users ? (
          <select id={userField} value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">Choose a user…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name ?? u.email ?? u.id}
                {u.name && u.email ? ` <${u.email}>` : ''}
              </option>
            ))}
          </select>
        ) : (
          <input id={userField} value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="the user's id" spellCheck={false} />
        )}
        <label htmlFor={roleField}>Role</label>
        <select id={roleField} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!userId.trim() || add.isPending}>
          Add member
        </button>
      </div>
      <ProblemAlert error={add.error} />
    </form>
  );
}

/** The caller's display name in this project (each project may know them by another name). */
function Profile({ project, userId }: { project: MyProject; userId: string }) {
  const queryClient = useQueryClient();
  const key = ['admin', 'profile', project.id, userId];
  const profile = useQuery({
    queryKey: key,
    queryFn: async () =>
      unwrap(await api.GET('/projects/{id}/members/{user_id}/profile', { params: { path: { id: project.id, user_id: userId } } })),
  });
  const [draft, setDraft] = useState<string | null>(null);
  const fieldId = useId();
  const value = draft ?? profile.data?.display_name ?? '';
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT('/projects/{id}/members/{user_id}/profile', {
          params: { path: { id: project.id, user_id: userId } },
          body: { display_name: value.trim() === '' ? null : value.trim() },
        }),
      ),
    onSuccess: async () => {
      setDraft(null);
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
  return (
    <form
      className="admin-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2>Your profile in {project.name}</h2>
      <div className="row">
        <label htmlFor={fieldId}>Display name</label>
        <input id={fieldId} value={value} onChange={(e) => setDraft(e.target.value)} maxLength={200} />
        <button type="submit" disabled={save.isPending || draft === null}>
          Save
        </button>
        {save.isSuccess && draft === null ? <span role="status">Saved.</span> : null}
      </div>
      <ProblemAlert error={profile.error ?? save.error} />
    </form>
  );
}
