import { DocumentEmbedded, type EventEnvelope } from '@mandant/contracts';
import { embeddingCoverage } from '@mandant/documents';
import { servingModel } from '@mandant/project';
import { withTenant } from '@mandant/shared/db';
import { systemClock } from '@mandant/shared/service';
import { postgresUrls } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../embed/embedder.ts';
import { type Harness, startHarness, until } from '../testing/worker-harness.ts';
import { type EmbedderRegistry, createEmbedderRegistry } from './models.ts';
import { startRollover } from './rollover.ts';
import { type IngestionWorker, startIngestionWorker } from './worker.ts';

const pg = postgresUrls();
const OLD = 'local-hashing-v1-384';
const NEW = 'local-hashing-v1-256';
const utf8 = (s: string) => new TextEncoder().encode(s);
const modelsOf = (events: EventEnvelope[]) =>
  events.filter((e) => e.type === 'document.embedded.v1').map((e) => DocumentEmbedded.shape.data.parse(e.data).model);

/**
 * The hashing models, with `NEW`'s embedder held at a gate the test opens: `allow(n)` lets n more
 * embeddings through, `open()` all of them; `waiting` counts embeddings held right now.
 */
function gatedRegistry(defaultModel: string): EmbedderRegistry & { allow(n: number): void; open(): void; waiting(): number } {
  const base = createEmbedderRegistry({ defaultModel });
  const inner = base.get(NEW);
  if (!inner) throw new Error(`${NEW} not served`);
  let permits = 0;
  const held: (() => void)[] = [];
  const release = () => {
    while (permits > 0 && held.length > 0) {
      permits -= 1;
      held.shift()?.();
    }
  };
  const gated: Embedder = {
    ...inner,
    embed: async (texts) => {
      await new Promise<void>((pass) => {
        held.push(pass);
        release();
      });
      return inner.embed(texts);
    },
  };
  return {
    defaultModel,
    get: (m) => (m === NEW ? gated : base.get(m)),
    allow(n) {
      permits += n;
      release();
    },
    open() {
      permits = Number.POSITIVE_INFINITY;
      release();
    },
    waiting: () => held.length,
  };
}

