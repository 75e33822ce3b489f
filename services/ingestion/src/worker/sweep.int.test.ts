import { documentKeys } from '@mandant/contracts';
import { systemClock } from '@mandant/shared/service';
import { postgresUrls } from '@mandant/shared/testing';
import { createInProcessTransport } from '@mandant/shared/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashingEmbedder, type Embedder } from '../embed/embedder.ts';
import { type Harness, startHarness, until } from '../testing/worker-harness.ts';
import { type EmbedderRegistry, createEmbedderRegistry } from './models.ts';
import { type IngestionWorker, startIngestionWorker } from './worker.ts';

const pg = postgresUrls();
const utf8 = (s: string) => new TextEncoder().encode(s);
const types = (events: { type: string }[]) => events.map((e) => e.type.replace(/^document\.|\.v1$/g, ''));

/**
 * Workers here listen on a transport nothing publishes to: whatever they do, the sweep found.
 * The harness still feeds its own transport (for the views' projectors).
 */
describe.skipIf(!pg)('ingestion worker sweep and deletions', () => {
  let h: Harness;
  const workers: IngestionWorker[] = [];
  /** `deleting-v1`: embeds like the hashing model, but deletes the document while doing so */
  let onEmbed: (() => Promise<void>) | null = null;
  const hashing = createHashingEmbedder({ dimension: 16 });
  const deleting: Embedder = {
    model: 'deleting-v1',
    dimension: 16,
    minSimilarity: 0,
    embed: async (texts) => {
      await onEmbed?.();
      return hashing.embed(texts);
    },
  };
  const base = createEmbedderRegistry({ defaultModel: 'local-hashing-v1-64' });
  const registry: EmbedderRegistry = { defaultModel: base.defaultModel, get: (m) => (m === 'deleting-v1' ? deleting : base.get(m)) };

  const start = async () => {
    const w = await startIngestionWorker({
      sql: h.sql,
      store: h.store,
      transport: createInProcessTransport({ log: h.log }),
      stores: { blobs: h.blobs, keyring: h.keyring },
      embedders: registry,
      clock: systemClock,
      log: h.log,
      staleAfterMs: 0,
      sweepMs: 60_000,
      accept: (t) => h.tenants.has(t),
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    if (pg) h = await startHarness(pg.appUrl, 'sweep');
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await h?.close();
  });

  it('processes, at start, documents left pending or processing (a crash mid-way)', async () => {
    const tenant = h.tenant();
    const pending = await h.upload(tenant, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.'));
    const crashed = await h.upload(tenant, utf8('Markus Braun von der Wirecard AG war in Singapur.'));
    await h.documentCommand(tenant, crashed.documentId, { type: 'StartProcessing' });
    await h.views(tenant, await h.store.head(tenant));

    const worker = await start();
    const done = (doc: string) =>
      until(async () => {
        const events = await h.events(tenant, doc);
        return events.some((e) => e.type === 'document.embedded.v1') ? events : undefined;
      }, `sweep of ${doc}`);
    expect(types(await done(pending.documentId))).toEqual(['uploaded', 'processing', 'processed', 'embedded']);
    expect(types(await done(crashed.documentId))).toEqual(['uploaded', 'processing', 'processing', 'processed', 'embedded']);
    await worker.stop();
  });

  it('finds work on a later sweep, and a second sweep changes nothing', async () => {
    const worker = await start();
    const tenant = h.tenant();
    const doc = await h.upload(tenant, utf8('Protokoll der Sitzung vom 3. Mai.'));
    await h.views(tenant, await h.store.head(tenant));
    expect(await worker.sweep()).toBeGreaterThanOrEqual(1);
    const after = await h.events(tenant, doc.documentId);
    expect(types(after)).toEqual(['uploaded', 'processing', 'processed', 'embedded']);
    await h.views(tenant, await h.store.head(tenant));
    await worker.sweep();
    expect(await h.events(tenant, doc.documentId)).toEqual(after);
    await worker.stop();
  });

  it('leaves a deleted document alone, and stops quietly when it is deleted mid-way', async () => {
    const worker = await start();
    const tenant = h.tenant();
    const gone = await h.upload(tenant, utf8('Deleted before anyone looked at it.'));
    await h.documentCommand(tenant, gone.documentId, { type: 'DeleteDocument' });
    await worker.process(tenant, gone.documentId);
    expect(types(await h.events(tenant, gone.documentId))).toEqual(['uploaded', 'deleted']);

    await h.views(tenant, await h.provisionTenant(tenant, { embedding_model: 'deleting-v1' }));
    const doc = await h.upload(tenant, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.'));
    onEmbed = async () => {
      onEmbed = null;
      await h.documentCommand(tenant, doc.documentId, { type: 'DeleteDocument' });
    };
    await worker.process(tenant, doc.documentId);
    expect(types(await h.events(tenant, doc.documentId))).toEqual(['uploaded', 'processing', 'deleted']);
    expect(await h.blobs.list(tenant, documentKeys.prefix(doc.documentId).processed)).toEqual([]);
    await worker.stop();
  });
});
