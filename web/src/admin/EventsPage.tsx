import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { useSession } from '../session.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { chainReport, formatCount } from './format.ts';

const PAGE = 50;

/** The page of the log after `after`; without it the newest page (the head is read first). */
async function eventPage(after: number | null) {
  let from = after;
  if (from === null) {
    const { head } = unwrap(await api.GET('/events', { params: { query: { after: 0, limit: 1 } } }));
    from = Math.max(0, head - PAGE);
  }
  return { after: from, ...unwrap(await api.GET('/events', { params: { query: { after: from, limit: PAGE } } })) };
}

/** The tenant's event log, page by page, and a check of its hash chain (tenant admins and auditors). */
export function EventsPage() {
  const { session } = useSession();
  const tenantAdmin = session?.principal.tenant_role === 'tenant_admin';
  const [after, setAfter] = useState<number | null>(null);
  const page = useQuery({ queryKey: ['admin', 'events', after], queryFn: () => eventPage(after), placeholderData: keepPreviousData });
  // names of projects for tenant admins; an auditor, who may not list projects, sees their ids
  const projects = useQuery({
    queryKey: ['admin', 'projects'],
    enabled: tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/projects')).projects,
  });
  const verify = useMutation({ mutationFn: async () => unwrap(await api.GET('/events/verify')) });
  const projectName = (id: string | null) => (id ? (projects.data?.find((p) => p.id === id)?.name ?? id) : '—');

  const data = page.data;
  const shownFrom = data?.after ?? 0;
  return (
    <section className="admin-section">
      <h1>Event log</h1>
      <div className="row">
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
          Verify
        </button>
        <p role="status" className={verify.data ? (verify.data.ok ? 'verified' : 'broken') : undefined}>
          {verify.isPending ? 'Verifying the hash chain…' : verify.data ? chainReport(verify.data) : ''}
        </p>
      </div>
      <ProblemAlert error={verify.error ?? page.error} />
      {data ? (
        <>
          <p className="muted small">
            {data.events.length === 0
              ? 'No events here.'
              : `Positions ${formatCount(data.events[0]?.tenant_seq ?? 0)}–${formatCount(data.events[data.events.length - 1]?.tenant_seq ?? 0)} of ${formatCount(data.head)}.`}
          </p>
          <table className="data">
            <caption className="visually-hidden">Events of the tenant</caption>
            <thead>
              <tr>
                <th scope="col">Position</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Time</th>
                <th scope="col">Project</th>
              </tr>
            </thead>
            <tbody>
              {data.events.map((e) => (
                <tr key={e.id}>
                  <td>{e.tenant_seq}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{e.actor}</td>
                  <td>{new Date(e.occurred_at).toLocaleString()}</td>
                  <td>{projectName(e.project_id)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row">
            <button type="button" className="quiet" disabled={shownFrom <= 0} onClick={() => setAfter(0)}>
              Oldest
            </button>
            <button type="button" className="quiet" disabled={shownFrom <= 0} onClick={() => setAfter(Math.max(0, shownFrom - PAGE))}>
              Older
            </button>
            <button type="button" className="quiet" disabled={data.next_after >= data.head} onClick={() => setAfter(data.next_after)}>
              Newer
            </button>
            <button type="button" className="quiet" disabled={data.next_after >= data.head} onClick={() => setAfter(null)}>
              Newest
            </button>
          </div>
        </>
      ) : page.isPending ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
    </section>
  );
}