describe.skipIf(!pg)('embedding model changes', () => {
  let h: Harness;
  const workers: IngestionWorker[] = [];
  const gates: { open(): void }[] = [];
  const start = async (embedders: EmbedderRegistry, tenants: ReadonlySet<string> = h.tenants): Promise<IngestionWorker> => {
    const worker = await startIngestionWorker({
      sql: h.sql,
      store: h.store,
      transport: h.transport,
      stores: { blobs: h.blobs, keyring: h.keyring },
      embedders,
      clock: systemClock,
      log: h.log,
      retryBaseMs: 5,
      accept: (t) => tenants.has(t),
      rolloverPauseMs: 0,
    });
    workers.push(worker);
    return worker;
  };
  const stop = async (worker: IngestionWorker) => {
    workers.splice(workers.indexOf(worker), 1);
    await worker.stop();
  };
  /** which model the scope searches now, as search asks it (after the views caught up with the log) */
  const serving = async (tenant: string, projectId: string | null, defaultModel: string) => {
    await h.views(tenant, await h.store.head(tenant));
    return withTenant(h.sql, tenant, (tx) => servingModel(tx, tenant, projectId, defaultModel, { coverage: embeddingCoverage }));
  };
  const embeddedWith = (tenant: string, documentId: string, models: string[]) =>
    until(
      async () => {
        const events = await h.events(tenant, documentId);
        return models.every((m) => modelsOf(events).includes(m)) ? events : undefined;
      },
      `${documentId} embedded with ${models.join(', ')}`,
    );

  beforeAll(async () => {
    if (pg) h = await startHarness(pg.appUrl, 'model-change');
  });
  afterAll(async () => {
    for (const g of gates) g.open();
    for (const w of [...workers]) await w.stop();
    await h?.close();
  });

  it("keeps searching a project's old model until each of its documents has the new one, embeds documents added meanwhile in both, then switches; another project stays as it was", async () => {
    const DEFAULT = 'local-hashing-v1-64';
    const embedders = gatedRegistry(DEFAULT);
    gates.push(embedders);
    const worker = await start(embedders);
    const tenant = h.tenant();
    await h.provisionTenant(tenant);
    const P = (await h.createProject(tenant, { embedding_model: OLD })).projectId;
    const Q = (await h.createProject(tenant, { embedding_model: OLD })).projectId;
    const p1 = await h.upload(tenant, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.'), { projectId: P });
    const p2 = await h.upload(tenant, utf8('Markus Braun von der Wirecard AG war in Singapur.'), { projectId: P });
    const q1 = await h.upload(tenant, utf8('Ein drittes Dokument über die Deutsche Bank in Frankfurt.'), { projectId: Q });
    for (const d of [p1, p2, q1]) await embeddedWith(tenant, d.documentId, [DEFAULT, OLD]);
    const qBefore = await h.events(tenant, q1.documentId);
    expect(await serving(tenant, P, DEFAULT)).toEqual({ model: OLD, desired: OLD, documents: 2, embedded: 2 });

    await h.changeProjectSettings(tenant, P, { embedding_model: NEW });
    await until(async () => embedders.waiting() > 0, 'the new model to be asked for');
    expect(await serving(tenant, P, DEFAULT)).toEqual({ model: OLD, desired: NEW, documents: 2, embedded: 0 });

    // uploaded during the change: embedded in the model P searches now before the new one is through
    const p3 = await h.upload(tenant, utf8('Protokoll der Sitzung: Anna Schmidt war anwesend.'), { projectId: P });
    await embeddedWith(tenant, p3.documentId, [DEFAULT, OLD]);
    expect(modelsOf(await h.events(tenant, p3.documentId))).not.toContain(NEW);
    expect(await serving(tenant, P, DEFAULT)).toEqual({ model: OLD, desired: NEW, documents: 3, embedded: 0 });

    embedders.allow(1);
    await until(async () => (await serving(tenant, P, DEFAULT)).embedded === 1, 'one document in the new model');
    expect((await serving(tenant, P, DEFAULT)).model).toBe(OLD);

    embedders.open();
    for (const d of [p1, p2, p3]) await embeddedWith(tenant, d.documentId, [DEFAULT, OLD, NEW]);
    await until(async () => (await serving(tenant, P, DEFAULT)).model === NEW, 'P to search the new model');
    expect(await serving(tenant, P, DEFAULT)).toEqual({ model: NEW, desired: NEW, documents: 3, embedded: 3 });
    // each document got the new model once; Q's document and Q's model are untouched
    for (const d of [p1, p2, p3]) expect(modelsOf(await h.events(tenant, d.documentId)).filter((m) => m === NEW)).toHaveLength(1);
    expect(await h.events(tenant, q1.documentId)).toEqual(qBefore);
    expect(await serving(tenant, Q, DEFAULT)).toEqual({ model: OLD, desired: OLD, documents: 1, embedded: 1 });

    // once switched, a new document of P needs the old model no more
    const p4 = await h.upload(tenant, utf8('Ein Memo über Konten in Liechtenstein.'), { projectId: P });
    const p4Events = await embeddedWith(tenant, p4.documentId, [DEFAULT, NEW]);
    await worker.process(tenant, p4.documentId);
    expect(modelsOf(await h.events(tenant, p4.documentId))).toEqual(modelsOf(p4Events));
    expect(modelsOf(p4Events)).not.toContain(OLD);
    await stop(worker);
  });

  it("re-embeds, in the background and resumably, the documents of tenants that follow the installation's default when it changes; search keeps the old default until a tenant is through", async () => {
    const [A, B, C] = [h.tenant(), h.tenant(), h.tenant()];
    // this test's tenants only: the other test's tenant follows the default too
    const ours = new Set([A, B, C]);
    await h.provisionTenant(A);
    await h.provisionTenant(B);
    await h.provisionTenant(C, { embedding_model: 'local-hashing-v1-32' });
    const before = await start(createEmbedderRegistry({ defaultModel: OLD }), ours);
    const docs = {
      A: [
        await h.upload(A, utf8('Anna Schmidt of the Beta GmbH met investors in Zürich.')),
        await h.upload(A, utf8('Markus Braun von der Wirecard AG war in Singapur.')),
        await h.upload(A, utf8('Ein drittes Dokument über die Deutsche Bank in Frankfurt.')),
      ],
      B: [await h.upload(B, utf8('Protokoll der Sitzung: Anna Schmidt war anwesend.'))],
      C: [await h.upload(C, utf8('Ein Memo über Konten in Liechtenstein.'))],
    };
    for (const d of [...docs.A]) await embeddedWith(A, d.documentId, [OLD]);
    for (const d of docs.B) await embeddedWith(B, d.documentId, [OLD]);
    for (const d of docs.C) await embeddedWith(C, d.documentId, ['local-hashing-v1-32']);
    const cBefore = await h.events(C, docs.C[0]?.documentId ?? '');
    await stop(before);

    // restart with another default; the new model lets one document through, then holds
    const gated = gatedRegistry(NEW);
    gates.push(gated);
    gated.allow(1);
    const during = await start(gated, ours);
    await until(async () => gated.waiting() > 0, 'the background re-embedding to be held');
    // one document went through (A's or B's, tenants take turns): a tenant switches only once through
    expect(await serving(A, null, NEW)).toMatchObject({ model: OLD, desired: NEW, documents: 3 });
    const b = await serving(B, null, NEW);
    expect(b.model).toBe(b.embedded === 1 ? NEW : OLD);
    // another tenant's upload is not held up behind the background work
    const cNew = await h.upload(C, utf8('Neue Unterlagen zur Beta GmbH.'));
    await embeddedWith(C, cNew.documentId, ['local-hashing-v1-32']);

    // stopped mid-way (a crash, as far as the pass knows): the next start finds only the rest
    const stopping = stop(during);
    gated.open();
    await stopping;
    const first = await during.rollover;
    expect(first.tenants).toBe(2);
    expect(first.documents).toBeLessThan(4);

    const after = await start(createEmbedderRegistry({ defaultModel: NEW }), ours);
    const second = await after.rollover;
    expect(first.documents + second.documents).toBe(4);
    for (const d of docs.A) await embeddedWith(A, d.documentId, [OLD, NEW]);
    for (const d of [...docs.A, ...docs.B]) {
      const tenant = docs.A.includes(d) ? A : B;
      expect(modelsOf(await h.events(tenant, d.documentId)).filter((m) => m === NEW)).toHaveLength(1);
    }
    expect(await serving(A, null, NEW)).toEqual({ model: NEW, desired: NEW, documents: 3, embedded: 3 });
    expect(await serving(B, null, NEW)).toEqual({ model: NEW, desired: NEW, documents: 1, embedded: 1 });
    // C has a model of its own: nothing to do there
    expect(await h.events(C, docs.C[0]?.documentId ?? '')).toEqual(cBefore);
    for (const t of [A, B, C]) {
      const rows = await withTenant(h.sql, t, (tx) => tx<{ model: string }[]>`select model from embedding_defaults where tenant_id = ${t}`);
      expect(rows).toEqual([{ model: NEW }]);
    }
    await stop(after);

    // a start with the same default has nothing to do
    const again = await start(createEmbedderRegistry({ defaultModel: NEW }), ours);
    expect(await again.rollover).toEqual({ tenants: 0, documents: 0 });
    await stop(again);
  });

  it("re-embeds tenants in turns, one document each, and only while no foreground work runs: a tenant's backlog never holds up another's", async () => {
    const [big, small] = [h.tenant(), h.tenant()];
    await h.provisionTenant(big);
    await h.provisionTenant(small);
    const ours = new Set([big, small]);
    const worker = await start(createEmbedderRegistry({ defaultModel: OLD }), ours);
    const texts = ['Anna Schmidt in Zürich.', 'Markus Braun in Singapur.', 'Die Deutsche Bank in Frankfurt.', 'Ein Memo aus Vaduz.'];
    const bigDocs = [];
    for (const t of texts) bigDocs.push(await h.upload(big, utf8(t)));
    const smallDoc = await h.upload(small, utf8('Protokoll der Sitzung in Berlin.'));
    for (const d of bigDocs) await embeddedWith(big, d.documentId, [OLD]);
    await embeddedWith(small, smallDoc.documentId, [OLD]);
    for (const t of ours) await h.views(t, await h.store.head(t));
    await stop(worker);

    const calls: string[] = [];
    let foreground: (() => void) | null = null;
    let busy = true;
    const rollover = startRollover({
      sql: h.sql,
      log: h.log,
      defaultModel: NEW,
      resolve: (m) => m,
      accept: (t) => ours.has(t),
      ensure: async (t) => {
        calls.push(t);
      },
      // an upload is being worked on until the test says it is done
      idle: () => (busy ? new Promise<void>((done) => (foreground = done)) : Promise.resolve()),
      pauseMs: 0,
    });
    await until(async () => foreground !== null, 'the re-embedding to wait for the foreground');
    expect(calls).toEqual([]);
    busy = false;
    (foreground as (() => void) | null)?.();
    expect(await rollover.done).toEqual({ tenants: 2, documents: 5 });
    // the small tenant's one document comes in the first turn, not after the big tenant's four
    expect(calls.slice(0, 2).sort()).toEqual([big, small].sort());
    expect(calls.filter((t) => t === big)).toHaveLength(4);
  });
});
