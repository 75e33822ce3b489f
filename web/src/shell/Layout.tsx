import { Suspense } from 'react';
import { NavLink, Outlet } from 'react-router';
import { useSession } from '../session.tsx';
import { scopePath, useScope } from '../scope.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { GlobalToggle } from './GlobalToggle.tsx';
import { ProjectSelector } from './ProjectSelector.tsx';

/** The frame of every signed-in page: the header with the project selector, the sidebar, the view. */
export function Layout() {
  const { session, signOut } = useSession();
  const scope = useScope();
  const global = scope.kind === 'global';
  const role = scope.kind === 'project' ? scope.role : undefined;
  const tenantRole = session?.principal.tenant_role;
  const mayAdminister = tenantRole === 'tenant_admin' || tenantRole === 'auditor' || role === 'admin';
  return (
    <div className="app">
      <header className={global ? 'header global' : 'header'}>
        <span className="brand">Mandant</span>
        <ProjectSelector />
        {global ? <strong className="global-label">Viewing all projects</strong> : null}
        {session && !session.single_tenant ? (
          <button type="button" className="quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        ) : null}
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {tenantRole !== 'auditor'
            ? (['files', 'search', 'graph', 'chat'] as const).map((view) => (
                <li key={view}>
                  <NavLink to={scopePath(scope, view)}>{view[0]!.toUpperCase() + view.slice(1)}</NavLink>
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
        <ErrorBoundary>
          <Suspense fallback={<p aria-busy="true">Loading…</p>}>
            <Outlet />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
