import type { DocumentEvent } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { type DocumentState, evolveDocument, initialDocumentState } from './document.ts';

type Data<T extends DocumentEvent['type']> = Extract<DocumentEvent, { type: T }>['data'];

/** Records a new upload; with `project_id` it is linked to that project in the same append. */
export type UploadDocument = { type: 'UploadDocument'; upload: Data<'document.uploaded.v1'>; project_id: string | null };
export type StartProcessing = { type: 'StartProcessing' };
export type RecordProcessed = { type: 'RecordProcessed'; result: Data<'document.processed.v1'> };
export type RecordEmbedding = { type: 'RecordEmbedding'; embedding: Data<'document.embedded.v1'> };
export type RecordFailure = { type: 'RecordFailure'; code: string; message: string };
export type LinkDocument = { type: 'LinkDocument'; project_id: string };
export type UnlinkDocument = { type: 'UnlinkDocument'; project_id: string; reason: 'unlinked' | 'project_deleted' };
export type DeleteDocument = { type: 'DeleteDocument' };
export type DocumentCommand =
  UploadDocument | StartProcessing | RecordProcessed | RecordEmbedding | RecordFailure | LinkDocument | UnlinkDocument | DeleteDocument;

/** Never uploaded and deleted read alike: not found. */
function requireExisting(state: DocumentState): void {
  if (state.status === 'none' || state.status === 'deleted') throw notFound('document');
}

const withProject = (ids: string[], id: string): string[] => [...new Set([...ids, id.toLowerCase()])].sort();

/**
 * The document's rules. The ingestion's commands are idempotent (a redelivered upload message
 * finds the work recorded and decides nothing), and nothing but linking happens to a deleted
 * document: late pipeline results for it are dropped.
 */
export function decideDocument(command: DocumentCommand, state: DocumentState): DocumentEvent[] {
  switch (command.type) {
    case 'UploadDocument': {
      if (state.status !== 'none') throw new DomainError('conflict', 'document exists');
      const events: DocumentEvent[] = [{ type: 'document.uploaded.v1', data: command.upload }];
      if (command.project_id)
        events.push({
          type: 'document.linked.v1',
          data: { project_id: command.project_id.toLowerCase(), project_ids: withProject([], command.project_id) },
        });
      return events;
    }
    case 'StartProcessing':
      requireExisting(state);
      if (state.status === 'processed') return [];
      return [{ type: 'document.processing.v1', data: { attempt: state.attempts + 1 } }];
    case 'RecordProcessed':
      requireExisting(state);
      if (state.status === 'processed' && state.analysis_sha256 === command.result.analysis_sha256) return [];
      return [{ type: 'document.processed.v1', data: command.result }];
    case 'RecordEmbedding': {
      requireExisting(state);
      const { model, vectors_sha256 } = command.embedding;
      if (state.embeddings.some((e) => e.model === model && e.vectors_sha256 === vectors_sha256)) return [];
      return [{ type: 'document.embedded.v1', data: command.embedding }];
    }
    case 'RecordFailure':
      requireExisting(state);
      if (state.status === 'processed' || state.status === 'failed') return [];
      return [{ type: 'document.failed.v1', data: { code: command.code, message: command.message, attempt: Math.max(1, state.attempts) } }];
    case 'LinkDocument': {
      requireExisting(state);
      const project_id = command.project_id.toLowerCase();
      if (state.project_ids.includes(project_id)) return [];
      return [{ type: 'document.linked.v1', data: { project_id, project_ids: withProject(state.project_ids, project_id) } }];
    }
    case 'UnlinkDocument': {
      requireExisting(state);
      const project_id = command.project_id.toLowerCase();
      if (!state.project_ids.includes(project_id)) return [];
      return [
        {
          type: 'document.unlinked.v1',
          data: { project_id, project_ids: state.project_ids.filter((p) => p !== project_id), reason: command.reason },
        },
      ];
    }
    case 'DeleteDocument':
      requireExisting(state);
      return [{ type: 'document.deleted.v1', data: { project_ids: state.project_ids } }];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled document command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const documentDecider: Decider<DocumentState, DocumentCommand, DocumentEvent> = {
  initialState: initialDocumentState,
  evolve: evolveDocument,
  decide: decideDocument,
};
