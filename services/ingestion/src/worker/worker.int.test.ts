import { createHash } from 'node:crypto';
import {
  DocumentAnalysis,
  DocumentEmbedded,
  DocumentFailed,
  DocumentProcessed,
  DocumentVectors,
  type EventEnvelope,
  ProcessedSecret,
  documentKeys,
} from '@mandant/contracts';
import { postgresUrls } from '@mandant/shared/testing';
import { systemClock } from '@mandant/shared/service';
import { type IngestionOutcome, createWorkMetrics } from '@mandant/shared/telemetry';
import { openJson } from '@mandant/shared/stores/crypto';
import { encodeEvent } from '@mandant/shared/outbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../embed/embedder.ts';
import { buildPdf } from '../testing/pdf-builder.ts';
import { type Harness, startHarness, until } from '../testing/worker-harness.ts';
import { buildDocx } from '../testing/zip-builder.ts';
import { type EmbedderRegistry, createEmbedderRegistry } from './models.ts';
import { type IngestionWorker, startIngestionWorker } from './worker.ts';

const pg = postgresUrls();
const DEFAULT_MODEL = 'local-hashing-v1-64';
const types = (events: EventEnvelope[]) => events.map((e) => e.type.replace(/^document\.|\.v1$/g, ''));
const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Hashing models, plus `broken-v1`: a provider that is always down. */
function registry(): { registry: EmbedderRegistry; brokenCalls: () => number } {
  const base = createEmbedderRegistry({ defaultModel: DEFAULT_MODEL });
  let calls = 0;
  const broken: Embedder = {
    model: 'broken-v1',
    dimension: 8,
    minSimilarity: 0,
    embed: async () => {
      calls += 1;
      throw new Error('connect ECONNREFUSED');
    },
  };
  return {
    registry: { defaultModel: base.defaultModel, get: (m) => (m === 'broken-v1' ? broken : base.get(m)) },
    brokenCalls: () => calls,
  };
}

const settled = (h: Harness, tenant: string, doc: string, what: (e: EventEnvelope[]) => boolean) =>
  until(async () => {
    const events = await h.events(tenant, doc);
    return what(events) ? events : undefined;
  }, `document ${doc}`);
const isDone = (events: EventEnvelope[]) =>
  events.some((e) => e.type === 'document.failed.v1') ||
  (events.some((e) => e.type === 'document.processed.v1') && events.some((e) => e.type === 'document.embedded.v1'));
const embeddingsOf = (events: EventEnvelope[]) =>
  events.filter((e) => e.type === 'document.embedded.v1').map((e) => DocumentEmbedded.shape.data.parse(e.data));

