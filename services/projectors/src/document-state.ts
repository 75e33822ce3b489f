import { EventEnvelope } from '@mandant/contracts';
import {
  type DocumentState,
  documentAt as documentStateAt,
  documentIdOf,
  documentStatesAt as documentStatesAtPosition,
  evolveFromLog,
  initialDocumentState,
} from '@mandant/documents';
import { type Tx, readOfTheLog } from '@mandant/shared/db';
import { rowToEnvelope } from '@mandant/shared/eventstore';
import type { DocumentKind } from '@mandant/contracts';
import type { z } from 'zod';

export { documentIdOf };

/**
 * What the read-side projectors need to know about a document at one point of its stream: the
 * documents context's fold (`@mandant/documents`: `documentAt`, `evolveFromLog`), shaped the way the
 * projectors read it. Only `createDocumentStates` reads streams itself (the events after what it
 * folded before), and folds them with the context's `evolveFromLog`.
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

/**
 * `documentAt` for a page at a time, remembering each document's state at the last version it
 * folded, so the next page reads only the events of the stream after it rather than the whole
 * stream again. That is sound because the log is append-only: a stream's state at a version never
 * changes, whichever transaction folded it, committed or rolled back. A page whose events of a
 * document come before the remembered version (a page applied again) folds that stream from the
 * start. The page's own events are in hand: the log is read only for a document whose page
 * events leave a gap after the version remembered (none when the page holds every version after
 * it, as it mostly does for a document seen before). One per projection; it keeps at most `limit` documents, the least recently used go.
 */
export function createDocumentStates(limit = 10_000) {
  const folded = new Map<string, { version: number; state: DocumentState }>();

  /** Every document the events name (in the order of its first event), each of its events with the document right after it. */
  async function at(tx: Tx, events: readonly EventEnvelope[]): Promise<DocumentSteps[]> {
    const [first] = events;
    if (!first) return [];
    const tenantId = first.tenant_id;
    type Entry = DocumentSteps & { stream: string; own: EventEnvelope[]; from: number; upTo: number; state: DocumentState };
    const byStream = new Map<string, Entry>();
    for (const e of events) {
      const documentId = documentIdOf(e.stream);
      if (documentId === null) continue;
      let entry = byStream.get(e.stream);
      if (!entry) {
        const known = folded.get(`${tenantId}\u0000${e.stream}`);
        const usable = known && known.version < e.version ? known : undefined;
        entry = {
          documentId,
          stream: e.stream,
          steps: [],
          own: [],
          from: usable?.version ?? 0,
          upTo: 0,
          state: usable?.state ?? initialDocumentState(),
        };
        byStream.set(e.stream, entry);
      }
      entry.upTo = Math.max(entry.upTo, e.version);
      entry.own.push(e);
    }
    if (byStream.size === 0) return [];
    const entries = [...byStream.values()];
    // a stream whose versions after `from` are all in the page needs nothing from the log (a
    // stream's versions are gapless, and a page holds them in log order)
    const gapped = entries.filter((x) => x.own.length !== x.upTo - x.from);
    const between = new Map<string, EventEnvelope[]>();
    if (gapped.length > 0) {
      const rows = await readOfTheLog(
        tx,
        tx<(Record<string, unknown> & { id: string })[]>`select e.* from events e
          join unnest(${gapped.map((x) => x.stream)}::text[], ${gapped.map((x) => x.from)}::int[], ${gapped.map((x) => x.upTo)}::int[])
            as p(stream, after, up_to) on e.stream = p.stream and e.version > p.after and e.version <= p.up_to
          where e.tenant_id = ${tenantId} order by e.stream, e.version`,
      );
      // the page's own events come back too: skipped here rather than in the statement, whose
      // planner would weigh each of a page's ids on its own (5,000 of them in a rebuild's page)
      const inPage = new Set(events.map((e) => e.id));
      for (const row of rows) {
        if (inPage.has(String(row.id))) continue;
        const event = EventEnvelope.parse(rowToEnvelope(row as never));
        const list = between.get(event.stream) ?? [];
        list.push(event);
        between.set(event.stream, list);
      }
    }
    for (const entry of entries) {
      const read = between.get(entry.stream);
      const stream = read ? [...read, ...entry.own].sort((a, b) => a.version - b.version) : entry.own;
      const own = new Set(entry.own);
      for (const event of stream) {
        entry.state = evolveFromLog(entry.state, event);
        if (own.has(event)) entry.steps.push({ event, doc: toDocumentAt(entry.documentId, entry.state) });
      }
    }
    for (const entry of entries) {
      const key = `${tenantId}\u0000${entry.stream}`;
      folded.delete(key);
      folded.set(key, { version: entry.upTo, state: entry.state });
    }
    for (const key of folded.keys()) {
      if (folded.size <= limit) break;
      folded.delete(key);
    }
    return entries.map(({ documentId, steps }) => ({ documentId, steps }));
  }
  return { at };
}

/** The documents' states at `position`, folded from their streams (missing ones left out). */
export async function documentStatesAt(tx: Tx, tenantId: string, documentIds: readonly string[], position: number): Promise<DocumentAt[]> {
  return [...(await documentStatesAtPosition(tx, tenantId, documentIds, position))].map(([id, s]) => toDocumentAt(id, s));
}
