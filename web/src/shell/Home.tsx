import { Navigate } from 'react-router';
import { useSession } from '../session.tsx';
import { useMyProjects } from '../scope.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

/** `/`: the project the caller last switched to, else the first; auditors go to the event log. */
export function Home() {
  const { session } = useSession();
  const projects = useMyProjects();
  if (session?.principal.tenant_role === 'auditor') return <Navigate to="/admin/events" replace />;
  if (projects.error) return <ProblemAlert error={projects.error} />;
  if (!projects.data) return <p aria-busy="true">Loading…</p>;
  const open = projects.data.filter((p) => p.status === 'active');
  const target = open.find((p) => p.current) ?? open[0];
  if (!target) return <p>No projects yet. Create one with “+ New project” in the header.</p>;
  return <Navigate to={`/projects/${encodeURIComponent(target.slug)}/files`} replace />;
}
