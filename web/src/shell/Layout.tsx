import { type ReactNode, Suspense, useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { ApiError } from '../api.ts';
import { useSession } from '../session.tsx';
import { scopePath, useProjectInfo, useScope } from '../scope.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { GlobalToggle } from './GlobalToggle.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';
import { ProjectSelector } from './ProjectSelector.tsx';
import { useSyncCurrentProject, useTrackProjectState } from './switching.ts';

const VIEWS = [
  ['files', 'Files'],
  ['search', 'Search'],
  ['graph', 'Graph'],
  ['chat', 'Chat'],
] as const;

/** The frame of every signed-in page: the header with the project selector, the sidebar, the view. */
export function Layout() {
  const { session, signOut } = useSession();
  const scope = useScope();
  const { pathname } = useLocation();
  const global = pathname.startsWith('/global');
  const role = scope.kind === 'project' ? scope.role : undefined;
  const tenantRole = session?.principal.tenant_role;
  const mayAdminister = tenantRole === 'tenant_admin' || tenantRole === 'auditor' || role === 'admin';
  useTrackProjectState();
  useSyncCurrentProject();
  const view = VIEWS.find(([v]) => new RegExp(`^/(?:global|projects/[^/]+)/${v}(?:/|$)`).test(pathname))?.[1];
  const where = global ? 'All projects' : scope.kind === 'project' ? (scope.project?.name ?? scope.slug) : null;
  useEffect(() => {
    // the tab says where it is: several projects open in several tabs stay told apart
    document.title = [view, where, 'Mandant'].filter(Boolean).join(' · ');
  }, [view, where]);
  return (
    <div className="app">
      <header className={global ? 'header global' : 'header'}>
        <span className="brand">Mandant</span>
        <ProjectSelector />
        {global ? <strong className="global-label">Viewing all projects</strong> : null}
        <span className="header-end">
          {session && !session.single_tenant ? (
            <button type="button" className="quiet on-dark" onClick={() => void signOut()}>
              Sign out
            </button>
          ) : null}
        </span>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {tenantRole !== 'auditor'
            ? VIEWS.map(([view, label]) => (
                <li key={view}>
                  <NavLink to={scopePath(scope, view)}>{label}</NavLink>
                </li>
              ))
            : null}
          {mayAdminister ? (
            <li>
              <NavLink to={tenantRole === 'auditor' ? '/admin/events' : '/admin/members'}>Admin</NavLink>
            </li>
          ) : null}
        </ul>
        {tenantRole !== 'auditor' ? <GlobalToggle /> : null}
      </nav>
      <main className="main">
        <ErrorBoundary key={pathname}>
          <ProjectGuard>
            <Suspense fallback={<p aria-busy="true">Loading…</p>}>
              <Outlet />
            </Suspense>
          </ProjectGuard>
        </ErrorBoundary>
      </main>
    </div>
  );
}

/**
 * A project URL the caller may not open (another tenant's, one they are not a member of, a
 * deleted one) shows the API's refusal in place of the view, whichever view it is.
 */
function ProjectGuard({ children }: { children: ReactNode }) {
  const scope = useScope();
  const info = useProjectInfo(scope.kind === 'project' ? scope.slug : undefined);
  if (scope.kind === 'project' && info.error instanceof ApiError && info.error.status !== 401) return <ProblemAlert error={info.error} />;
  return <>{children}</>;
}