describe.skipIf(!pg)('ingestion worker', () => {
  let h: Harness;
  let worker: IngestionWorker;
  let brokenCalls: () => number;
  const metrics = createWorkMetrics();
  const finished = (outcome: IngestionOutcome) => metrics.ingestionDocuments.get({ outcome });
  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness(pg.appUrl, 'worker');
    const r = registry();
    brokenCalls = r.brokenCalls;
    worker = await startIngestionWorker({
      sql: h.sql,
      store: h.store,
      transport: h.transport,
      stores: { blobs: h.blobs, keyring: h.keyring },
      embedders: r.registry,
      clock: systemClock,
      log: h.log,
      maxAttempts: 3,
      retryBaseMs: 5,
      accept: (t) => h.tenants.has(t),
      metrics,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  it('takes a Markdown file and a DOCX to processed, with their events and artefacts', async () => {
    const tenant = h.tenant();
    const { projectId } = await h.createProject(tenant);
    const md = utf8('# Offshore notes\n\nAnna Schmidt of the Beta GmbH met investors in Zürich.\n\nAnna Schmidt denies it.\n');
    const docx = buildDocx(['Markus Braun von der Wirecard AG.', 'Über Konten in Singapur flossen 1,9 Milliarden Euro.'], {
      title: 'Fall Wirecard',
    });
    const a = await h.upload(tenant, md, { title: 'Given title' });
    const b = await h.upload(tenant, docx, { projectId });

    for (const [doc, title, kind] of [
      [a, 'Given title', 'markdown'],
      [b, 'Fall Wirecard', 'docx'],
    ] as const) {
      const events = await settled(h, tenant, doc.documentId, isDone);
      expect(types(events).filter((t) => t !== 'linked')).toEqual(['uploaded', 'processing', 'processed', 'embedded']);
      for (const e of events.filter((x) => x.actor === 'service:ingestion')) {
        expect(e).toMatchObject({ correlation_id: doc.correlationId, causation_id: events[0]?.id, project_id: null });
      }
      const processed = DocumentProcessed.shape.data.parse(events.find((e) => e.type === 'document.processed.v1')?.data);
      expect(ProcessedSecret.parse(await openJson(h.keyring, tenant, doc.documentId, processed.sealed))).toEqual({ title });
      expect(processed.text_key).toBe(documentKeys.text(doc.documentId));
      const text = new TextDecoder().decode((await h.blobs.get(tenant, processed.text_key)) ?? new Uint8Array());
      expect(text.length).toBeGreaterThan(20);

      const analysisBytes = await h.blobs.get(tenant, processed.analysis_key);
      expect(analysisBytes && sha256(analysisBytes)).toBe(processed.analysis_sha256);
      const analysis = DocumentAnalysis.parse(JSON.parse(new TextDecoder().decode(analysisBytes ?? new Uint8Array())));
      expect(analysis).toMatchObject({ document_id: doc.documentId, title, kind });
      expect(analysis.chunks).toHaveLength(processed.chunk_count);
      expect(analysis.entities).toHaveLength(processed.entity_count);
      for (const c of analysis.chunks) expect(text.slice(c.start, c.end)).toBe(c.text);

      const [embedded] = embeddingsOf(events);
      expect(embedded).toMatchObject({ model: DEFAULT_MODEL, dimension: 64, chunk_count: processed.chunk_count });
      const vectorBytes = await h.blobs.get(tenant, embedded?.vectors_key ?? '');
      expect(vectorBytes && sha256(vectorBytes)).toBe(embedded?.vectors_sha256);
      const vectors = DocumentVectors.parse(JSON.parse(new TextDecoder().decode(vectorBytes ?? new Uint8Array())));
      expect(vectors.vectors).toHaveLength(processed.chunk_count);
      for (const v of vectors.vectors) expect(v).toHaveLength(64);
    }
  });

  it('takes a PDF to processed with its page count', async () => {
    const tenant = h.tenant();
    const pdf = await h.upload(tenant, buildPdf({ pages: [['Anna Schmidt of the Beta GmbH met investors in Zürich.'], ['Page two.']] }));
    const events = await settled(h, tenant, pdf.documentId, isDone);
    const processed = DocumentProcessed.shape.data.parse(events.find((e) => e.type === 'document.processed.v1')?.data);
    expect(processed).toMatchObject({ pages: 2 });
  });

  it('fails a corrupt PDF and an unsupported binary with a reason', async () => {
    const tenant = h.tenant();
    const failedBefore = finished('failed');
    const good = buildPdf({ pages: [['Some text that will be cut off.']] });
    const corrupt = await h.upload(tenant, good.slice(0, Math.floor(good.length / 2)));
    const binary = await h.upload(tenant, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 0, 0, 0xff]));
    for (const [doc, code] of [
      [corrupt, 'extraction.corrupt'],
      [binary, 'extraction.unsupported_type'],
    ] as const) {
      const events = await settled(h, tenant, doc.documentId, isDone);
      expect(types(events)).toEqual(['uploaded', 'processing', 'failed']);
      const failed = DocumentFailed.shape.data.parse(events.at(-1)?.data);
      expect(failed).toMatchObject({ code, attempt: 1 });
      expect(failed.message.length).toBeGreaterThan(10);
    }
    expect(finished('failed') - failedBefore).toBe(2);
  });

  it('appends nothing when the same upload is delivered again or processed twice', async () => {
    const tenant = h.tenant();
    const processedAtStart = finished('processed');
    const doc = await h.upload(tenant, utf8('Protokoll der Sitzung.\n\nMarkus Braun war anwesend.'));
    const before = await settled(h, tenant, doc.documentId, isDone);
    // the worker counts a document after its last append: wait for the count, not just the events
    await until(async () => finished('processed') > processedAtStart, 'the first processing to be counted');
    const [processedBefore, skippedBefore] = [finished('processed'), finished('skipped')];
    await worker.process(tenant, doc.documentId);
    await worker.process(tenant, doc.documentId);
    // counted as finished with nothing to do, never as processed again
    expect(finished('processed')).toBe(processedBefore);
    expect(finished('skipped') - skippedBefore).toBeGreaterThanOrEqual(2);
    // a redelivery of the upload message, then a marker upload behind it on the same consumer
    const upload = before[0];
    if (!upload) throw new Error('no upload event');
    await h.transport.publish({ subject: `events.${tenant}._.${upload.type}`, msgId: `${upload.id}-again`, payload: encodeEvent(upload) });
    const marker = await h.upload(tenant, utf8('A second, different document.'));
    await settled(h, tenant, marker.documentId, isDone);
    expect(await h.events(tenant, doc.documentId)).toEqual(before);
  });

  it('records embedding.unavailable after bounded retries when the tenant model provider is down', async () => {
    const tenant = h.tenant();
    await h.views(tenant, await h.provisionTenant(tenant, { embedding_model: 'broken-v1' }));
    const callsBefore = brokenCalls();
    const doc = await h.upload(tenant, utf8('Anna Schmidt met the Beta GmbH.'));
    const events = await settled(h, tenant, doc.documentId, isDone);
    expect(types(events)).toEqual(['uploaded', 'processing', 'failed']);
    expect(DocumentFailed.shape.data.parse(events.at(-1)?.data)).toMatchObject({ code: 'embedding.unavailable' });
    expect(brokenCalls() - callsBefore).toBe(3);
  });

  it("re-embeds a project's documents when its embedding_model changes, and leaves another project's documents exactly as they were", async () => {
    const tenant = h.tenant();
    const A = await h.createProject(tenant);
    const B = await h.createProject(tenant);
    const inA = await h.upload(tenant, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.'), { projectId: A.projectId });
    const inB = await h.upload(tenant, utf8('Markus Braun von der Wirecard AG war in Singapur.'), { projectId: B.projectId });
    await settled(h, tenant, inA.documentId, isDone);
    const bBefore = await settled(h, tenant, inB.documentId, isDone);
    await h.views(tenant, await h.store.head(tenant));

    await h.changeProjectSettings(tenant, A.projectId, { embedding_model: 'local-hashing-v1-32' });
    const aAfter = await settled(h, tenant, inA.documentId, (ev) => embeddingsOf(ev).some((e) => e.model === 'local-hashing-v1-32'));
    const added = embeddingsOf(aAfter).find((e) => e.model === 'local-hashing-v1-32');
    expect(embeddingsOf(aAfter).map((e) => e.model)).toEqual([DEFAULT_MODEL, 'local-hashing-v1-32']);
    const vectors = DocumentVectors.parse(
      JSON.parse(new TextDecoder().decode((await h.blobs.get(tenant, added?.vectors_key ?? '')) ?? new Uint8Array())),
    );
    expect(vectors).toMatchObject({ model: 'local-hashing-v1-32', dimension: 32 });
    expect(aAfter.at(-1)?.causation_id).not.toBe(aAfter[0]?.id);

    // linking B's document into A brings A's model to it; B's other documents are untouched
    const onlyB = await h.upload(tenant, utf8('Ein drittes Dokument über die Deutsche Bank in Frankfurt.'), { projectId: B.projectId });
    const onlyBBefore = await settled(h, tenant, onlyB.documentId, isDone);
    await h.link(tenant, inB.documentId, A.projectId);
    const linked = await settled(h, tenant, inB.documentId, (ev) => embeddingsOf(ev).some((e) => e.model === 'local-hashing-v1-32'));
    expect(embeddingsOf(linked).map((e) => e.model)).toEqual([DEFAULT_MODEL, 'local-hashing-v1-32']);
    expect(embeddingsOf(linked)[0]).toEqual(embeddingsOf(bBefore)[0]);
    await worker.process(tenant, onlyB.documentId);
    expect(await h.events(tenant, onlyB.documentId)).toEqual(onlyBBefore);
  });

  it("embeds every processed document with the tenant's new model when the tenant's changes", async () => {
    const tenant = h.tenant();
    await h.provisionTenant(tenant);
    const doc = await h.upload(tenant, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.'));
    await settled(h, tenant, doc.documentId, isDone);
    await h.views(tenant, await h.store.head(tenant));
    await h.changeTenantSettings(tenant, { embedding_model: 'local-hashing-v1-16' });
    const after = await settled(h, tenant, doc.documentId, (ev) => embeddingsOf(ev).length === 2);
    expect(embeddingsOf(after).map((e) => e.model)).toEqual([DEFAULT_MODEL, 'local-hashing-v1-16']);
  });
});
