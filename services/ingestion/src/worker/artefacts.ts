import { createHash } from 'node:crypto';
import { type DocumentAnalysis, DocumentKind, type DocumentVectors, documentKeys } from '@mandant/contracts';
import { entityId } from '@mandant/shared/ids';
import type { ProcessedDocument } from '../pipeline.ts';

/**
 * The artefacts ingestion writes once per document (and per model), as exact bytes: their keys
 * end in the SHA-256 of those bytes, so writing one again is harmless and an event names
 * exactly one content. Pure: built from the pipeline's result, no I/O, no clock.
 */
export interface Artefact {
  key: string;
  sha256: string;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function jsonArtefact(value: unknown, keyOf: (sha256: string) => string): Artefact {
  const bytes = encoder.encode(JSON.stringify(value));
  const sha256 = sha256Hex(bytes);
  return { key: keyOf(sha256), sha256, bytes };
}

/** The extracted text, `processed/{document_id}/text.txt`. */
export function textArtefact(documentId: string, text: string): Artefact {
  const bytes = encoder.encode(text);
  return { key: documentKeys.text(documentId), sha256: sha256Hex(bytes), bytes };
}

/**
 * Chunks, entities (one per type and normalised name within the document, named by their first
 * surface form, with their mention count), mentions and co-mention relations, all by entity id
 * (`entityId(tenant, type, normalised)`, the same id in every document of the tenant).
 */
export function buildAnalysis(tenantId: string, documentId: string, doc: ProcessedDocument): DocumentAnalysis {
  const idOf = (m: { type: string; normalised: string }): string => entityId(tenantId, m.type, m.normalised);
  const entities = new Map<string, DocumentAnalysis['entities'][number]>();
  const mentions: DocumentAnalysis['mentions'] = [];
  for (const m of doc.mentions) {
    const id = idOf(m);
    const seen = entities.get(id);
    if (seen) seen.count += 1;
    else entities.set(id, { id, type: m.type, name: m.name, normalised: m.normalised, count: 1 });
    mentions.push({ entity_id: id, chunk_index: m.chunk_index, start: m.start, end: m.end });
  }
  const relations = doc.relations
    .map((r) => {
      const [a, b] = [idOf(r.source), idOf(r.target)].sort();
      return { a: a ?? '', b: b ?? '', confidence: r.confidence, chunk_indexes: r.chunk_indexes };
    })
    .filter((r) => r.a !== r.b)
    .sort((x, y) => (x.a === y.a ? (x.b < y.b ? -1 : x.b > y.b ? 1 : 0) : x.a < y.a ? -1 : 1));
  return {
    document_id: documentId.toLowerCase(),
    title: doc.title,
    // a processed document always has a readable kind; parsing keeps this in step with the contract's enum
    kind: DocumentKind.parse(doc.kind),
    chunks: doc.chunks.map((c) => ({ index: c.index, text: c.text, start: c.start, end: c.end })),
    entities: [...entities.values()],
    mentions,
    relations,
  };
}

export function analysisArtefact(documentId: string, analysis: DocumentAnalysis): Artefact {
  return jsonArtefact(analysis, (sha) => documentKeys.analysis(documentId, sha));
}

export function vectorsArtefact(documentId: string, embedding: { model: string; dimension: number }, vectors: number[][]): Artefact {
  const value: DocumentVectors = { document_id: documentId.toLowerCase(), model: embedding.model, dimension: embedding.dimension, vectors };
  return jsonArtefact(value, (sha) => documentKeys.vectors(documentId, embedding.model, sha));
}
