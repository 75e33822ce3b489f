import { DocumentEvent, type DocumentKind, EventEnvelope } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';
import { rowToEnvelope } from '@mandant/shared/eventstore';
import type { z } from 'zod';

/**
 * What the read-side projectors need to know about a document at one point of its stream. It is
 * folded from the document's own stream in the log (never from a bookkeeping table), so a
 * projector rebuilds from the log alone and a replayed event sees exactly what it saw live.
 */
export interface DocumentAt {
  documentId: string;
  kind: z.infer<typeof DocumentKind> | null;
  /** the upload's occurred_at, ISO-8601 */
  createdAt: string | null;
  /** `sealed` of the upload (title, filename, source url) */
  uploadedSealed: string | null;
  /** the whole link set after the last link event, sorted */
  projectIds: string[];
  processed: { analysisKey: string; textKey: string; chunkCount: number; sealed: string } | null;
  /** how many `document.processed.v1` the stream holds up to here (a re-processing replaces chunks) */
  processedCount: number;
  /** the latest embedding per model */
  embeddings: Map<string, { model: string; dimension: number; vectorsKey: string; chunkCount: number }>;
  deleted: boolean;
}

const PREFIX = 'document-';

/** The document id of a `document-{id}` stream, or null for any other stream. */
export function documentIdOf(stream: string): string | null {
  return stream.startsWith(PREFIX) ? stream.slice(PREFIX.length) : null;
}

export const initialDocument = (documentId: string): DocumentAt => ({
  documentId, kind: null, createdAt: null, uploadedSealed: null, projectIds: [], processed: null, processedCount: 0,
  embeddings: new Map(), deleted: false,
});

/** Folds one event of the document's stream into its state (events of other types are ignored). */
export function evolve(state: DocumentAt, envelope: EventEnvelope): DocumentAt {
  const parsed = DocumentEvent.safeParse({ type: envelope.type, data: envelope.data });
  if (!parsed.success) return state;
  const e = parsed.data;
  switch (e.type) {
    case 'document.uploaded.v1':
      return { ...state, kind: e.data.kind, createdAt: envelope.occurred_at, uploadedSealed: e.data.sealed };
    case 'document.processed.v1':
      return {
        ...state,
        processed: { analysisKey: e.data.analysis_key, textKey: e.data.text_key, chunkCount: e.data.chunk_count, sealed: e.data.sealed },
        processedCount: state.processedCount + 1,
      };
    case 'document.embedded.v1': {
      const embeddings = new Map(state.embeddings);
      embeddings.set(e.data.model, { model: e.data.model, dimension: e.data.dimension, vectorsKey: e.data.vectors_key, chunkCount: e.data.chunk_count });
      return { ...state, embeddings };
    }
    case 'document.linked.v1':
    case 'document.unlinked.v1':
      return { ...state, projectIds: [...e.data.project_ids].map((p) => p.toLowerCase()).sort() };
    case 'document.deleted.v1':
      return { ...state, projectIds: [], deleted: true };
    case 'document.processing.v1':
    case 'document.failed.v1':
      return state;
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

/**
 * The document as its stream tells it up to and including `event` (read on the projector's own
 * transaction, so it sees the log exactly as the checkpoint does).
 */
export async function documentAt(tx: Tx, event: EventEnvelope): Promise<DocumentAt> {
  const documentId = documentIdOf(event.stream);
  if (documentId === null) throw new Error(`not a document stream: ${event.stream}`);
  const rows = await tx`select * from events where tenant_id = ${event.tenant_id} and stream = ${event.stream}
                        and version <= ${event.version} order by version`;
  let state = initialDocument(documentId);
  for (const row of rows) state = evolve(state, EventEnvelope.parse(rowToEnvelope(row as never)));
  return state;
}

/** A page's events of one document, each with the document as its stream stands right after it. */
export interface DocumentSteps {
  documentId: string;
  steps: Array<{ event: EventEnvelope; doc: DocumentAt }>;
}

/**
 * `documentAt` for a whole page at once: every document the events name is folded once, from
 * one read of all their streams (each up to its last event in the page, never beyond), instead of
 * one read per event. Documents come in the order of their first event in the page; events that
 * are not on a document stream are left out.
 */
export async function documentsAt(tx: Tx, events: readonly EventEnvelope[]): Promise<DocumentSteps[]> {
  const byStream = new Map<string, DocumentSteps & { upTo: number; ids: Set<string> }>();
  for (const e of events) {
    const documentId = documentIdOf(e.stream);
    if (documentId === null) continue;
    const entry = byStream.get(e.stream) ?? { documentId, steps: [], upTo: 0, ids: new Set<string>() };
    entry.upTo = Math.max(entry.upTo, e.version);
    entry.ids.add(e.id);
    byStream.set(e.stream, entry);
  }
  const [first] = events;
  if (!first || byStream.size === 0) return [];
  const streamNames = [...byStream.keys()];
  const rows = await tx`select e.* from events e
    join unnest(${streamNames}::text[], ${streamNames.map((s) => byStream.get(s)?.upTo ?? 0)}::int[]) as p(stream, up_to)
      on e.stream = p.stream and e.version <= p.up_to
    where e.tenant_id = ${first.tenant_id} order by e.stream, e.version`;
  const states = new Map<string, DocumentAt>();
  for (const row of rows) {
    const event = EventEnvelope.parse(rowToEnvelope(row as never));
    const entry = byStream.get(event.stream);
    if (!entry) continue;
    const doc = evolve(states.get(event.stream) ?? initialDocument(entry.documentId), event);
    states.set(event.stream, doc);
    if (entry.ids.has(event.id)) entry.steps.push({ event, doc });
  }
  return [...byStream.values()].map(({ documentId, steps }) => ({ documentId, steps }));
}
