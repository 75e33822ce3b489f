import type { Tx } from '@mandant/shared/db';

/**
 * The documents' views as the ingestion worker asks them which documents need work. They follow
 * the log, so they may lag it: a document an event just changed can be missed until the next
 * event touching it, or the next sweep. Run inside `withTenant` for `tenantId`.
 */

/** Every document linked to the project (to re-embed after its model changed). */
export async function documentsOfProject(tx: Tx, tenantId: string, projectId: string): Promise<string[]> {
  const rows = await tx<{ document_id: string }[]>`
    select document_id from document_links_view where tenant_id = ${tenantId} and project_id = ${projectId} order by document_id`;
  return rows.map((r) => r.document_id);
}

/** Every processed document of the tenant (to re-embed after the tenant's model changed). */
export async function processedDocuments(tx: Tx, tenantId: string): Promise<string[]> {
  const rows = await tx<{ document_id: string }[]>`
    select document_id from documents_view where tenant_id = ${tenantId} and status = 'processed' order by document_id`;
  return rows.map((r) => r.document_id);
}

/**
 * Abandoned work, oldest first, at most `limit`: documents still pending or processing since
 * before `staleBefore` (a worker died mid-way, or the upload message never came), and processed
 * documents with no embedding yet.
 */
export async function unfinishedDocuments(tx: Tx, tenantId: string, staleBefore: Date, limit: number): Promise<string[]> {
  const rows = await tx<{ document_id: string }[]>`
    select d.document_id from documents_view d
    where d.tenant_id = ${tenantId}
      and ((d.status in ('pending', 'processing') and d.updated_at <= ${staleBefore})
        or (d.status = 'processed' and not exists (
              select 1 from document_embeddings_view x where x.tenant_id = d.tenant_id and x.document_id = d.document_id)))
    order by d.updated_at limit ${limit}`;
  return rows.map((r) => r.document_id);
}

/**
 * Processed documents with no embedding in `model`, by id after `after` (a cursor: a pass that
 * visits each document once even when one cannot be embedded), at most `limit`: what a background
 * re-embedding after a change of the installation's default model works through.
 */
export async function documentsLacking(tx: Tx, tenantId: string, model: string, after: string | null, limit: number): Promise<string[]> {
  const rows = await tx<{ document_id: string }[]>`
    select d.document_id from documents_view d
    where d.tenant_id = ${tenantId} and d.status = 'processed'
      ${after ? tx`and d.document_id > ${after}::uuid` : tx``}
      and not exists (select 1 from document_embeddings_view x
                      where x.tenant_id = d.tenant_id and x.document_id = d.document_id and x.model = ${model})
    order by d.document_id limit ${limit}`;
  return rows.map((r) => r.document_id);
}
