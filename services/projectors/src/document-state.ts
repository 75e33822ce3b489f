import type { EventEnvelope } from '@mandant/contracts';
import {
  type DocumentState,
  documentAt as documentStateAt,
  documentIdOf,
  documentStatesAt as documentStatesAtPosition,
  documentsAt as documentStatesOfPage,
} from '@mandant/documents';
import type { Tx } from '@mandant/shared/db';
import type { DocumentKind } from '@mandant/contracts';
import type { z } from 'zod';

export { documentIdOf };

/**
 * What the read-side projectors need to know about a document at one point of its stream: the
 * documents context's fold (`@mandant/documents`: `documentAt`, `documentsAt`), shaped the way the
 * projectors read it. Nothing here reads the stream itself.
 */
export interface DocumentAt {
  documentId: string;
  kind: z.infer<typeof DocumentKind> | null;
  /** the upload's occurred_at, ISO-8601 */
  createdAt: string | null;
  /** `sealed` of the upload (title, filename, source url) */
  uploadedSealed: string | null;
  /** the whole link set after the last link event, lower case, sorted */
  projectIds: string[];
  processed: { analysisKey: string; textKey: string; chunkCount: number; sealed: string } | null;
  /** how many `document.processed.v1` the stream holds up to here (a re-processing replaces chunks) */
  processedCount: number;
  /** the latest embedding per model */
  embeddings: Map<string, { model: string; dimension: number; vectorsKey: string; chunkCount: number }>;
  deleted: boolean;
}

/** The documents context's state of a document as the projectors read it. */
export function toDocumentAt(documentId: string, s: DocumentState): DocumentAt {
  return {
    documentId,
    kind: s.kind,
    createdAt: s.created_at,
    uploadedSealed: s.uploaded_sealed,
    projectIds: s.project_ids.map((p) => p.toLowerCase()).sort(),
    processed: s.processed
      ? {
          analysisKey: s.processed.analysis_key,
          textKey: s.processed.text_key,
          chunkCount: s.processed.chunk_count,
          sealed: s.processed.sealed,
        }
      : null,
    processedCount: s.processed_count,
    embeddings: new Map(
      s.embeddings.map((e) => [e.model, { model: e.model, dimension: e.dimension, vectorsKey: e.vectors_key, chunkCount: e.chunk_count }]),
    ),
    deleted: s.status === 'deleted',
  };
}

/** The document up to and including `event`, on the projector's own transaction. */
export async function documentAt(tx: Tx, event: EventEnvelope): Promise<DocumentAt> {
  return toDocumentAt(documentIdOf(event.stream) ?? '', await documentStateAt(tx, event));
}

/** A page's events of one document, each with the document as its stream stands right after it. */
export interface DocumentSteps {
  documentId: string;
  steps: Array<{ event: EventEnvelope; doc: DocumentAt }>;
}

/** `documentAt` for a whole page at once (one read of all the page's document streams). */
export async function documentsAt(tx: Tx, events: readonly EventEnvelope[]): Promise<DocumentSteps[]> {
  return (await documentStatesOfPage(tx, events)).map(({ documentId, steps }) => ({
    documentId,
    steps: steps.map(({ event, state }) => ({ event, doc: toDocumentAt(documentId, state) })),
  }));
}

/** The documents' states at `position`, folded from their streams (missing ones left out). */
export async function documentStatesAt(tx: Tx, tenantId: string, documentIds: readonly string[], position: number): Promise<DocumentAt[]> {
  return [...(await documentStatesAtPosition(tx, tenantId, documentIds, position))].map(([id, s]) => toDocumentAt(id, s));
}
