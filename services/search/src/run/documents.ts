import { documentSummaries } from '@mandant/documents';
import type { Tx } from '@mandant/shared/db';
import { chunkId } from '@mandant/shared/ids';

/**
 * What hits show about their documents, from the documents context's views: authoritative and
 * current (the search stores may lag them). A document missing there is deleted (or not visible) and its chunks are dropped from the answer.
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
  const out = new Map<string, DocumentFacts>();
  for (const d of (await documentSummaries(tx, tenantId, ids)).values()) {
    out.set(d.documentId, {
      documentId: d.documentId,
      title: d.title,
      kind: d.kind,
      createdAt: d.createdAt.toISOString(),
      projectIds: d.projectIds,
      chunkIndex: chunkIndexer(d.documentId, d.chunkCount),
    });
  }
  return out;
}
