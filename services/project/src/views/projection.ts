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

/**
 * Document events that concern the projects the document is linked to, not one named in the
 * event. `document.embedded.v1` is left out: embedding again with another model (a settings
 * change, a background job) is no activity on the content, and it would cost a read per event.
 */
const DOCUMENT_WORK = new Set(['document.processed.v1', 'document.failed.v1']);

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

const CONTENT = (type: string): boolean =>
  (type.startsWith('document.') && type !== 'document.embedded.v1' && type !== 'document.processing.v1') ||
  type.startsWith('conversation.') ||
  type === 'entity.merged.v1';

/**
 * A project or member event's own change to its row, without the activity it also is; true
 * when the row stays and its `last_activity_at` should move to the event (not on creation, which
 * sets it, nor on deletion).
 */
async function applyOwn(tx: Tx, e: EventEnvelope): Promise<boolean> {
  const t = e.tenant_id;
  const p = e.project_id;
  if (!p) return false;
  switch (e.type) {
    case 'project.created.v1': {
      const d = ProjectCreated.shape.data.parse(e.data);
      await tx`insert into projects_view (tenant_id, project_id, name, slug, description, settings, status, created_at, last_activity_at)
               values (${t}, ${p}, ${d.name}, ${d.slug}, ${d.description}, ${tx.json(d.settings as never)}, 'active', ${e.occurred_at}, ${e.occurred_at})
               on conflict (tenant_id, project_id) do nothing`;
      return false;
    }
    case 'project.updated.v1': {
      const d = ProjectUpdated.shape.data.parse(e.data);
      await tx`update projects_view set name = coalesce(${d.name ?? null}, name), slug = coalesce(${d.slug ?? null}, slug),
               description = coalesce(${d.description ?? null}, description) where tenant_id = ${t} and project_id = ${p}`;
      return true;
    }
    case 'project.settings_changed.v1': {
      const d = ProjectSettingsChanged.shape.data.parse(e.data);
      await tx`update projects_view set settings = ${tx.json(d.settings as never)} where tenant_id = ${t} and project_id = ${p}`;
      return true;
    }
    case 'project.archived.v1':
      await tx`update projects_view set status = 'archived' where tenant_id = ${t} and project_id = ${p}`;
      return true;
    case 'project.unarchived.v1':
      await tx`update projects_view set status = 'active' where tenant_id = ${t} and project_id = ${p}`;
      return true;
    case 'project.deleted.v1':
      await tx`delete from projects_view where tenant_id = ${t} and project_id = ${p}`;
      return false;
    case 'member.added.v1':
      await tx`update projects_view set member_count = member_count + 1 where tenant_id = ${t} and project_id = ${p}`;
      return true;
    case 'member.removed.v1':
      await tx`update projects_view set member_count = greatest(member_count - 1, 0) where tenant_id = ${t} and project_id = ${p}`;
      return true;
    default:
      return true;
  }
}

/** Latest activity per project (lower-case id → ISO time), written in one statement. */
class Activity {
  private readonly at = new Map<string, string>();
  add(projectIds: readonly string[], occurredAt: string): void {
    for (const raw of projectIds) {
      const id = raw.toLowerCase();
      const seen = this.at.get(id);
      if (seen === undefined || Date.parse(seen) < Date.parse(occurredAt)) this.at.set(id, occurredAt);
    }
  }
  async flush(tx: Tx, tenantId: string): Promise<void> {
    if (this.at.size === 0) return;
    const ids = [...this.at.keys()];
    const times = [...this.at.values()];
    this.at.clear();
    await tx`update projects_view p set last_activity_at = greatest(p.last_activity_at, v.at)
             from unnest(${ids}::uuid[], ${times}::timestamptz[]) as v(project_id, at)
             where p.tenant_id = ${tenantId} and p.project_id = v.project_id`;
  }
}

/**
 * projects_view: one row per live project with its stats. Project and member events keep the
 * row; they and every event that touches a project's content move its `last_activity_at`
 * (documents uploaded, linked, unlinked, processed or deleted, conversations, entity merges in
 * it), never backwards. A page of events moves each project's time once (`applyBatch`).
 * Document and entity counts are not kept here: the project view reads them from their owners
 * through ports when it is shown (see `project-view.ts`).
 */
function views(documents: DocumentProjects | undefined): Projection {
  /** Applies one event, adding the activity it is to `activity` (flushed by the caller). */
  const step = async (tx: Tx, e: EventEnvelope, activity: Activity): Promise<void> => {
    if (CONTENT(e.type)) {
      activity.add(await touchedProjects(tx, e, documents), e.occurred_at);
      return;
    }
    // creation and deletion see every earlier activity written, so the order stays the log's
    if (e.type === 'project.created.v1' || e.type === 'project.deleted.v1') await activity.flush(tx, e.tenant_id);
    if ((await applyOwn(tx, e)) && e.project_id) activity.add([e.project_id], e.occurred_at);
  };
  return {
    name: 'project-views',
    // v2: content events count as activity
    version: 2,
    handles: (type) => type.startsWith('project.') || type.startsWith('member.') || CONTENT(type),
    async apply(tx: Tx, e: EventEnvelope) {
      const activity = new Activity();
      await step(tx, e, activity);
      await activity.flush(tx, e.tenant_id);
    },
    async applyBatch(tx: Tx, events: EventEnvelope[]) {
      const activity = new Activity();
      for (const e of events) await step(tx, e, activity);
      const first = events[0];
      if (first) await activity.flush(tx, first.tenant_id);
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
