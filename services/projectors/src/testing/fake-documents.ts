import { createHash } from 'node:crypto';
import { type DocumentAnalysis, type DocumentVectors, type EventMeta, documentKeys, streams } from '@mandant/contracts';
import type { EventStore } from '@mandant/shared/eventstore';
import { entityId, uuidv7 } from '@mandant/shared/ids';
import { documentScope } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import type { DocumentStores } from '../content.ts';

const meta: EventMeta = { actor: 'user:test', correlation_id: 'projectors-test', causation_id: null, traceparent: null };
const encoder = new TextEncoder();
const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export interface FakeEntity {
  name: string;
  type: 'person' | 'organisation' | 'place';
  /** indexes of the chunks that mention it */
  chunks: number[];
}

export interface FakeDocument {
  title: string;
  chunks: string[];
  entities?: FakeEntity[];
  /** embedding models, each with its dimension */
  models?: Array<{ id: string; dimension: number }>;
  /** linked one after another after the upload */
  projectIds?: string[];
}

/** A deterministic vector for a text: SHA-256 bytes spread over the dimension. */
export function fakeVector(text: string, dimension: number): number[] {
  const h = createHash('sha256').update(text).digest();
  return Array.from({ length: dimension }, (_, i) => ((h[i % h.length] ?? 0) - 127.5) / 128 + i / 1000);
}

/**
 * Writes documents the way ingestion will: sealed artefacts in the tenant's bucket (contract
 * shapes, keys from `documentKeys`), sealed personal fields, and the document's events appended
 * to the real event store, so projectors read exactly what production gives them.
 */
