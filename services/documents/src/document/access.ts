import type { DocumentView, Principal } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db/connect.ts';
import { notFound } from '@mandant/shared/errors.ts';

export type DocumentRow = Record<string, any>;

/** Who may read a document: tenant admins; members of a project it is linked to; for an unassigned one, its uploader. */
export interface DocumentAccess {
  row: DocumentRow;
  /** every project it is linked to (sorted) */
  linked: string[];
  /** those of `linked` the caller may read, with the caller's role there */
  readable: Map<string, string>;
}

const isUploader = (p: Principal, uploadedBy: string): boolean => uploadedBy === p.actor || (p.user_id !== null && uploadedBy === `user:${p.user_id}`);

/**
 * Loads a document and the caller's view of it. A document the caller may not read answers
 * exactly like one that does not exist (404), inside the tenant as across tenants.
 */
export async function documentAccess(tx: Tx, p: Principal, documentId: string): Promise<DocumentAccess> {
  const [row] = await tx`select * from documents_view where tenant_id = ${p.tenant_id} and document_id = ${documentId}`;
  if (!row) throw notFound('document');
  const links = await tx<{ project_id: string; role: string | null }[]>`
    select l.project_id, m.role from document_links_view l
    left join members_view m on m.tenant_id = l.tenant_id and m.project_id = l.project_id and m.user_id = ${p.user_id}
    where l.tenant_id = ${p.tenant_id} and l.document_id = ${documentId} order by l.project_id`;
  const admin = p.tenant_role === 'tenant_admin';
  const readable = new Map(links.flatMap((l) => (admin ? [[l.project_id, 'admin'] as const] : l.role ? [[l.project_id, l.role] as const] : [])));
  const visible = admin || readable.size > 0 || (links.length === 0 && isUploader(p, row.uploaded_by));
  if (!visible) throw notFound('document');
  return { row, linked: links.map((l) => l.project_id), readable };
}

export async function embeddingsOf(tx: Tx, tenantId: string, documentIds: string[]): Promise<Map<string, { model: string; dimension: number }[]>> {
  const rows = await tx<{ document_id: string; model: string; dimension: number }[]>`
    select document_id, model, dimension from document_embeddings_view where tenant_id = ${tenantId} and document_id = any(${documentIds}::uuid[]) order by model`;
  const out = new Map<string, { model: string; dimension: number }[]>();
  for (const r of rows) out.set(r.document_id, [...(out.get(r.document_id) ?? []), { model: r.model, dimension: r.dimension }]);
  return out;
}

export function toDocumentView(r: DocumentRow, projectIds: string[], embeddings: { model: string; dimension: number }[]): DocumentView {
  return {
    id: r.document_id, title: r.title, status: r.status, kind: r.kind, content_type: r.content_type, size: Number(r.size),
    content_sha256: r.content_sha256, project_ids: projectIds, chunk_count: r.chunk_count, entity_count: r.entity_count,
    pages: r.pages, embeddings, failure: r.failure ?? null, uploaded_by: r.uploaded_by,
    created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString(),
  };
}
