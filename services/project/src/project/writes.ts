import { streams } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';

/**
 * Every write that names a project, and whether an archived project still takes it. An archived
 * project is read-only for content (its documents, conversations, members' profiles and the
 * entities its documents mention); what
 * stays allowed is reading, leaving it (the state saved on switching away), administration
 * (members and roles) and its own lifecycle (unarchive, delete).
 */
export const PROJECT_WRITES = {
  'document.upload': false,
  'document.link': false,
  'document.unlink': false,
  /** a document linked to the project: deleting it takes it out of the project's content */
  'document.delete': false,
  'conversation.create': false,
  'conversation.message': false,
  'member.profile': false,
  /** merging two entities changes what every project they appear in shows */
  'entity.merge': false,
  'project.update': false,
  'project.settings': false,
  'member.put': true,
  'member.remove': true,
  'member.save_state': true,
  'project.archive': true,
  'project.unarchive': true,
  'project.delete': true,
} as const satisfies Record<string, boolean>;

export type ProjectWrite = keyof typeof PROJECT_WRITES;

export const allowedWhenArchived = (write: ProjectWrite): boolean => PROJECT_WRITES[write];

/** The pure rule: may `write` happen in a project with this status? */
export function projectWriteAllowed(write: ProjectWrite, status: 'active' | 'archived'): boolean {
  return status === 'active' || allowedWhenArchived(write);
}

export const projectArchived = (projectId: string): DomainError =>
  new DomainError('project.archived', 'the project is archived: unarchive it to change its content', {
    project_id: projectId.toLowerCase(),
  });

/** Refuses `write` in a project the caller found archived (the early, view-based check). */
export function requireWritable(write: ProjectWrite, projectId: string, status: 'active' | 'archived'): void {
  if (!projectWriteAllowed(write, status)) throw projectArchived(projectId);
}

const lockKey = (tenantId: string, projectId: string) => `project-lifecycle:${tenantId}:${projectId.toLowerCase()}`;
const LIFECYCLE = ['project.created.v1', 'project.archived.v1', 'project.unarchived.v1', 'project.deleted.v1'];

/**
 * The same rule inside the append transaction of a content write, so that it holds under
 * concurrency too: the write takes the project's lifecycle lock shared and reads the project's
 * last lifecycle event from the log (committed, so no view lag); archiving takes the lock
 * exclusively (`lockProjectLifecycle`). A content write therefore either commits before the
 * archive or sees it and appends nothing. Both lock before the append takes the tenant's head,
 * always in that order.
 */
export async function guardContentWrite(tx: Tx, tenantId: string, write: ProjectWrite, projectIds: string[]): Promise<void> {
  if (allowedWhenArchived(write)) return;
  for (const projectId of [...new Set(projectIds.map((id) => id.toLowerCase()))].sort()) {
    await tx`select pg_advisory_xact_lock_shared(hashtextextended(${lockKey(tenantId, projectId)}, 0))`;
    const [last] = await tx<{ type: string }[]>`
      select type from events where tenant_id = ${tenantId} and stream = ${streams.project(projectId)} and type = any(${LIFECYCLE})
      order by version desc limit 1`;
    if (last?.type === 'project.archived.v1') throw projectArchived(projectId);
  }
}

/** Archiving's side of `guardContentWrite`: content writes under way finish first, later ones see the archive. */
export async function lockProjectLifecycle(tx: Tx, tenantId: string, projectId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${lockKey(tenantId, projectId)}, 0))`;
}

/**
 * The rule as the contexts that project cannot be imported by read it (membership, entities):
 * handed to them by the composition.
 */
export const projectWrites = { requireWritable, guardContentWrite };
