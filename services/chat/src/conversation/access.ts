import type { ConversationView, Grant, MessageView, Principal, ProjectRole } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { DomainError, notFound } from '@mandant/shared/errors';
import { documentSummaries } from '@mandant/documents';
import { memberRoles, requireActor, requireProjectRole } from '@mandant/membership';
import { projectLookup } from '@mandant/project';

/** Chat reads documents: auditors read the event log only; tenant-level keys other than admins hold no user. */
export const requireChatter = (p: Principal | null): Principal => requireActor(p, 'chat');

export const isCreator = (p: Principal, createdBy: string): boolean =>
  createdBy === p.actor || (p.user_id !== null && createdBy === `user:${p.user_id}`);

/**
 * Who may see a conversation: a project one, every viewer of its project; a global one, its
 * creator and tenant admins. Anything else answers exactly like a missing conversation (404),
 * inside the tenant as across it. Returns the caller's role in the project (null for global).
 */
export async function conversationAccess(
  tx: Tx,
  p: Principal,
  c: { project_id: string | null; created_by: string },
): Promise<ProjectRole | null> {
  if (c.project_id) {
    try {
      return (await requireProjectRole(tx, projectLookup, p, c.project_id, 'viewer')).role;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'not_found') throw notFound('conversation');
      throw err;
    }
  }
  if (p.tenant_role === 'tenant_admin' || isCreator(p, c.created_by)) return null;
  throw notFound('conversation');
}

/**
 * The caller's member projects with their role there. A tenant admin reads every project, which
 * `toMessageView` and `grantFor` check first: for them this list is never consulted.
 */
export async function readableProjects(tx: Tx, p: Principal): Promise<Record<string, ProjectRole>> {
  return Object.fromEntries(await memberRoles(tx, p));
}

/**
 * The grant an answer relied on and the project filter it used: the conversation's project
 * alone, or (global) every readable project — null for a tenant admin, whose global view is
 * unfiltered, as the search service records it.
 */
export function grantFor(
  p: Principal,
  scope: 'project' | 'global',
  project: { id: string; role: ProjectRole } | null,
  readable: Record<string, ProjectRole>,
): { grant: Grant; project_ids: string[] | null } {
  if (scope === 'project') {
    if (!project) throw new Error('a project-scoped answer needs its project');
    return { grant: { tenant_role: p.tenant_role, project_roles: { [project.id]: project.role } }, project_ids: [project.id] };
  }
  // as the search service records it: a tenant admin's tenant role is the grant (no project list)
  if (p.tenant_role === 'tenant_admin') return { grant: { tenant_role: p.tenant_role, project_roles: {} }, project_ids: null };
  return { grant: { tenant_role: p.tenant_role, project_roles: readable }, project_ids: Object.keys(readable).sort() };
}

/** A row of `conversations_view`. */
export interface ConversationRow {
  conversation_id: string;
  project_id: string | null;
  title: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** A row of `conversation_messages_view`. */
export interface MessageRow {
  message_id: string;
  role: 'user' | 'assistant';
  content: string | null;
  created_at: Date;
  /** the asker: a global answer's text is theirs (and tenant admins') to read */
  actor: string;
  citations: StoredCitation[] | null;
  scope: 'project' | 'global' | null;
}

export function toConversationView(r: ConversationRow, messages?: MessageView[]): ConversationView {
  return {
    id: r.conversation_id,
    project_id: r.project_id,
    title: r.title ?? '',
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    ...(messages ? { messages } : {}),
  };
}

type StoredCitation = { document_id: string; chunk_id: string; project_ids: string[] };

/**
 * A message as `reader` may see it. An answer widened to global scope rests on the asker's
 * readable projects (passages, cited or not, and graph facts), which other readers of the same
 * project conversation may not share: for anyone but its asker and tenant admins its text is
 * withheld, and only the citations the reader could open themselves are listed.
 */
export function toMessageView(
  r: MessageRow,
  reader: Principal,
  readable: Record<string, ProjectRole>,
  titles: Map<string, string | null>,
): MessageView {
  const base = { id: r.message_id, role: r.role, content: r.content ?? '', created_at: r.created_at.toISOString() };
  if (r.role !== 'assistant') return base;
  const cited = r.citations ?? [];
  const canOpen = (c: StoredCitation) =>
    reader.tenant_role === 'tenant_admin' ||
    c.project_ids.some((id) => id in readable) ||
    (c.project_ids.length === 0 && isCreator(reader, r.actor));
  const open = cited.filter(canOpen);
  const withheld = r.scope === 'global' && reader.tenant_role !== 'tenant_admin' && !isCreator(reader, r.actor);
  return {
    ...base,
    content: withheld ? '[withheld: this answer draws on projects you cannot read]' : base.content,
    citations: open.map((c) => ({ ...c, title: titles.get(c.document_id) ?? null })),
    ...(r.scope ? { scope: r.scope } : {}),
  };
}

/** Titles of the cited documents that still exist (deleted ones read as null). */
export async function citedTitles(tx: Tx, tenantId: string, rows: MessageRow[]): Promise<Map<string, string | null>> {
  const ids = [...new Set(rows.flatMap((r) => (r.citations ?? []).map((c) => c.document_id)))];
  if (ids.length === 0) return new Map();
  return new Map([...(await documentSummaries(tx, tenantId, ids)).values()].map((d) => [d.documentId, d.title]));
}