export function fakeDocuments(deps: { events: EventStore; stores: Pick<DocumentStores, 'blobs' | 'keyring'> }) {
  const { events, stores } = deps;
  const at = (): string => new Date().toISOString();

  async function append(
    tenantId: string,
    documentId: string,
    type: string,
    data: Record<string, unknown>,
    projectId: string | null = null,
  ) {
    const stream = streams.document(documentId);
    const { version } = await events.readStream(tenantId, stream);
    return events.append(tenantId, stream, version, [{ id: uuidv7(), type, project_id: projectId, occurred_at: at(), data }], meta);
  }

  async function upload(tenantId: string, documentId: string, title: string) {
    const raw = encoder.encode(`raw bytes of ${title}`);
    const blobKey = documentKeys.raw(documentId, 'txt');
    await stores.blobs.put(tenantId, blobKey, raw);
    const sealed = await sealJson(
      stores.keyring,
      tenantId,
      documentId,
      { title, filename: `${title}.txt`, source_url: null },
      { scope: documentScope(documentId) },
    );
    return append(tenantId, documentId, 'document.uploaded.v1', {
      kind: 'text',
      content_type: 'text/plain',
      ext: 'txt',
      size: raw.byteLength,
      content_sha256: sha256(raw),
      blob_key: blobKey,
      sealed,
    });
  }

  async function process(tenantId: string, documentId: string, doc: FakeDocument) {
    const entities = (doc.entities ?? []).map((e) => ({ ...e, id: entityId(tenantId, e.type, e.name.toLowerCase()) }));
    const analysis: DocumentAnalysis = {
      document_id: documentId,
      title: doc.title,
      kind: 'text',
      chunks: doc.chunks.map((text, index) => ({ index, text, start: 0, end: text.length })),
      entities: entities.map((e) => ({ id: e.id, type: e.type, name: e.name, normalised: e.name.toLowerCase(), count: e.chunks.length })),
      mentions: entities.flatMap((e) => e.chunks.map((chunk_index) => ({ entity_id: e.id, chunk_index, start: 0, end: e.name.length }))),
      relations: entities.slice(1).flatMap((e, i) => {
        const prev = entities[i];
        return prev ? [{ a: prev.id, b: e.id, confidence: 0.5, chunk_indexes: [] }] : [];
      }),
    };
    const bytes = encoder.encode(JSON.stringify(analysis));
    const analysisSha = sha256(bytes);
    const analysisKey = documentKeys.analysis(documentId, analysisSha);
    await stores.blobs.put(tenantId, analysisKey, bytes);
    await stores.blobs.put(tenantId, documentKeys.text(documentId), encoder.encode(doc.chunks.join('\n')));
    const sealed = await sealJson(stores.keyring, tenantId, documentId, { title: doc.title }, { scope: documentScope(documentId) });
    return append(tenantId, documentId, 'document.processed.v1', {
      pages: null,
      chunk_count: doc.chunks.length,
      entity_count: entities.length,
      text_key: documentKeys.text(documentId),
      analysis_key: analysisKey,
      analysis_sha256: analysisSha,
      sealed,
    });
  }

  async function embed(tenantId: string, documentId: string, chunks: string[], model: { id: string; dimension: number }) {
    const artefact: DocumentVectors = {
      document_id: documentId,
      model: model.id,
      dimension: model.dimension,
      vectors: chunks.map((c) => fakeVector(c, model.dimension)),
    };
    const bytes = encoder.encode(JSON.stringify(artefact));
    const vectorsSha = sha256(bytes);
    const vectorsKey = documentKeys.vectors(documentId, model.id, vectorsSha);
    await stores.blobs.put(tenantId, vectorsKey, bytes);
    return append(tenantId, documentId, 'document.embedded.v1', {
      model: model.id,
      dimension: model.dimension,
      vectors_key: vectorsKey,
      vectors_sha256: vectorsSha,
      chunk_count: chunks.length,
    });
  }

  /** The document's current project set, as its stream tells it. */
  async function projectsOf(tenantId: string, documentId: string): Promise<string[]> {
    const { events: history } = await events.readStream(tenantId, streams.document(documentId));
    let ids: string[] = [];
    for (const e of history) if (e.type === 'document.linked.v1' || e.type === 'document.unlinked.v1') ids = e.data.project_ids as string[];
    return ids;
  }

  async function link(tenantId: string, documentId: string, projectId: string) {
    const ids = [...new Set([...(await projectsOf(tenantId, documentId)), projectId])].sort();
    return append(tenantId, documentId, 'document.linked.v1', { project_id: projectId, project_ids: ids }, projectId);
  }

  async function unlink(tenantId: string, documentId: string, projectId: string, reason: 'unlinked' | 'project_deleted' = 'unlinked') {
    const ids = (await projectsOf(tenantId, documentId)).filter((p) => p !== projectId);
    return append(tenantId, documentId, 'document.unlinked.v1', { project_id: projectId, project_ids: ids, reason }, projectId);
  }

  async function remove(tenantId: string, documentId: string) {
    return append(tenantId, documentId, 'document.deleted.v1', { project_ids: await projectsOf(tenantId, documentId) });
  }

  /** `project.deleted.v1` on the project's stream (the project service's event). */
  async function deleteProject(tenantId: string, projectId: string) {
    return events.append(
      tenantId,
      streams.project(projectId),
      'any',
      [{ id: uuidv7(), type: 'project.deleted.v1', project_id: projectId, occurred_at: at(), data: {} }],
      meta,
    );
  }

  /** Upload, process, embed with every model, then link: the whole life of a processed document. */
  async function add(tenantId: string, doc: FakeDocument, documentId: string = uuidv7()) {
    await upload(tenantId, documentId, doc.title);
    await process(tenantId, documentId, doc);
    for (const m of doc.models ?? []) await embed(tenantId, documentId, doc.chunks, m);
    let last = 0;
    for (const p of doc.projectIds ?? []) last = (await link(tenantId, documentId, p)).position;
    return { documentId, position: last || (await events.head(tenantId)) };
  }

  return { upload, process, embed, link, unlink, remove, deleteProject, add };
}
