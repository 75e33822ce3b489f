import type { Tx } from '@mandant/shared/db';
import { chunkId } from '@mandant/shared/ids';

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
  /** the index of one of its chunks (by id), for hits of the text index, which does not carry it; undefined: not a current chunk */
  chunkIndex(chunkId: string): number | undefined;
}

/** Chunk ids are derived from (document, index): the map is built only for documents that need it. */
function chunkIndexer(documentId: string, chunkCount: number): (id: string) => number | undefined {
  let byId: Map<string, number> | null = null;
  return (id) => {
    byId ??= new Map(Array.from({ length: chunkCount }, (_, i) => [chunkId(documentId, i), i] as const));
    return byId.get(id.toLowerCase());
  };
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
    out.set(r.document_id, {
      documentId: r.document_id, title: r.title, kind: r.kind, createdAt: r.created_at.toISOString(),
      projectIds: links.filter((l) => l.document_id === r.document_id).map((l) => l.project_id),
      chunkIndex: chunkIndexer(r.document_id, r.chunk_count),
    });
  }
  return out;
}
