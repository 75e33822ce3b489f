import {
  DocumentAnalysis,
  DocumentEvent,
  type EventEnvelope,
  type EventMeta,
  UploadedSecret,
  documentKeys,
  streams,
} from '@mandant/contracts';
import { type DocumentCommand, documentDecider, embeddingCoverage, foldDocument } from '@mandant/documents';
import type { DocumentState } from '@mandant/documents';
import { type Sql, withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import type { EventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import { type Clock, runCommand } from '@mandant/shared/service';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { DataKeyDestroyedError, type Keyring, documentScope } from '@mandant/shared/stores/crypto';
import { openJson, sealJson } from '@mandant/shared/stores/crypto';
import type { IngestionOutcome } from '@mandant/shared/telemetry';
import { processDocument, type ProcessResult } from '../pipeline.ts';
import { analysisArtefact, buildAnalysis, textArtefact, vectorsArtefact } from './artefacts.ts';
import { requiredModels, servingMemo, type SettingsOverrides } from '@mandant/project';
import type { EmbedderRegistry } from './models.ts';
import { EmbedderUnavailableError, type RetryPolicy, withEmbedderRetry } from './retry.ts';

export const ACTOR = 'service:ingestion';

export interface DocumentProcessorDeps {
  sql: Sql;
  store: EventStore;
  blobs: BlobStore;
  keyring: Keyring;
  embedders: EmbedderRegistry;
  clock: Clock;
  log: Logger;
  retry: RetryPolicy;
  /** see `ExtractOptions.maxUncompressedBytes` */
  maxUncompressedBytes?: number;
}

/** What triggered the work: its events carry this event's correlation id, caused by it. */
export interface Trigger {
  id: string;
  correlation_id: string;
  traceparent: string | null;
}

export interface EnsureOptions {
  trigger?: Trigger;
  overrides?: SettingsOverrides;
  /** the document's chunk texts when already in memory (else read from the analysis artefact) */
  chunkTexts?: string[];
}

interface Loaded {
  state: DocumentState;
  upload: EventEnvelope | null;
}

const isGone = (err: unknown): boolean => err instanceof DomainError && err.code === 'not_found';

/**
 * One document's pipeline, recorded on its stream. Every step is idempotent, so a redelivered
 * message, a second worker or the sweep may run it again at any point: the decider decides
 * nothing for work already recorded, and artefacts are content-addressed (re-writing one puts
 * the same bytes under the same key).
 */
export function createDocumentProcessor(deps: DocumentProcessorDeps) {
  const { store, blobs, keyring, embedders, log } = deps;
  // which model each scope searches, remembered for a few seconds while it is its desired one
  const memo = servingMemo();

  async function load(tenantId: string, documentId: string): Promise<Loaded> {
    const { events } = await store.readStream(tenantId, streams.document(documentId));
    return { state: foldDocument(events), upload: events.find((e) => e.type === 'document.uploaded.v1') ?? null };
  }

  const command = (tenantId: string, documentId: string, meta: EventMeta, cmd: DocumentCommand) =>
    runCommand({
      store,
      clock: deps.clock,
      decider: documentDecider,
      tenantId,
      stream: streams.document(documentId),
      projectId: null,
      command: cmd,
      meta,
    });

  const metaOf = (t: Trigger): EventMeta => ({
    actor: ACTOR,
    correlation_id: t.correlation_id,
    causation_id: t.id,
    traceparent: t.traceparent,
  });

  /**
   * Canonical model names (an embedder's `model`) of every model this document needs: those its
   * tenant and projects ask for, and, while one of these scopes changes model, the model it still
   * searches (so the document is found before and after the switch).
   */
  async function modelsFor(tenantId: string, documentId: string, state: DocumentState, overrides: SettingsOverrides | undefined) {
    const serving = { coverage: embeddingCoverage, resolve: (m: string) => embedders.get(m)?.model ?? null, except: documentId, memo };
    const required = await withTenant(deps.sql, tenantId, (tx) =>
      requiredModels(tx, tenantId, state.project_ids, embedders.defaultModel, overrides, serving),
    );
    const canonical = (m: string): string => embedders.get(m)?.model ?? m;
    return { tenant: canonical(required.tenant), all: [...new Set(required.all.map(canonical))] };
  }

  async function embedWith(
    tenantId: string,
    documentId: string,
    model: string,
    texts: string[],
    meta: EventMeta,
    dlog: Logger,
  ): Promise<void> {
    const embedder = embedders.get(model);
    if (!embedder) {
      dlog.warn({ model }, 'embedding model not served here; skipped');
      return;
    }
    const vectors = await withEmbedderRetry(
      embedder,
      deps.retry,
      (e) => e.embed(texts),
      (attempt, err) => dlog.warn({ model, attempt, err }, 'embedder failed; retrying'),
    );
    const artefact = vectorsArtefact(documentId, embedder, vectors);
    await blobs.put(tenantId, artefact.key, artefact.bytes, { contentType: 'application/json' });
    await command(tenantId, documentId, meta, {
      type: 'RecordEmbedding',
      embedding: {
        model: embedder.model,
        dimension: embedder.dimension,
        vectors_key: artefact.key,
        vectors_sha256: artefact.sha256,
        chunk_count: vectors.length,
      },
    });
  }

  /**
   * Embeds a processed document with every required model it lacks (tenant's and linked
   * projects'); models it already has are left exactly as they are. A document not (yet)
   * processed is left to `process`. Throws `EmbedderUnavailableError` when a provider stays down.
   */
  async function ensureEmbeddings(tenantId: string, documentId: string, opts: EnsureOptions = {}): Promise<number> {
    const { state, upload } = await load(tenantId, documentId);
    if (state.status !== 'processed' || !upload) return 0;
    const trigger = opts.trigger ?? upload;
    const dlog = log.child({ tenant_id: tenantId, document_id: documentId, correlation_id: trigger.correlation_id });
    const { all } = await modelsFor(tenantId, documentId, state, opts.overrides);
    const missing = all.filter((m) => !state.embeddings.some((e) => e.model === m));
    if (missing.length === 0) return 0;
    let texts = opts.chunkTexts;
    if (!texts) {
      const bytes = state.analysis_sha256 ? await blobs.get(tenantId, documentKeys.analysis(documentId, state.analysis_sha256)) : null;
      if (!bytes) {
        dlog.error('analysis artefact missing; cannot embed');
        return 0;
      }
      texts = DocumentAnalysis.parse(JSON.parse(new TextDecoder().decode(bytes))).chunks.map((c) => c.text);
    }
    try {
      for (const model of missing) await embedWith(tenantId, documentId, model, texts, metaOf(trigger), dlog);
    } catch (err) {
      if (isGone(err)) return 0;
      throw err;
    }
    dlog.info({ models: missing }, 'document embedded');
    return missing.length;
  }

  async function openTitle(tenantId: string, documentId: string, sealed: string): Promise<string | undefined> {
    const secret = UploadedSecret.parse(await openJson(keyring, tenantId, documentId, sealed));
    return secret.title ?? undefined;
  }

  /**
   * Takes an uploaded document to `processed` (with its tenant-model embedding, then every other
   * required model) or to `failed` with the reason. A processed document only gets missing
   * embeddings; a failed or deleted one is left alone. Answers what this run did: `processed` or
   * `failed` only when it recorded that outcome itself (a second worker that raced it to the same
   * result appends nothing and answers `skipped`), so counts summed over workers are documents.
   */
  async function processOne(tenantId: string, documentId: string): Promise<IngestionOutcome> {
    const { state, upload } = await load(tenantId, documentId);
    if (state.status === 'processed') {
      await ensureEmbeddings(tenantId, documentId);
      return 'skipped';
    }
    if ((state.status !== 'pending' && state.status !== 'processing') || !upload) return 'skipped';
    const uploaded = DocumentEvent.parse({ type: upload.type, data: upload.data });
    if (uploaded.type !== 'document.uploaded.v1') return 'skipped';
    const meta = metaOf(upload);
    const dlog = log.child({ tenant_id: tenantId, document_id: documentId, correlation_id: upload.correlation_id });
    const fail = async (code: string, message: string): Promise<IngestionOutcome> => {
      const { appended } = await command(tenantId, documentId, meta, { type: 'RecordFailure', code, message });
      dlog.info({ code }, 'document failed');
      return appended > 0 ? 'failed' : 'skipped';
    };

    // read everything first: a worker that cannot read this tenant's data appends nothing
    const models = await modelsFor(tenantId, documentId, state, undefined);
    const embedder = embedders.get(models.tenant);
    if (!embedder) return fail('embedding.model_unavailable', `The embedding model "${models.tenant}" is not available on this platform.`);
    const title = await openTitle(tenantId, documentId, uploaded.data.sealed);
    const raw = await blobs.get(tenantId, uploaded.data.blob_key);
    if (!raw) return fail('document.blob_missing', 'The uploaded file is missing from storage; upload it again.');
    await command(tenantId, documentId, meta, { type: 'StartProcessing' });

    let result: ProcessResult;
    try {
      result = await withEmbedderRetry(
        embedder,
        deps.retry,
        (e) =>
          processDocument(
            raw,
            { embedder: e },
            {
              ...(title === undefined ? {} : { title }),
              ...(deps.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: deps.maxUncompressedBytes }),
            },
          ),
        (attempt, err) => dlog.warn({ model: embedder.model, attempt, err }, 'embedder failed; retrying'),
      );
    } catch (err) {
      if (err instanceof EmbedderUnavailableError) {
        dlog.error({ model: embedder.model, err }, 'embedder unavailable; giving up');
        return fail('embedding.unavailable', 'The embedding service was unavailable; the document could not be indexed. Try again later.');
      }
      // an extraction library crashed on this file: a bad file, not a reason to retry forever
      dlog.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'extraction crashed');
      return fail('extraction.failed', 'The file could not be read.');
    }
    if (result.status === 'failed') return fail(result.reason.code, result.reason.message);

    const text = textArtefact(documentId, result.text);
    const analysis = buildAnalysis(tenantId, documentId, result);
    const analysed = analysisArtefact(documentId, analysis);
    await blobs.put(tenantId, text.key, text.bytes, { contentType: 'text/plain; charset=utf-8' });
    await blobs.put(tenantId, analysed.key, analysed.bytes, { contentType: 'application/json' });
    const recorded = await command(tenantId, documentId, meta, {
      type: 'RecordProcessed',
      result: {
        pages: result.pages ?? null,
        chunk_count: result.chunks.length,
        entity_count: analysis.entities.length,
        text_key: text.key,
        analysis_key: analysed.key,
        analysis_sha256: analysed.sha256,
        // under the document's own key, like its artefacts (the blob store picks it from their keys)
        sealed: await sealJson(keyring, tenantId, documentId, { title: result.title }, { scope: documentScope(documentId) }),
      },
    });
    const vectors = vectorsArtefact(
      documentId,
      result.embedding,
      result.chunks.map((c) => c.vector),
    );
    await blobs.put(tenantId, vectors.key, vectors.bytes, { contentType: 'application/json' });
    await command(tenantId, documentId, meta, {
      type: 'RecordEmbedding',
      embedding: { ...result.embedding, vectors_key: vectors.key, vectors_sha256: vectors.sha256, chunk_count: result.chunks.length },
    });
    dlog.info({ chunks: result.chunks.length, entities: analysis.entities.length, model: result.embedding.model }, 'document processed');
    await ensureEmbeddings(tenantId, documentId, { chunkTexts: result.chunks.map((c) => c.text) });
    return recorded.appended > 0 ? 'processed' : 'skipped';
  }

  /**
   * The document (deleted) or its tenant (offboarded) was crypto-shredded: nothing of it can be
   * read or sealed any more, so there is nothing to do.
   */
  function shredded(err: unknown, tenantId: string, documentId: string): boolean {
    if (!(err instanceof DataKeyDestroyedError)) return false;
    log.info({ tenant_id: tenantId, document_id: documentId, scope: err.scope }, 'data key destroyed; stopped');
    return true;
  }

  async function ensure(tenantId: string, documentId: string, opts: EnsureOptions = {}): Promise<number> {
    try {
      return await ensureEmbeddings(tenantId, documentId, opts);
    } catch (err) {
      if (shredded(err, tenantId, documentId)) return 0;
      throw err;
    }
  }

  async function process(tenantId: string, documentId: string): Promise<IngestionOutcome> {
    try {
      return await processOne(tenantId, documentId);
    } catch (err) {
      if (shredded(err, tenantId, documentId)) return 'skipped';
      if (!isGone(err)) throw err;
      // deleted meanwhile: drop what this run may have written after the delete cleaned up
      await blobs.deletePrefix(tenantId, documentKeys.prefix(documentId).processed).catch(() => {});
      log.info({ tenant_id: tenantId, document_id: documentId }, 'document deleted meanwhile; stopped');
      return 'skipped';
    }
  }

  return { process, ensureEmbeddings: ensure, load };
}

export type DocumentProcessor = ReturnType<typeof createDocumentProcessor>;
