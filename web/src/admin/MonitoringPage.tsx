import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { api, unwrap } from '../api.ts';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import type { AdminRights } from './access.ts';
import { formatBytes, formatCount } from './format.ts';
import { MinuteChart } from './MinuteChart.tsx';

/** Every figure on the page is asked again this often. */
const REFRESH_MS = 10_000;

function Section({ title, loading, children }: { title: string; loading?: boolean; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="monitor-section" aria-busy={loading || undefined}>
      <h2 id={id}>{title}</h2>
      {loading ? <p className="muted">Loading…</p> : null}
      {children}
    </section>
  );
}

/**
 * The tenant at a glance (tenant admins and auditors): its projects and users, usage, requests and
 * errors per minute, and the projectors' lag and dead letters. Refreshed every 10 seconds.
 */
export function MonitoringPage({ rights }: { rights: AdminRights }) {
  const queryClient = useQueryClient();
  const live = { refetchInterval: REFRESH_MS, staleTime: 0 };
  const usage = useQuery({ queryKey: ['monitor', 'usage'], ...live, queryFn: async () => unwrap(await api.GET('/tenant/usage')) });
  const activity = useQuery({
    queryKey: ['monitor', 'activity'],
    ...live,
    queryFn: async () => unwrap(await api.GET('/tenant/activity', { params: { query: { minutes: 60 } } })),
  });
  const projections = useQuery({
    queryKey: ['monitor', 'projections'],
    ...live,
    queryFn: async () => unwrap(await api.GET('/projections/status')),
  });
  // the project and user lists are a tenant admin's; an auditor reads the log and the figures
  const projects = useQuery({
    queryKey: ['monitor', 'projects'],
    ...live,
    enabled: rights.tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/projects')).projects,
  });
  const users = useQuery({
    queryKey: ['monitor', 'users'],
    ...live,
    enabled: rights.tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/users')).users,
  });
  const retry = useMutation({
    mutationFn: async () => unwrap(await api.POST('/projections/retry')),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['monitor', 'projections'] }),
  });

  const minutes = activity.data?.minutes ?? [];
  const deadLetters = projections.data?.dead_letters ?? [];
  const deadTotal = (projections.data?.projectors ?? []).reduce((n, p) => n + p.dead_letters, 0);

  return (
    <div className="monitoring">
      <h1>Monitoring</h1>
      <p className="muted small">Refreshed every 10 seconds.</p>

      <Section title="Projects" loading={rights.tenantAdmin && projects.isPending}>
        {rights.tenantAdmin ? (
          <>
            <ProblemAlert error={projects.error} />
            {projects.data ? (
              <table className="data">
                <caption className="visually-hidden">Projects of the tenant</caption>
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Status</th>
                    <th scope="col">Documents</th>
                    <th scope="col">Entities</th>
                    <th scope="col">Members</th>
                    <th scope="col">Last activity</th>
                  </tr>
                </thead>
                <tbody>
                  {projects.data.map((p) => (
                    <tr key={p.id}>
                      <td>{p.name}</td>
                      <td>{p.status}</td>
                      <td>{formatCount(p.stats.documents)}</td>
                      <td>{formatCount(p.stats.entities)}</td>
                      <td>{formatCount(p.stats.members)}</td>
                      <td>{new Date(p.stats.last_activity_at).toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : (
          <p className="muted">Project lists are open to tenant admins; the event log records every project change.</p>
        )}
      </Section>

      <Section title="Users" loading={rights.tenantAdmin && users.isPending}>
        {rights.tenantAdmin ? (
          <>
            <ProblemAlert error={users.error} />
            {users.data ? (
              <>
                <p>
                  {formatCount(users.data.length)} {users.data.length === 1 ? 'user' : 'users'} in the tenant.
                </p>
                <ul className="compact">
                  {users.data.slice(0, 50).map((u) => (
                    <li key={u.id}>
                      {u.name ?? 'Unnamed'}{' '}
                      {u.email ? <span className="muted">&lt;{u.email}&gt;</span> : <span className="muted">(erased)</span>}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </>
        ) : (
          <p className="muted">User lists are open to tenant admins; the event log records every membership change.</p>
        )}
      </Section>

      <Section title="Activity" loading={usage.isPending}>
        <ProblemAlert error={usage.error} />
        {usage.data ? (
          <>
            <dl className="figures">
              <div>
                <dt>Stored</dt>
                <dd>
                  {formatBytes(usage.data.stored_bytes)} of {formatBytes(usage.data.limits.max_stored_bytes)}
                </dd>
              </div>
              <div>
                <dt>Documents</dt>
                <dd>
                  {formatCount(usage.data.documents)} of {formatCount(usage.data.limits.max_documents)}
                </dd>
              </div>
              <div>
                <dt>Events</dt>
                <dd>{formatCount(usage.data.events)}</dd>
              </div>
              <div>
                <dt>API calls</dt>
                <dd>
                  {formatCount(usage.data.api_calls)} ({usage.data.from} – {usage.data.to})
                </dd>
              </div>
            </dl>
            <table className="data">
              <caption>Calls per day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">API</th>
                  <th scope="col">Search</th>
                  <th scope="col">Chat</th>
                  <th scope="col">Uploads</th>
                  <th scope="col">Rate limited</th>
                </tr>
              </thead>
              <tbody>
                {usage.data.days.map((d) => (
                  <tr key={d.day}>
                    <td>{d.day}</td>
                    <td>{formatCount(d.api_calls)}</td>
                    <td>{formatCount(d.search_calls)}</td>
                    <td>{formatCount(d.chat_calls)}</td>
                    <td>{formatCount(d.upload_calls)}</td>
                    <td>{formatCount(d.rate_limited)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
      </Section>

      <Section title="Request rate" loading={activity.isPending}>
        <ProblemAlert error={activity.error} />
        {activity.data ? (
          <MinuteChart series={minutes.map((m) => ({ minute: m.minute, value: m.requests }))} what="requests" colour="#1f5fbf" />
        ) : null}
      </Section>

      <Section title="Errors" loading={activity.isPending}>
        {activity.data ? (
          <>
            <MinuteChart
              series={minutes.map((m) => ({ minute: m.minute, value: m.server_errors }))}
              what="server errors (5xx)"
              colour="#a4262c"
            />
            <MinuteChart
              series={minutes.map((m) => ({ minute: m.minute, value: m.client_errors }))}
              what="refused requests (4xx)"
              colour="#8a5a00"
            />
            <MinuteChart
              series={minutes.map((m) => ({ minute: m.minute, value: m.rate_limited }))}
              what="rate-limited requests (429)"
              colour="#5a6472"
            />
          </>
        ) : null}
      </Section>

      <Section title="Projector lag" loading={projections.isPending}>
        <ProblemAlert error={projections.error} />
        {projections.data ? (
          <table className="data">
            <caption className="visually-hidden">
              Projectors, their position in the log and how far behind its head ({projections.data.head}) they are
            </caption>
            <thead>
              <tr>
                <th scope="col">Projector</th>
                <th scope="col">Position</th>
                <th scope="col">Lag (events)</th>
                <th scope="col">Dead letters</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {projections.data.projectors.map((p) => (
                <tr key={p.name} className={p.lag > 0 ? 'lagging' : undefined}>
                  <td>{p.name}</td>
                  <td>{formatCount(p.position)}</td>
                  <td>{formatCount(p.lag)}</td>
                  <td>{formatCount(p.dead_letters)}</td>
                  <td>{new Date(p.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>

      <Section title="Dead letters" loading={projections.isPending}>
        {projections.data ? (
          deadLetters.length === 0 ? (
            <p>None: every event was applied.</p>
          ) : (
            <>
              <p>
                {formatCount(deadTotal)} {deadTotal === 1 ? 'event' : 'events'} could not be applied
                {deadLetters.length < deadTotal ? ` (the first ${deadLetters.length} below)` : ''}.
              </p>
              <table className="data">
                <caption className="visually-hidden">Events a projector could not apply</caption>
                <thead>
                  <tr>
                    <th scope="col">Projector</th>
                    <th scope="col">Position</th>
                    <th scope="col">Type</th>
                    <th scope="col">Error</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last failed</th>
                  </tr>
                </thead>
                <tbody>
                  {deadLetters.map((d) => (
                    <tr key={`${d.projector}-${d.tenant_seq}`}>
                      <td>{d.projector}</td>
                      <td>{d.tenant_seq}</td>
                      <td>{d.type}</td>
                      <td>{d.error}</td>
                      <td>{d.attempts}</td>
                      <td>
                        {new Date(d.last_failed_at).toLocaleString()}
                        {d.retry_requested_at ? ' (retry requested)' : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        ) : null}
        {rights.tenantAdmin && deadTotal > 0 ? (
          <div className="row">
            <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
              Retry dead letters
            </button>
            {retry.data ? <span role="status">{`Retry requested for ${formatCount(retry.data.requested)} events.`}</span> : null}
          </div>
        ) : null}
        <ProblemAlert error={retry.error} />
      </Section>
    </div>
  );
}
