import { useQuery } from '@tanstack/react-query';
import { useLocation, useParams } from 'react-router';
import type { Schema } from '@mandant/client';
import { api, unwrap } from './api.ts';
import { useSession } from './session.tsx';

export type MyProject = Schema<'MyProjects'>['projects'][number];
export type ProjectRole = MyProject['role'];

/**
 * What every view works on: one project (from the `/projects/{slug}/…` URL) or, on purpose, the
 * whole tenant (`/global/…`). Views re-scope by reading this, so switching changes the URL only.
 */
export type Scope = { kind: 'project'; slug: string; project: MyProject | undefined; role: ProjectRole | undefined } | { kind: 'global' };

/**
 * The projects the caller may open, with their role in each (GET /me/projects). A credential
 * acting for no user (a tenant key) has no memberships of its own: it lists the projects it
 * can see (GET /projects), none of them current.
 */
export function useMyProjects() {
  const { session } = useSession();
  const userless = session?.principal.user_id === null;
  return useQuery({
    queryKey: ['me', 'projects', userless],
    enabled: session != null,
    queryFn: async (): Promise<MyProject[]> => {
      if (!userless) return unwrap(await api.GET('/me/projects')).projects;
      const { projects } = unwrap(await api.GET('/projects'));
      return projects.map((p) => ({ id: p.id, name: p.name, slug: p.slug, status: p.status, role: p.role, current: false }));
    },
  });
}

/** The project a `/projects/{slug}/…` URL names: by its slug, or by its id. */
export const findProject = (projects: readonly MyProject[] | undefined, slugOrId: string): MyProject | undefined =>
  projects?.find((p) => p.slug === slugOrId) ?? projects?.find((p) => p.id === slugOrId.toLowerCase());

export function useScope(): Scope {
  const { slug } = useParams();
  const { pathname } = useLocation();
  const projects = useMyProjects();
  if (pathname.startsWith('/global') || !slug) return { kind: 'global' };
  const project = findProject(projects.data, slug);
  return { kind: 'project', slug, project, role: project?.role };
}

/** The path of a view in a scope: `/projects/{slug}/{view}` or `/global/{view}`. */
export const scopePath = (scope: Scope, view: string): string =>
  scope.kind === 'global' ? `/global/${view}` : `/projects/${encodeURIComponent(scope.slug)}/${view}`;

/** Roles that may change a project's content (upload, link, unlink, delete, merge). */
export const canEdit = (role: ProjectRole | undefined): boolean => role === 'editor' || role === 'admin';

/**
 * The project a `/projects/{slug}/…` URL names, as the API answers it (GET /projects/{id}, by
 * slug or id): its name before the caller's list has it, and a clear 404 for a project the
 * caller may not open, whatever the view.
 */
export function useProjectInfo(slugOrId: string | undefined) {
  return useQuery({
    queryKey: ['project', slugOrId],
    enabled: slugOrId !== undefined,
    queryFn: async () => unwrap(await api.GET('/projects/{id}', { params: { path: { id: slugOrId! } } })),
  });
}
