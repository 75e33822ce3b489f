import { useQuery } from '@tanstack/react-query';
import { useLocation, useParams } from 'react-router';
import type { Schema } from '@mandant/client';
import { api, unwrap } from './api.ts';

export type MyProject = Schema<'MyProjects'>['projects'][number];
export type ProjectRole = MyProject['role'];

/**
 * What every view works on: one project (from the `/projects/{slug}/…` URL) or, on purpose, the
 * whole tenant (`/global/…`). Views re-scope by reading this, so switching changes the URL only.
 */
export type Scope = { kind: 'project'; slug: string; project: MyProject | undefined; role: ProjectRole | undefined } | { kind: 'global' };

/** The projects the caller may open, with their role in each (GET /me/projects). */
export function useMyProjects() {
  return useQuery({ queryKey: ['me', 'projects'], queryFn: async () => unwrap(await api.GET('/me/projects')).projects });
}

export function useScope(): Scope {
  const { slug } = useParams();
  const { pathname } = useLocation();
  const projects = useMyProjects();
  if (pathname.startsWith('/global') || !slug) return { kind: 'global' };
  const project = projects.data?.find((p) => p.slug === slug);
  return { kind: 'project', slug, project, role: project?.role };
}

/** The path of a view in a scope: `/projects/{slug}/{view}` or `/global/{view}`. */
export const scopePath = (scope: Scope, view: string): string =>
  scope.kind === 'global' ? `/global/${view}` : `/projects/${encodeURIComponent(scope.slug)}/${view}`;

/** Roles that may change a project's content (upload, link, unlink, delete, merge). */
export const canEdit = (role: ProjectRole | undefined): boolean => role === 'editor' || role === 'admin';
