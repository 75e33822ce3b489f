import {
  DocumentAnalysis,
  DocumentChunkInput,
  DOCUMENT_TEXT_PIECE_CHARS,
  type DocumentContentReply,
  type DocumentEntities,
  DocumentIdInput,
  type DocumentPassage,
  MAX_DOCUMENT_TEXT_CHARS,
  type Principal,
  rpc,
  streams,
} from '@mandant/contracts';
import { requireReader } from '@mandant/membership';
import { type Tx, readOfTheLog, withTenant } from '@mandant/shared/db';
import { DomainError, notFound } from '@mandant/shared/errors';
import { chunkId } from '@mandant/shared/ids';
import { type RpcHandler, streamingHandler } from '@mandant/shared/rpc';
import { DataKeyDestroyedError } from '@mandant/shared/stores/crypto';
import { documentAccess } from './access.ts';
import { readDocument } from './from-log.ts';
import type { DocumentDeps } from './handlers.ts';

const decoder = new TextDecoder();

/** How many merges after one another an id is followed through (a merge into an entity merged later). */
const MERGE_HOPS = 8;

/**
 * The entity each of `ids` was merged into, if any (followed to the last survivor), from the
 * `entity.merged.v1` events on the entities' streams: the entities context writes them, the log
 * is everyone's to read.
 */
export async function mergedInto(tx: Tx, tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
  const into = new Map<string, string>();
  let ask = [...new Set(ids.map((id) => id.toLowerCase()))];
  for (let hop = 0; hop < MERGE_HOPS && ask.length > 0; hop++) {
    const rows = await readOfTheLog(
      tx,
      tx<{ from_id: string; into_id: string }[]>`
        select lower(data->>'from_entity_id') as from_id, lower(data->>'into_entity_id') as into_id from events
        where tenant_id = ${tenantId} and type = 'entity.merged.v1' and stream = any(${ask.map((id) => streams.entity(id))}::text[])`,
    );
    for (const r of rows) into.set(r.from_id, r.into_id);
    ask = rows.map((r) => r.into_id).filter((id) => !into.has(id));
  }
  const last = (id: string): string => {
    let at = id;
    for (let hop = 0; hop < MERGE_HOPS; hop++) {
      const next = into.get(at);
      if (next === undefined || next === id) break;
      at = next;
    }
    return at;
  };
  return new Map([...into.keys()].map((id) => [id, last(id)]));
}

/** A text cut to at most `max` UTF-16 code units, never between the two halves of a surrogate pair. */
export function cutText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), truncated: true };
}

/**
 * What ingestion extracted from a document (its text and analysis artefacts, sealed under the
 * document's key): read only after the caller's access was checked exactly as `GET /documents/{id}`
 * checks it, so a document the caller may not read is a 404 here too, inside the tenant as across
 * tenants. A document not processed (yet, or failed) has no text: 409 with its status, never an
 * empty answer that would read as an empty document.
 */
