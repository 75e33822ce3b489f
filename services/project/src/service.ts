import type { Service } from '@mandant/shared/service';
import { type ProjectDeps, projectHandlers } from './project/handlers.ts';
import { projectViewsOf } from './views/projection.ts';

/** The project service: investigations inside a tenant, their settings and lifecycle. */
export function projectService(deps: ProjectDeps): Service {
  return { name: 'project', handlers: projectHandlers(deps), projections: [projectViewsOf(deps.documentProjects)] };
}
