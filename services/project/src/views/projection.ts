import {
  DocumentDeleted,
  DocumentLinked,
  DocumentUnlinked,
  type EventEnvelope,
  ProjectCreated,
  ProjectSettingsChanged,
  ProjectUpdated,
} from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';

/**
 * The projects a document belongs to at one of its events: the documents context's fold up to
 * and including that event, read on the projection's transaction (so a rebuild sees what live
 * projection saw). The documents context depends on this package, so the composition passes it in.
 */
export interface DocumentProjects {
  at(tx: Tx, event: EventEnvelope): Promise<readonly string[]>;
}

/** Document events that concern the projects the document is linked to, not one named in the event. */
const DOCUMENT_WORK = new Set(['document.processed.v1', 'document.failed.v1', 'document.embedded.v1']);

/**
 * The projects whose content an event touches, for `last_activity_at`: the envelope's project
 * (project and member events, an upload into a project, a conversation), the project a link or
 * unlink names, the projects a deleted document left, and for processing outcomes the projects
 * the document is linked to then (through `documents`; without it they count nowhere).
 */
async function touchedProjects(tx: Tx, e: EventEnvelope, documents: DocumentProjects | undefined): Promise<string[]> {
  const own = e.project_id ? [e.project_id] : [];
  switch (e.type) {
    case 'document.linked.v1':
      return [...own, DocumentLinked.shape.data.parse(e.data).project_id];
    case 'document.unlinked.v1':
      return [...own, DocumentUnlinked.shape.data.parse(e.data).project_id];
    case 'document.deleted.v1':
      return [...own, ...DocumentDeleted.shape.data.parse(e.data).project_ids];
    default:
      if (DOCUMENT_WORK.has(e.type)) return documents ? [...own, ...(await documents.at(tx, e))] : own;
      return own;
  }
}

const CONTENT = (type: string): boolean => type.startsWith('document.') || type.startsWith('conversation.') || type === 'entity.merged.v1';

/**
 * projects_view: one row per live project with its stats. Project and member events keep the
 * row; every event that touches a project's content moves its `last_activity_at` (documents
 * uploaded, linked, unlinked, processed or deleted, conversations, entity merges in it), never
 * backwards. Document and entity counts are not kept here: the project view reads them from
 * their owners through ports when it is shown (see `project-view.ts`).
 */
function views(documents: DocumentProjects | undefined): Projection {
  return {
    name: 'project-views',
    // v2: content events count as activity
    version: 2,
    handles: (type) => type.startsWith('project.') || type.startsWith('member.') || CONTENT(type),
    async apply(tx: Tx, e: EventEnvelope) {
      const t = e.tenant_id;
      if (CONTENT(e.type)) {
        const touched = [...new Set((await touchedProjects(tx, e, documents)).map((id) => id.toLowerCase()))];
        if (touched.length > 0)
          await tx`update projects_view set last_activity_at = greatest(last_activity_at, ${e.occurred_at}::timestamptz)
                 where tenant_id = ${t} and project_id = any(${touched}::uuid[])`;
        return;
      }
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
}

/**
 * The project views, purging an offboarded tenant on its tombstone: its projects and its slug
 * claims (written by the handlers, so no rebuild's reset touches them). The service runs them
 * with `documents` (see `DocumentProjects`); `projectViews`, without, serves where no document
 * exists yet (provisioning a tenant) and for the projection's name and version.
 */
export function projectViewsOf(documents?: DocumentProjects): Projection {
  const inner = views(documents);
  return purgingOffboarded(inner, async (tx, tenantId) => {
    await inner.reset(tx, tenantId);
    await tx`delete from project_slugs where tenant_id = ${tenantId}`;
  });
}

export const projectViews: Projection = projectViewsOf();
