import type { DocumentEvent, DocumentKind, DocumentStatus } from '@mandant/contracts';
import type { z } from 'zod';

export interface Embedding {
  model: string;
  dimension: number;
  vectors_sha256: string;
}

/** A document as its own stream tells it. `deleted` is final; the stream stays for the audit trail. */
export interface DocumentState {
  status: 'none' | DocumentStatus;
  kind: z.infer<typeof DocumentKind> | null;
  content_sha256: string | null;
  blob_key: string | null;
  /** sorted */
  project_ids: string[];
  attempts: number;
  analysis_sha256: string | null;
  embeddings: Embedding[];
}

export const initialDocumentState = (): DocumentState => ({
  status: 'none', kind: null, content_sha256: null, blob_key: null, project_ids: [], attempts: 0, analysis_sha256: null, embeddings: [],
});

export function evolveDocument(state: DocumentState, event: DocumentEvent): DocumentState {
  switch (event.type) {
    case 'document.uploaded.v1': {
      const { kind, content_sha256, blob_key } = event.data;
      return { ...state, status: 'pending', kind, content_sha256, blob_key };
    }
    case 'document.processing.v1':
      return { ...state, status: 'processing', attempts: event.data.attempt };
    case 'document.processed.v1':
      return { ...state, status: 'processed', analysis_sha256: event.data.analysis_sha256 };
    case 'document.embedded.v1': {
      const { model, dimension, vectors_sha256 } = event.data;
      return { ...state, embeddings: [...state.embeddings.filter((e) => e.model !== model), { model, dimension, vectors_sha256 }] };
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
