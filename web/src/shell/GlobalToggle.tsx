import { useState } from 'react';
import { flushSync } from 'react-dom';
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
  const global = pathname.startsWith('/global');
  // the switch shows its new position at once, before the view it leads to has rendered
  const [pending, setPending] = useState<boolean | null>(null);
  if (pending !== null && pending === global) setPending(null);
  const view = /^\/(?:global|projects\/[^/]+)\/([a-z]+)/.exec(pathname)?.[1] ?? 'files';
  const toggle = () => {
    flushSync(() => setPending(!global));
    if (global) {
      const slug = sessionStorage.getItem(LAST_PROJECT) ?? projects.data?.find((p) => p.current)?.slug ?? projects.data?.[0]?.slug;
      void navigate(slug ? `/projects/${encodeURIComponent(slug)}/${view}` : '/');
    } else {
      if (scope.kind === 'project') rememberProject(scope.slug);
      void navigate(`/global/${view}`);
    }
  };
  return (
    <button type="button" role="switch" aria-checked={pending ?? global} className="global-toggle" onClick={toggle}>
      Global view
    </button>
  );
}
