import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type MyProject, useMyProjects } from '../scope.tsx';
import { useSession } from '../session.tsx';

/** The admin pages a caller is offered: what their role cannot do is not shown (the API refuses it anyway). */
export interface AdminRights {
  tenantAdmin: boolean;
  auditor: boolean;
  /** administers at least one project (tenant admins all of them) */
  projectAdmin: boolean;
}

export function useAdminRights(): AdminRights & { loading: boolean } {
  const { session } = useSession();
  const projects = useMyProjects();
  const role = session?.principal.tenant_role;
  const tenantAdmin = role === 'tenant_admin';
  return {
    tenantAdmin,
    auditor: role === 'auditor',
    projectAdmin: tenantAdmin || (projects.data ?? []).some((p) => p.role === 'admin'),
    loading: role !== 'auditor' && !tenantAdmin && projects.isPending,
  };
}

/**
 * The projects the caller administers: a tenant admin every project of the tenant (GET /projects
 * answers them all, as admin), anyone else those where they are admin.
 */
export function useAdministeredProjects() {
  const { session } = useSession();
  const tenantAdmin = session?.principal.tenant_role === 'tenant_admin';
  const mine = useMyProjects();
  const all = useQuery({
    queryKey: ['admin', 'projects'],
    enabled: tenantAdmin,
    queryFn: async () => unwrap(await api.GET('/projects')).projects,
  });
  if (tenantAdmin) {
    const current = new Set((mine.data ?? []).filter((p) => p.current).map((p) => p.id));
    return {
      projects: (all.data ?? []).map((p): MyProject => ({ ...p, current: current.has(p.id) })),
      error: all.error,
      loading: all.isPending,
    };
  }
  return { projects: (mine.data ?? []).filter((p) => p.role === 'admin'), error: mine.error, loading: mine.isPending };
}

/**
 * The project an admin page works on: `?project={slug}` when given, else the one the caller last
 * switched to, else the first they administer.
 */
export function useChosenProject(projects: readonly MyProject[]) {
  const [params, setParams] = useSearchParams();
  const wanted = params.get('project');
  const chosen =
    (wanted ? projects.find((p) => p.slug === wanted) : undefined) ??
    projects.find((p) => p.current && p.status === 'active') ??
    projects.find((p) => p.current) ??
    projects.find((p) => p.status === 'active') ??
    projects[0];
  const choose = (slug: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set('project', slug);
        return next;
      },
      { replace: true },
    );
  return { chosen, choose };
}
