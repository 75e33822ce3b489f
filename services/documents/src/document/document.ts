import type { DocumentEvent, DocumentKind, DocumentStatus } from '@mandant/contracts';
import type { z } from 'zod';

export interface Embedding {
  model: string;
  dimension: number;
  vectors_sha256: string;
  /** the vectors artefact in the tenant's bucket */
  vectors_key: string;
  chunk_count: number;
}

/** What the latest `document.processed.v1` recorded: the artefacts and the sealed title. */
export interface Processed {
  analysis_sha256: string;
  analysis_key: string;
  text_key: string;
  chunk_count: number;
  /** sealed processed secret (title) */
  sealed: string;
}

/**
 * A document as its own stream tells it: the one fold of the document stream. The decider
 * decides on it, and the read side (views, projectors, the ingestion worker, search) asks it
 * through `document/from-log.ts` instead of reading the stream its own way. `deleted` is final;
 * the stream stays for the audit trail.
 */
export interface DocumentState {
  status: 'none' | DocumentStatus;
  kind: z.infer<typeof DocumentKind> | null;
  content_sha256: string | null;
  blob_key: string | null;
  /** the upload's occurred_at (ISO-8601), when folded from the log */
  created_at: string | null;
  /** `sealed` of the upload (title, filename, source url) */
  uploaded_sealed: string | null;
  /** sorted */
  project_ids: string[];
  attempts: number;
  analysis_sha256: string | null;
  processed: Processed | null;
  /** how many `document.processed.v1` the stream holds (a re-processing replaces chunks) */
  processed_count: number;
  /** the latest embedding per model, in the order the models were first embedded */
  embeddings: Embedding[];
}

export const initialDocumentState = (): DocumentState => ({
  status: 'none',
  kind: null,
  content_sha256: null,
  blob_key: null,
  created_at: null,
  uploaded_sealed: null,
  project_ids: [],
  attempts: 0,
  analysis_sha256: null,
  processed: null,
  processed_count: 0,
  embeddings: [],
});

/** `occurred_at` is there when the event comes from the log (an envelope), not from `decide`. */
export function evolveDocument(state: DocumentState, event: DocumentEvent & { occurred_at?: string }): DocumentState {
  switch (event.type) {
    case 'document.uploaded.v1': {
      const { kind, content_sha256, blob_key, sealed } = event.data;
      return {
        ...state,
        status: 'pending',
        kind,
        content_sha256,
        blob_key,
        created_at: event.occurred_at ?? state.created_at,
        uploaded_sealed: sealed ?? null,
      };
    }
    case 'document.processing.v1':
      return { ...state, status: 'processing', attempts: event.data.attempt };
    case 'document.processed.v1': {
      const { analysis_sha256, analysis_key, text_key, chunk_count, sealed } = event.data;
      return {
        ...state,
        status: 'processed',
        analysis_sha256,
        processed: { analysis_sha256, analysis_key, text_key, chunk_count, sealed },
        processed_count: state.processed_count + 1,
      };
    }
    case 'document.embedded.v1': {
      const { model, dimension, vectors_sha256, vectors_key, chunk_count } = event.data;
      const embedding = { model, dimension, vectors_sha256, vectors_key, chunk_count };
      const embeddings = state.embeddings.some((e) => e.model === model)
        ? state.embeddings.map((e) => (e.model === model ? embedding : e))
        : [...state.embeddings, embedding];
      return { ...state, embeddings };
    }
    case 'document.failed.v1':
      return { ...state, status: 'failed', attempts: event.data.attempt };
    case 'document.linked.v1':
    case 'document.unlinked.v1':
      return { ...state, project_ids: event.data.project_ids };
    case 'document.deleted.v1':
      return { ...state, status: 'deleted', project_ids: [] };
    default: {
      const unknown: never = event;
      throw new Error(`unknown document event ${(unknown as { type: string }).type}`);
    }
  }
}
