import { NavLink, Navigate, Route, Routes } from 'react-router';
import { useAdminRights } from './access.ts';
import { EventsPage } from './EventsPage.tsx';
import { KeysPage } from './KeysPage.tsx';
import { MembersPage } from './MembersPage.tsx';
import { MonitoringPage } from './MonitoringPage.tsx';
import { SettingsPage } from './SettingsPage.tsx';
import './admin.css';

/**
 * Administration, by role: project admins their members and settings; tenant admins also the
 * API keys, monitoring and the event log; auditors monitoring and the event log. A page opened by
 * its URL without the right still asks the API, which refuses, and the refusal is shown.
 */
export function AdminPage() {
  const rights = useAdminRights();
  const pages = [
    { path: 'members', label: 'Members', offered: rights.projectAdmin },
    { path: 'keys', label: 'API keys', offered: rights.tenantAdmin },
    { path: 'settings', label: 'Settings', offered: rights.projectAdmin },
    { path: 'monitoring', label: 'Monitoring', offered: rights.tenantAdmin || rights.auditor },
    { path: 'events', label: 'Event log', offered: rights.tenantAdmin || rights.auditor },
  ].filter((p) => p.offered);
  const first = pages[0]?.path ?? 'members';

  return (
    <div className="admin-page">
      {pages.length > 1 ? (
        <nav aria-label="Administration" className="admin-nav">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <NavLink to={`/admin/${p.path}`}>{p.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <Routes>
        <Route index element={rights.loading ? <p aria-busy="true">Loading…</p> : <Navigate to={`/admin/${first}`} replace />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="keys" element={<KeysPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="monitoring" element={<MonitoringPage rights={rights} />} />
        <Route path="events" element={<EventsPage />} />
        <Route
          path="*"
          element={
            <div role="alert" className="alert">
              <strong>Not found</strong>
              <p>There is no such admin page.</p>
            </div>
          }
        />
      </Routes>
    </div>
  );
}
