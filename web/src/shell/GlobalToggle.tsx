import { useLocation, useNavigate } from 'react-router';
import { useMyProjects, useScope } from '../scope.tsx';

const LAST_PROJECT = 'mandant.lastProject';

/** Remembers which project the global view was entered from (a slug, nothing secret). */
export const rememberProject = (slug: string) => sessionStorage.setItem(LAST_PROJECT, slug);

/**
 * The switch between one project and the whole tenant. Global is never the default: entering it
 * is a deliberate act, and leaving it returns to the project it was entered from.
 */
export function GlobalToggle() {
  const scope = useScope();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const projects = useMyProjects();
  const global = scope.kind === 'global';
  const view = /^\/(?:global|projects\/[^/]+)\/([a-z]+)/.exec(pathname)?.[1] ?? 'files';
  const toggle = () => {
    if (global) {
      const slug = sessionStorage.getItem(LAST_PROJECT) ?? projects.data?.find((p) => p.current)?.slug ?? projects.data?.[0]?.slug;
      void navigate(slug ? `/projects/${encodeURIComponent(slug)}/${view}` : '/');
    } else {
      rememberProject(scope.slug);
      void navigate(`/global/${view}`);
    }
  };
  return (
    <button type="button" role="switch" aria-checked={global} className="global-toggle" onClick={toggle}>
      Global view
    </button>
  );
}