export function contentHandlers(deps: DocumentDeps): Record<string, RpcHandler> {
  const { sql, store, blobs } = deps;

  async function readable(p: Principal, documentId: string) {
    const row = await withTenant(sql, p.tenant_id, async (tx) => (await documentAccess(tx, p, documentId)).row);
    const notProcessed = () =>
      new DomainError('conflict', `the document is ${row.status}: its text is available once it is processed`, {
        document_id: documentId,
        status: row.status,
      });
    if (row.status !== 'processed') throw notProcessed();
    const state = await readDocument(store, p.tenant_id, documentId);
    if (state.status === 'deleted') throw notFound('document');
    if (!state.processed) throw notProcessed();
    return { row, processed: state.processed };
  }

  /** An artefact's bytes; a document deleted meanwhile (its key destroyed, its blobs purged) is a 404. */
  async function artefact(p: Principal, documentId: string, key: string): Promise<Uint8Array> {
    let bytes: Uint8Array | null;
    try {
      bytes = await blobs.get(p.tenant_id, key);
    } catch (err) {
      if (err instanceof DataKeyDestroyedError) throw notFound('document');
      throw err;
    }
    if (bytes) return bytes;
    const [still] = await withTenant(
      sql,
      p.tenant_id,
      (tx) => tx`select 1 from documents_view where tenant_id = ${p.tenant_id} and document_id = ${documentId}`,
    );
    if (!still) throw notFound('document');
    throw new DomainError('unavailable', "the document's extracted text cannot be read from storage now", { document_id: documentId });
  }

  async function analysisOf(p: Principal, documentId: string) {
    const { row, processed } = await readable(p, documentId);
    const analysis = DocumentAnalysis.parse(JSON.parse(decoder.decode(await artefact(p, documentId, processed.analysis_key))));
    return { row, processed, analysis };
  }

  return {
    // streamed: the text in pieces (a message holds about 1 MB), then the rest of the answer; every
    // refusal comes before the first piece, so the gateway answers it as an ordinary problem
    [rpc.documentContent]: streamingHandler(async (input, ctx, emit): Promise<DocumentContentReply> => {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requireReader(ctx.principal);
      const { row, processed, analysis } = await analysisOf(p, document_id);
      const { text, truncated } = cutText(decoder.decode(await artefact(p, document_id, processed.text_key)), MAX_DOCUMENT_TEXT_CHARS);
      let pieces = 0;
      for (let at = 0; at < text.length && !ctx.signal.aborted; pieces++) {
        const piece = cutText(text.slice(at, at + DOCUMENT_TEXT_PIECE_CHARS + 1), DOCUMENT_TEXT_PIECE_CHARS).text;
        emit({ text: piece });
        at += piece.length;
      }
      return {
        document_id: row.document_id,
        title: row.title,
        text: '',
        pieces,
        truncated,
        chunks: analysis.chunks
          .filter((c) => c.end <= text.length)
          .map((c) => ({ chunk_id: chunkId(document_id, c.index), index: c.index, start: c.start, end: c.end })),
      };
    }),

    async [rpc.documentEntities](input, ctx): Promise<DocumentEntities> {
      const { document_id } = DocumentIdInput.parse(input);
      const p = requireReader(ctx.principal);
      const { row, analysis } = await analysisOf(p, document_id);
      const survivors = await withTenant(sql, p.tenant_id, (tx) =>
        mergedInto(
          tx,
          p.tenant_id,
          analysis.entities.map((e) => e.id),
        ),
      );
      // an entity merged away since extraction counts as the one it went into, once
      const merged = new Map<string, DocumentEntities['entities'][number]>();
      for (const e of [...analysis.entities].sort((a, b) => b.count - a.count)) {
        const id = survivors.get(e.id.toLowerCase()) ?? e.id.toLowerCase();
        const had = merged.get(id);
        if (had) had.mentions += e.count;
        else merged.set(id, { entity_id: id, name: e.name, type: e.type, mentions: e.count });
      }
      const entities = [...merged.values()].sort(
        (a, b) => b.mentions - a.mentions || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.entity_id < b.entity_id ? -1 : 1),
      );
      return { document_id: row.document_id, entities };
    },

    async [rpc.documentChunk](input, ctx): Promise<DocumentPassage> {
      const { document_id, chunk_id } = DocumentChunkInput.parse(input);
      const p = requireReader(ctx.principal);
      const { row, analysis } = await analysisOf(p, document_id);
      const wanted = chunk_id.toLowerCase();
      const chunk = analysis.chunks.find((c) => chunkId(document_id, c.index) === wanted);
      // a chunk of another document (or none) is not a passage of this one
      if (!chunk) throw notFound('chunk');
      return {
        document_id: row.document_id,
        chunk_id: wanted,
        index: chunk.index,
        title: row.title,
        text: chunk.text,
        start: chunk.start,
        end: chunk.end,
      };
    },
  };
}
