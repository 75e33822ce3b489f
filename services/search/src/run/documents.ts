import type { Tx } from '@mandant/shared/db/connect.ts';
import { chunkId } from '@mandant/shared/ids.ts';

/**
 * What hits show about their documents, from the relational views: authoritative and current
 * (the search stores may lag them). A document missing from `documents_view` is deleted (or not
 * visible) and its chunks are dropped from the answer.
 */
export interface DocumentFacts {
  documentId: string;
  title: string | null;
  kind: string;
  createdAt: string;
  /** every project it is linked to now, sorted */
  projectIds: string[];
  /** chunk id → chunk index, for hits of the text index (which does not carry the index) */
  chunkIndexes: Map<string, number>;
}

export async function documentFacts(tx: Tx, tenantId: string, documentIds: string[]): Promise<Map<string, DocumentFacts>> {
  const ids = [...new Set(documentIds.map((d) => d.toLowerCase()))];
  if (ids.length === 0) return new Map();
  const rows = await tx<{ document_id: string; title: string | null; kind: string; created_at: Date; chunk_count: number }[]>`
    select document_id, title, kind, created_at, chunk_count from documents_view
    where tenant_id = ${tenantId} and document_id = any(${ids}::uuid[])`;
  const links = await tx<{ document_id: string; project_id: string }[]>`
    select document_id, project_id from document_links_view
    where tenant_id = ${tenantId} and document_id = any(${ids}::uuid[]) order by document_id, project_id`;
  const out = new Map<string, DocumentFacts>();
  for (const r of rows) {
    const chunkIndexes = new Map<string, number>();
    for (let i = 0; i < r.chunk_count; i++) chunkIndexes.set(chunkId(r.document_id, i), i);
    out.set(r.document_id, {
      documentId: r.document_id, title: r.title, kind: r.kind, createdAt: r.created_at.toISOString(),
      projectIds: links.filter((l) => l.document_id === r.document_id).map((l) => l.project_id), chunkIndexes,
    });
  }
  return out;
}
