import type { DocumentCounts } from '@mandant/project';
import type { Tx } from '@mandant/shared/db';

/** What other contexts show of a document: its title, kind, size in chunks and the projects it is linked to. */
export interface DocumentSummary {
  documentId: string;
  title: string | null;
  kind: string;
  createdAt: Date;
  chunkCount: number;
  /** every project it is linked to, sorted */
  projectIds: string[];
}

/**
 * The documents of `documentIds` that exist (deleted ones are missing), keyed by id: how search
 * and chat read document facts instead of querying the document views themselves. No access
 * check: the caller has already decided what the principal may see. Run inside `withTenant`.
 */
export async function documentSummaries(tx: Tx, tenantId: string, documentIds: readonly string[]): Promise<Map<string, DocumentSummary>> {
  if (documentIds.length === 0) return new Map();
  const ids = [...documentIds];
  const rows = await tx<{ document_id: string; title: string | null; kind: string; created_at: Date; chunk_count: number }[]>`
    select document_id, title, kind, created_at, chunk_count from documents_view
    where tenant_id = ${tenantId} and document_id = any(${ids}::uuid[])`;
  const links = await tx<{ document_id: string; project_id: string }[]>`
    select document_id, project_id from document_links_view
    where tenant_id = ${tenantId} and document_id = any(${ids}::uuid[]) order by document_id, project_id`;
  return new Map(
    rows.map((r) => [
      r.document_id,
      {
        documentId: r.document_id,
        title: r.title,
        kind: r.kind,
        createdAt: r.created_at,
        chunkCount: r.chunk_count,
        projectIds: links.filter((l) => l.document_id === r.document_id).map((l) => l.project_id),
      },
    ]),
  );
}

/**
 * How many documents each project of `projectIds` links, keyed by project id (lower case;
 * projects without documents are missing): the project context's `DocumentCounts`, handed to
 * it by the composition. Run inside `withTenant` for `tenantId`.
 */
export const documentCounts: DocumentCounts = {
  async linked(tx, tenantId, projectIds) {
    if (projectIds.length === 0) return new Map();
    const rows = await tx<{ project_id: string; n: number }[]>`
      select project_id, count(*)::int as n from document_links_view
      where tenant_id = ${tenantId} and project_id = any(${projectIds.map((id) => id.toLowerCase())}::uuid[]) group by project_id`;
    return new Map(rows.map((r) => [r.project_id, r.n]));
  },
};

/** What the tenant stores now, from the document views: documents not deleted and their bytes. Run inside `withTenant`. */
export async function documentTotals(tx: Tx, tenantId: string): Promise<{ documents: number; stored_bytes: number }> {
  const [row] = await tx<{ documents: string; stored_bytes: string }[]>`
    select count(*) as documents, coalesce(sum(size), 0) as stored_bytes from documents_view where tenant_id = ${tenantId}`;
  return { documents: Number(row?.documents ?? 0), stored_bytes: Number(row?.stored_bytes ?? 0) };
}
