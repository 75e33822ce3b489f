import type { DocumentView, Principal } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { notFound } from '@mandant/shared/errors';
import { isTenantAdmin, readableProjects } from '@mandant/membership';

/** A row of `documents_view` (`size` is a bigint column: postgres.js reads it as a string). */
export interface DocumentRow {
  document_id: string;
  title: DocumentView['title'];
  status: DocumentView['status'];
  kind: DocumentView['kind'];
  content_type: DocumentView['content_type'];
  size: string | number;
  content_sha256: DocumentView['content_sha256'];
  chunk_count: DocumentView['chunk_count'];
  entity_count: DocumentView['entity_count'];
  pages: DocumentView['pages'];
  failure: DocumentView['failure'] | undefined;
  uploaded_by: string;
  created_at: Date;
  updated_at: Date;
}

/** Who may read a document: tenant admins; members of a project it is linked to; for an unassigned one, its uploader. */
export interface DocumentAccess {
  row: DocumentRow;
  /** every project it is linked to (sorted) */
  linked: string[];
  /** those of `linked` the caller may read, with the caller's role there */
  readable: Map<string, string>;
}

const isUploader = (p: Principal, uploadedBy: string): boolean =>
  uploadedBy === p.actor || (p.user_id !== null && uploadedBy === `user:${p.user_id}`);

/**
 * Loads a document and the caller's view of it. A document the caller may not read answers
 * exactly like one that does not exist (404), inside the tenant as across tenants.
 */
export async function documentAccess(tx: Tx, p: Principal, documentId: string): Promise<DocumentAccess> {
  const [row] = await tx<DocumentRow[]>`select * from documents_view where tenant_id = ${p.tenant_id} and document_id = ${documentId}`;
  if (!row) throw notFound('document');
  const links = await tx<{ project_id: string }[]>`
    select l.project_id from document_links_view l where l.tenant_id = ${p.tenant_id} and l.document_id = ${documentId} order by l.project_id`;
  const roles = await readableProjects(tx, p);
  const readable = new Map(
    links.flatMap((l) => {
      const role = roles ? roles.get(l.project_id) : 'admin';
      return role ? [[l.project_id, role] as const] : [];
    }),
  );
  const visible = !roles || readable.size > 0 || (links.length === 0 && isUploader(p, row.uploaded_by));
  if (!visible) throw notFound('document');
  return { row, linked: links.map((l) => l.project_id), readable };
}

/**
 * The visibility rule above as a condition on `documents_view d`, for lists. Tenant admins see
 * every document of the tenant; `memberProjects` are the caller's (`memberRoles`).
 */
export function readableCondition(tx: Tx, p: Principal, memberProjects: string[]) {
  return isTenantAdmin(p) ? tx`true` : adoptableCondition(tx, p, memberProjects);
}

/**
 * Documents the caller may take as theirs when uploading the same bytes again: one linked to a
 * project the caller reads, or an unassigned one the caller uploaded. An unassigned document of
 * someone else is never one, even for a tenant admin who can read it: linking it into a project
 * would take it away from its uploader.
 */
function adoptableCondition(tx: Tx, p: Principal, memberProjects: string[]) {
  const anyLink = tx`exists (select 1 from document_links_view l where l.tenant_id = d.tenant_id and l.document_id = d.document_id)`;
  const readableLink = isTenantAdmin(p)
    ? anyLink
    : tx`exists (select 1 from document_links_view l
                 where l.tenant_id = d.tenant_id and l.document_id = d.document_id and l.project_id = any(${memberProjects}::uuid[]))`;
  return tx`(${readableLink} or (not ${anyLink} and d.uploaded_by in (${p.actor}, ${p.user_id ? `user:${p.user_id}` : p.actor})))`;
}

/**
 * Of the documents claiming the same content hash, the oldest the caller may adopt, or null.
 * A document the caller cannot read is never named: the upload then becomes a document of its own.
 */
export async function adoptableDuplicate(tx: Tx, p: Principal, documentIds: string[]): Promise<string | null> {
  if (documentIds.length === 0) return null;
  const memberProjects = [...((await readableProjects(tx, p))?.keys() ?? [])];
  const [row] = await tx<{ document_id: string }[]>`
    select d.document_id from documents_view d
    where d.tenant_id = ${p.tenant_id} and d.document_id = any(${documentIds}::uuid[]) and ${adoptableCondition(tx, p, memberProjects)}
    order by d.created_at, d.document_id limit 1`;
  return row?.document_id ?? null;
}

export async function embeddingsOf(
  tx: Tx,
  tenantId: string,
  documentIds: string[],
): Promise<Map<string, { model: string; dimension: number }[]>> {
  const rows = await tx<{ document_id: string; model: string; dimension: number }[]>`
    select document_id, model, dimension from document_embeddings_view where tenant_id = ${tenantId} and document_id = any(${documentIds}::uuid[]) order by model`;
  const out = new Map<string, { model: string; dimension: number }[]>();
  for (const r of rows) out.set(r.document_id, [...(out.get(r.document_id) ?? []), { model: r.model, dimension: r.dimension }]);
  return out;
}

export function toDocumentView(r: DocumentRow, projectIds: string[], embeddings: { model: string; dimension: number }[]): DocumentView {
  return {
    id: r.document_id,
    title: r.title,
    status: r.status,
    kind: r.kind,
    content_type: r.content_type,
    size: Number(r.size),
    content_sha256: r.content_sha256,
    project_ids: projectIds,
    chunk_count: r.chunk_count,
    entity_count: r.entity_count,
    pages: r.pages,
    embeddings,
    failure: r.failure ?? null,
    uploaded_by: r.uploaded_by,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
