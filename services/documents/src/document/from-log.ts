import { DocumentEvent, EventEnvelope, streams } from '@mandant/contracts';
import { type Tx, readOfTheLog } from '@mandant/shared/db';
import { type EventStore, rowToEnvelope } from '@mandant/shared/eventstore';
import { type DocumentState, evolveDocument, initialDocumentState } from './document.ts';

/**
 * The document fold applied to the log, for every reader outside the decider: the read-side
 * projectors (state right after each event, on their own transaction), the consistency check,
 * the ingestion worker and search. Each folds the document's own stream with `evolveDocument`,
 * never a bookkeeping table, so a rebuild from the log alone sees exactly what live projection saw.
 */

const PREFIX = 'document-';

/** The document id of a `document-{id}` stream, or null for any other stream. */
export function documentIdOf(stream: string): string | null {
  return stream.startsWith(PREFIX) ? stream.slice(PREFIX.length) : null;
}

/** Folds one event of the log into a document's state; an event that is no document event changes nothing. */
export function evolveFromLog(state: DocumentState, envelope: Pick<EventEnvelope, 'type' | 'data' | 'occurred_at'>): DocumentState {
  const parsed = DocumentEvent.safeParse({ type: envelope.type, data: envelope.data });
  return parsed.success ? evolveDocument(state, { ...parsed.data, occurred_at: envelope.occurred_at }) : state;
}

/** A whole stream's events (as `EventStore.readStream` gives them) folded. */
export const foldDocument = (events: readonly Pick<EventEnvelope, 'type' | 'data' | 'occurred_at'>[]): DocumentState =>
  events.reduce(evolveFromLog, initialDocumentState());

/** The document as the log holds it now. */
export async function readDocument(store: EventStore, tenantId: string, documentId: string): Promise<DocumentState> {
  const { events } = await store.readStream(tenantId, streams.document(documentId));
  return foldDocument(events);
}

/** The document up to and including `event`, read on the caller's transaction. */
export async function documentAt(tx: Tx, event: EventEnvelope): Promise<DocumentState> {
  if (documentIdOf(event.stream) === null) throw new Error(`not a document stream: ${event.stream}`);
  const rows = await readOfTheLog(
    tx,
    tx`select * from events where tenant_id = ${event.tenant_id} and stream = ${event.stream}
       and version <= ${event.version} order by version`,
  );
  return foldDocument(rows.map((row) => EventEnvelope.parse(rowToEnvelope(row as never))));
}

/** A page's events of one document, each with the document as its stream stands right after it. */
export interface DocumentSteps {
  documentId: string;
  steps: Array<{ event: EventEnvelope; state: DocumentState }>;
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
  const rows = await readOfTheLog(
    tx,
    tx`select e.* from events e
      join unnest(${streamNames}::text[], ${streamNames.map((s) => byStream.get(s)?.upTo ?? 0)}::int[]) as p(stream, up_to)
        on e.stream = p.stream and e.version <= p.up_to
      where e.tenant_id = ${first.tenant_id} order by e.stream, e.version`,
  );
  const states = new Map<string, DocumentState>();
  for (const row of rows) {
    const event = EventEnvelope.parse(rowToEnvelope(row as never));
    const entry = byStream.get(event.stream);
    if (!entry) continue;
    const state = evolveFromLog(states.get(event.stream) ?? initialDocumentState(), event);
    states.set(event.stream, state);
    if (entry.ids.has(event.id)) entry.steps.push({ event, state });
  }
  return [...byStream.values()].map(({ documentId, steps }) => ({ documentId, steps }));
}

/** The documents' states at log position `position` (documents without events left out), keyed by id. */
export async function documentStatesAt(
  tx: Tx,
  tenantId: string,
  documentIds: readonly string[],
  position: number,
): Promise<Map<string, DocumentState>> {
  const states = new Map<string, DocumentState>();
  if (documentIds.length === 0) return states;
  const rows = await readOfTheLog(
    tx,
    tx`select * from events where tenant_id = ${tenantId} and stream = any(${documentIds.map((d) => streams.document(d))}::text[])
       and tenant_seq <= ${position} order by stream, version`,
  );
  for (const row of rows) {
    const e = EventEnvelope.parse(rowToEnvelope(row as never));
    const id = documentIdOf(e.stream);
    if (id !== null) states.set(id, evolveFromLog(states.get(id) ?? initialDocumentState(), e));
  }
  return states;
}
