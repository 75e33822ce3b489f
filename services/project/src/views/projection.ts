import { type EventEnvelope, ProjectCreated, ProjectSettingsChanged, ProjectUpdated } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';

/**
 * projects_view: one row per live project with its stats. Any event scoped to a project counts
 * as activity there; membership events keep the member count. Document and entity counts are
 * kept by the document projectors once documents exist.
 */
const views: Projection = {
  name: 'project-views',
  version: 1,
  handles: (type) => type.startsWith('project.') || type.startsWith('member.'),
  async apply(tx: Tx, e: EventEnvelope) {
    const t = e.tenant_id;
    const p = e.project_id;
    if (!p) return;
    switch (e.type) {
      case 'project.created.v1': {
        const d = ProjectCreated.shape.data.parse(e.data);
        await tx`insert into projects_view (tenant_id, project_id, name, slug, description, settings, status, created_at, last_activity_at)
                 values (${t}, ${p}, ${d.name}, ${d.slug}, ${d.description}, ${tx.json(d.settings as never)}, 'active', ${e.occurred_at}, ${e.occurred_at})
                 on conflict (tenant_id, project_id) do nothing`;
        return;
      }
      case 'project.updated.v1': {
        const d = ProjectUpdated.shape.data.parse(e.data);
        await tx`update projects_view set name = coalesce(${d.name ?? null}, name), slug = coalesce(${d.slug ?? null}, slug),
                 description = coalesce(${d.description ?? null}, description) where tenant_id = ${t} and project_id = ${p}`;
        break;
      }
      case 'project.settings_changed.v1': {
        const d = ProjectSettingsChanged.shape.data.parse(e.data);
        await tx`update projects_view set settings = ${tx.json(d.settings as never)} where tenant_id = ${t} and project_id = ${p}`;
        break;
      }
      case 'project.archived.v1':
        await tx`update projects_view set status = 'archived' where tenant_id = ${t} and project_id = ${p}`;
        break;
      case 'project.unarchived.v1':
        await tx`update projects_view set status = 'active' where tenant_id = ${t} and project_id = ${p}`;
        break;
      case 'project.deleted.v1':
        await tx`delete from projects_view where tenant_id = ${t} and project_id = ${p}`;
        return;
      case 'member.added.v1':
        await tx`update projects_view set member_count = member_count + 1 where tenant_id = ${t} and project_id = ${p}`;
        break;
      case 'member.removed.v1':
        await tx`update projects_view set member_count = greatest(member_count - 1, 0) where tenant_id = ${t} and project_id = ${p}`;
        break;
    }
    await tx`update projects_view set last_activity_at = greatest(last_activity_at, ${e.occurred_at}::timestamptz) where tenant_id = ${t} and project_id = ${p}`;
  },
  async reset(tx, tenantId) {
    await tx`delete from projects_view where tenant_id = ${tenantId}`;
  },
};

/**
 * The project views, purging an offboarded tenant on its tombstone: its projects and its slug
 * claims (written by the handlers, so no rebuild's reset touches them).
 */
export const projectViews: Projection = purgingOffboarded(views, async (tx, tenantId) => {
  await views.reset(tx, tenantId);
  await tx`delete from project_slugs where tenant_id = ${tenantId}`;
});
