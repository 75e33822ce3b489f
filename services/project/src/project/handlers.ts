import {
  CreateProjectInput,
  type EventMeta,
  type Principal,
  ProjectIdInput,
  ResolveProjectSlugInput,
  UpdateProjectInput,
  rpc,
  streams,
} from '@mandant/contracts';
import { type Tx, withTenant } from '@mandant/shared/db';
import { DomainError, notFound } from '@mandant/shared/errors';
import { uuidv7 } from '@mandant/shared/ids';
import type { RpcContext, RpcHandler } from '@mandant/shared/rpc';
import { grantProjectRole, readableProjects, requireActor, requirePrincipal, requireProjectRole, requireReader } from '@mandant/membership';
import { runCommand } from '@mandant/shared/service';
import type { ServiceDeps } from '@mandant/shared/service';
import { type ProjectCommand, projectDecider } from './decide.ts';
import { lockProjectLifecycle } from './writes.ts';
import {
  type DocumentCounts,
  type EntityCounts,
  type ProjectRow,
  loadProjectView,
  toProjectView,
  withDocumentCounts,
} from '../views/project-view.ts';
import type { DocumentProjects } from '../views/projection.ts';
import { projectLookup } from '../views/directory.ts';
import { claimProjectSlug, releaseProjectSlugs, resolveProjectSlug, slugBaseOf } from './slugs.ts';

const metaOf = (ctx: RpcContext, p: Principal): EventMeta => ({
  actor: p.actor,
  correlation_id: ctx.meta.correlation_id,
  causation_id: null,
  traceparent: ctx.meta.traceparent,
});

/**
 * The project service reads its projects' document counts through `documents`, their entity
 * counts through `entities` and, for its view's activity, the projects of a document through
 * `documentProjects`: the owners' exports, given by the composition.
 */
export interface ProjectDeps extends ServiceDeps {
  documents: DocumentCounts;
  entities?: EntityCounts;
  documentProjects?: DocumentProjects;
}

