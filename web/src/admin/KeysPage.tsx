import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Schema } from '@mandant/client';
import { api, unwrap } from '../api.ts';
import { useSession } from '../session.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { Confirm } from '../shell/Dialog.tsx';
import './modal.css';

type ApiKey = Schema<'ApiKeyView'>;
type TenantKeyRole = 'tenant_admin' | 'auditor';

const KEYS = ['admin', 'api-keys'];

/** The tenant's API keys (tenant admins): issue one for a user or a tenant role, revoke one. */
export function KeysPage() {
  const { session } = useSession();
  const tenantAdmin = session?.principal.tenant_role === 'tenant_admin';
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: KEYS, queryFn: async () => unwrap(await api.GET('/api-keys')).api_keys });
  const users = useQuery({
    queryKey: ['admin', 'users'],
    enabled: tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/users')).users,
  });
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEYS }),
  });
  const userName = (id: string) => {
    const u = users.data?.find((x) => x.id === id);
    return u?.name ?? u?.email ?? id;
  };

  return (
    <section className="admin-section">
      <h1>API keys</h1>
      <ProblemAlert error={keys.error ?? revoke.error} />
      {keys.data ? (
        <>
          {tenantAdmin ? <CreateKey users={users.data ?? []} /> : null}
          <table className="data">
            <caption className="visually-hidden">API keys of the tenant</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Acts as</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} className={k.revoked_at ? 'revoked' : undefined}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}</code>
                  </td>
                  <td>{k.user_id ? `User ${userName(k.user_id)}` : k.role === 'auditor' ? 'Auditor' : 'Tenant admin'}</td>
                  <td>{new Date(k.created_at).toLocaleString()}</td>
                  <td>{k.revoked_at ? `Revoked ${new Date(k.revoked_at).toLocaleString()}` : 'Active'}</td>
                  <td>
                    {!k.revoked_at && tenantAdmin ? (
                      <button type="button" className="quiet" onClick={() => setRevoking(k)}>
                        Revoke<span className="visually-hidden"> {k.name}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : keys.isPending ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
      {revoking ? (
        <Confirm
          open
          title="Revoke API key?"
          action="Revoke"
          onConfirm={() => {
            revoke.mutate(revoking.id);
            setRevoking(null);
          }}
          onCancel={() => setRevoking(null)}
        >
          <p>
            “{revoking.name}” ({revoking.prefix}) stops working at once, and every console session signed in with it ends. This cannot be
            undone.
          </p>
        </Confirm>
      ) : null}
    </section>
  );
}

/** Issues a key that acts as exactly one of: a tenant role, or a user. Its secret is shown once. */
function CreateKey({ users }: { users: readonly Schema<'UserView'>[] }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'role' | 'user'>('role');
  const [role, setRole] = useState<TenantKeyRole>('auditor');
  const [userId, setUserId] = useState('');
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const ids = { name: useId(), role: useId(), user: useId(), secret: useId() };
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/api-keys', {
          body: kind === 'role' ? { name: name.trim(), role } : { name: name.trim(), user_id: userId },
        }),
      ),
    onSuccess: async () => {
      setName('');
      setCopied(null);
      await queryClient.invalidateQueries({ queryKey: KEYS });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && (kind === 'role' || userId)) create.mutate();
  };
  const secret = create.data?.secret;
  const copy = () => {
    if (!secret) return;
    navigator.clipboard.writeText(secret).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };

  return (
    <form className="admin-form" onSubmit={submit}>
      <h2>Create an API key</h2>
      <div className="row">
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required />
      </div>
      <fieldset className="row">
        <legend>Acts as</legend>
        <label>
          <input type="radio" name="key-kind" checked={kind === 'role'} onChange={() => setKind('role')} /> A tenant role
        </label>
        <label>
          <input type="radio" name="key-kind" checked={kind === 'user'} onChange={() => setKind('user')} /> A user
        </label>
        {kind === 'role' ? (
          <>
            <label htmlFor={ids.role}>Tenant role</label>
            <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value === 'tenant_admin' ? 'tenant_admin' : 'auditor')}>
              <option value="auditor">Auditor (reads the log and monitoring)</option>
              <option value="tenant_admin">Tenant admin</option>
            </select>
          </>
        ) : (
          <>
            <label htmlFor={ids.user}>User</label>
            <select id={ids.user} value={userId} onChange={(e) => setUserId(e.target.value)}>
              <option value="">Choose a user…</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name ?? u.email ?? u.id}
                </option>
              ))}
            </select>
          </>
        )}
      </fieldset>
      <div className="row">
        <button type="submit" disabled={!name.trim() || (kind === 'user' && !userId) || create.isPending}>
          Create key
        </button>
      </div>
      <ProblemAlert error={create.error} />
      {secret ? (
        <div className="new-key">
          <label htmlFor={ids.secret}>New API key</label>
          <div className="row">
            <input id={ids.secret} readOnly value={secret} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={copy}>
              Copy
            </button>
            <button type="button" className="quiet" onClick={() => create.reset()}>
              Done
            </button>
          </div>
          <p className="small" role="status">
            {copied === 'yes' ? 'Copied. ' : copied === 'no' ? 'Copying failed: select the key and copy it by hand. ' : ''}
            Store it now: it is shown this once and never again.
          </p>
        </div>
      ) : null}
    </form>
  );
}