export function projectHandlers(deps: ProjectDeps): Record<string, RpcHandler> {
  const { sql, store, clock, documents, entities, waitForViews } = deps;

  async function execute(
    p: Principal,
    projectId: string,
    command: ProjectCommand,
    ctx: RpcContext,
    beforeCommit?: (tx: Tx) => Promise<void>,
  ) {
    const res = await runCommand({
      store,
      clock,
      decider: projectDecider,
      tenantId: p.tenant_id,
      stream: streams.project(projectId),
      projectId,
      command,
      meta: metaOf(ctx, p),
      beforeCommit: beforeCommit ? () => beforeCommit : undefined,
    });
    await waitForViews(p.tenant_id, res.position);
    return res;
  }

  async function freeSlug(tenantId: string, base: string): Promise<string> {
    const taken = await withTenant(
      sql,
      tenantId,
      (tx) => tx<{ slug: string }[]>`
      select slug from project_slugs where tenant_id = ${tenantId} and (slug = ${base} or slug like ${`${base}-%`})`,
    );
    const used = new Set(taken.map((r) => r.slug));
    let slug = base;
    for (let n = 2; used.has(slug); n++) slug = `${base.slice(0, 55)}-${n}`;
    return slug;
  }

  const view = (p: Principal, projectId: string) =>
    withTenant(sql, p.tenant_id, (tx) => loadProjectView(tx, p.tenant_id, projectId, documents, entities));
  const access = (p: Principal | null, projectId: string, needed: 'viewer' | 'editor' | 'admin') =>
    withTenant(sql, requirePrincipal(p).tenant_id, (tx) => requireProjectRole(tx, projectLookup, p, projectId, needed));

  /** archive / unarchive: project admins only; answers with the project as it now is */
  const lifecycle =
    (type: 'ArchiveProject' | 'UnarchiveProject'): RpcHandler =>
    async (input, ctx) => {
      const { project_id } = ProjectIdInput.parse(input);
      const p = requirePrincipal(ctx.principal);
      await access(p, project_id, 'admin');
      // archiving waits for content writes under way in the project; later ones see the archive
      await execute(
        p,
        project_id,
        { type },
        ctx,
        type === 'ArchiveProject' ? (tx) => lockProjectLifecycle(tx, p.tenant_id, project_id) : undefined,
      );
      return view(p, project_id);
    };

  return {
    async [rpc.projectCreate](input, ctx) {
      const p = requireActor(ctx.principal, 'creating projects');
      const body = CreateProjectInput.parse(input);
      const projectId = uuidv7();
      // a slug derived from the name gets a numeric suffix when taken (former slugs of other
      // projects included); an explicit one must be free
      const slug = body.slug ?? (await freeSlug(p.tenant_id, slugBaseOf(body.name)));
      await execute(
        p,
        projectId,
        { type: 'CreateProject', name: body.name, slug, description: body.description, settings: body.settings },
        ctx,
        async (tx) => {
          if (!(await claimProjectSlug(tx, p.tenant_id, projectId, slug)))
            throw new DomainError('slug.taken', `project slug "${slug}" is taken in this tenant`, { field: 'slug' });
        },
      );
      if (p.user_id) {
        // The creator starts as the project's admin. A second stream, so not atomic with the
        // creation: should it fail, a tenant admin can still grant the role.
        const res = await grantProjectRole(
          { store, clock },
          { tenantId: p.tenant_id, projectId, userId: p.user_id, role: 'admin', meta: metaOf(ctx, p) },
        );
        await waitForViews(p.tenant_id, res.position);
      }
      return view(p, projectId);
    },

    async [rpc.projectList](_input, ctx) {
      const p = requireReader(ctx.principal);
      const rows = await withTenant(sql, p.tenant_id, async (tx) => {
        // a tenant admin sees every project (as admin); anyone else their member projects
        const roles = await readableProjects(tx, p);
        const projects = await withDocumentCounts(
          tx,
          documents,
          p.tenant_id,
          await tx<ProjectRow[]>`select pv.*
          from projects_view pv where pv.tenant_id = ${p.tenant_id} ${roles ? tx`and pv.project_id = any(${[...roles.keys()]}::uuid[])` : tx``}
          order by pv.created_at, pv.project_id`,
          entities,
        );
        return projects.map((r) => ({ ...r, role: roles?.get(r.project_id) ?? 'admin' }));
      });
      return { projects: rows.map((r) => ({ ...toProjectView(r), role: r.role })) };
    },

    async [rpc.projectGet](input, ctx) {
      const { project_id } = ProjectIdInput.parse(input);
      const a = await access(ctx.principal, project_id, 'viewer');
      return { ...(await view(requirePrincipal(ctx.principal), project_id)), role: a.role };
    },

    async [rpc.projectUpdate](input, ctx) {
      const body = UpdateProjectInput.parse(input);
      const p = requirePrincipal(ctx.principal);
      await access(p, body.project_id, 'admin');
      const current = await view(p, body.project_id);
      if (body.name !== undefined || body.slug !== undefined || body.description !== undefined) {
        const newSlug = body.slug !== undefined && body.slug !== current.slug ? body.slug : undefined;
        await execute(
          p,
          body.project_id,
          { type: 'UpdateProject', name: body.name, slug: body.slug, description: body.description },
          ctx,
          async (tx) => {
            // the slug left stays the project's (its old URLs keep working): see slugs.ts
            if (newSlug && !(await claimProjectSlug(tx, p.tenant_id, body.project_id, newSlug))) {
              throw new DomainError('slug.taken', `project slug "${newSlug}" is taken in this tenant`, { field: 'slug' });
            }
          },
        );
      }
      if (body.settings !== undefined) await execute(p, body.project_id, { type: 'ChangeProjectSettings', patch: body.settings }, ctx);
      return view(p, body.project_id);
    },

    /** a slug of the caller's tenant (current or former) to its project's id; whether the caller may read the project is the next call's to decide */
    async [rpc.projectResolveSlug](input, ctx) {
      const { slug } = ResolveProjectSlugInput.parse(input);
      const p = requirePrincipal(ctx.principal);
      const projectId = await withTenant(sql, p.tenant_id, (tx) => resolveProjectSlug(tx, p.tenant_id, slug));
      if (!projectId) throw notFound('project');
      return { project_id: projectId };
    },

    [rpc.projectArchive]: lifecycle('ArchiveProject'),
    [rpc.projectUnarchive]: lifecycle('UnarchiveProject'),

    async [rpc.projectDelete](input, ctx) {
      const { project_id } = ProjectIdInput.parse(input);
      const p = requirePrincipal(ctx.principal);
      await access(p, project_id, 'admin');
      // Deleting removes the project, its memberships and (once documents exist) its links: never documents.
      await execute(p, project_id, { type: 'DeleteProject' }, ctx, async (tx) => {
        await releaseProjectSlugs(tx, p.tenant_id, project_id);
      });
      return null;
    },
  };
}
