import { EventEnvelope, ProjectSettingsChanged, TenantSettingsChanged } from '@mandant/contracts';
import { documentsOfProject, processedDocuments, unfinishedDocuments } from '@mandant/documents';
import { type Sql, withTenant } from '@mandant/shared/db';
import type { EventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import type { Clock } from '@mandant/shared/service';
import type { ReadStores } from '@mandant/shared/stores';
import { INGESTION_OUTCOMES, type WorkMetrics } from '@mandant/shared/telemetry';
import type { DeliveredEvent, EventTransport } from '@mandant/shared/transport';
import type { EmbedderRegistry } from './models.ts';
import { createDocumentProcessor, type EnsureOptions } from './process.ts';
import { type Rollover, startRollover } from './rollover.ts';

/**
 * The ingestion worker: durable consumers that turn `document.uploaded` into processed,
 * embedded documents, and keep every document embedded with each model its tenant and linked
 * projects ask for. Delivery is at-least-once and every step is idempotent (see `process.ts`),
 * so redeliveries, restarts and a second worker instance only cost time.
 *
 * Known limits:
 * - Documents to re-embed after a settings change, and sweep candidates, are found through the
 *   documents context's views (`documentsOfProject`, `processedDocuments`, `unfinishedDocuments`). A link and a settings change
 *   that race each other while those views lag can leave a document without the new model until
 *   the next event touching it.
 * - One message at a time per consumer, one document at a time: memory stays bounded by the
 *   largest document, throughput by the embedder.
 * - While a scope changes model, a document gets the model the scope still searches as well as
 *   the new one (project's `requiredModels` with `serving`). Which model that is comes from the
 *   document views; a document processed at the same moment, not yet embedded in it, can tip the
 *   choice to another model the scope is complete in (say, the tenant's), which search then uses
 *   until the new model is through: never a gap, only a different complete model.
 * - After a change of the installation's default, `rollover.ts` re-embeds in the background.
 */
export interface IngestionWorkerDeps {
  sql: Sql;
  store: EventStore;
  transport: EventTransport;
  stores: Pick<ReadStores, 'blobs' | 'keyring'>;
  embedders: EmbedderRegistry;
  clock: Clock;
  log: Logger;
  /** embedder attempts per document and model before giving up (default 5) */
  maxAttempts?: number;
  /** delay before the 2nd embedder attempt, doubling (default 1000 ms) */
  retryBaseMs?: number;
  /** sweep period (default 30 s); the sweep also runs once at start */
  sweepMs?: number;
  /** a pending/processing document untouched this long is taken as abandoned (default 60 s) */
  staleAfterMs?: number;
  /** see `ExtractOptions.maxUncompressedBytes` */
  maxUncompressedBytes?: number;
  /**
   * The tenants this worker serves (default all): shards tenants between worker pools, and lets
   * a test stay inside its own tenants. Messages of other tenants are acked and ignored.
   */
  accept?: (tenantId: string) => boolean;
  /** this process's work counters: documents finished, by outcome */
  metrics?: Pick<WorkMetrics, 'ingestionDocuments'>;
  /** pause after each document the background re-embedding after a default model change does (default 25 ms) */
  rolloverPauseMs?: number;
}

export interface IngestionWorker {
  /** processes one document now (idempotent); resolves when it is processed, failed or skipped */
  process(tenantId: string, documentId: string): Promise<void>;
  /** one sweep pass over every tenant now; resolves with the number of documents it handled */
  sweep(): Promise<number>;
  /**
   * The background re-embedding started with the worker when the installation's default model
   * differs from the one a tenant's documents were last brought up to (see `rollover.ts`):
   * resolves with the tenants and documents it handled once every accepted tenant is up to date.
   */
  rollover: Rollover['done'];
  /** stops the consumers and the sweep, waiting for work in flight */
  stop(): Promise<void>;
}

export const CONSUMERS = {
  uploaded: { durable: 'ingestion-uploaded', filterSubject: 'events.*.*.document.uploaded.v1' },
  linked: { durable: 'ingestion-linked', filterSubject: 'events.*.*.document.linked.v1' },
  projectSettings: { durable: 'ingestion-project-settings', filterSubject: 'events.*.*.project.settings_changed.v1' },
  tenantSettings: { durable: 'ingestion-tenant-settings', filterSubject: 'events.*.*.tenant.settings_changed.v1' },
} as const;

/** Long enough for a large document; a handler that outlives it is redelivered (harmlessly). */
const ACK_WAIT_MS = 10 * 60_000;
const SWEEP_BATCH = 100;

const documentIdOf = (stream: string): string | null => /^document-(.+)$/.exec(stream)?.[1] ?? null;

export async function startIngestionWorker(deps: IngestionWorkerDeps): Promise<IngestionWorker> {
  const { sql, transport, log } = deps;
  const accept = deps.accept ?? (() => true);
  const processor = createDocumentProcessor({
    sql,
    store: deps.store,
    blobs: deps.stores.blobs,
    keyring: deps.stores.keyring,
    embedders: deps.embedders,
    clock: deps.clock,
    log,
    retry: { maxAttempts: deps.maxAttempts ?? 5, baseMs: deps.retryBaseMs ?? 1000 },
    ...(deps.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: deps.maxUncompressedBytes }),
  });

  let stopped = false;
  // one run per document at a time in this process: the consumers and the sweep take turns on it
  const running = new Map<string, Promise<unknown>>();
  function serial<T>(tenantId: string, documentId: string, fn: () => Promise<T>): Promise<T> {
    const key = `${tenantId}:${documentId.toLowerCase()}`;
    const next = (running.get(key) ?? Promise.resolve()).catch(() => {}).then(fn);
    running.set(key, next);
    void next
      .finally(() => {
        if (running.get(key) === next) running.delete(key);
      })
      .catch(() => {});
    return next;
  }
  // uploads, links and settings changes go first: the background re-embedding waits while any runs
  let foreground = 0;
  const waiting: (() => void)[] = [];
  async function first<T>(fn: () => Promise<T>): Promise<T> {
    foreground += 1;
    try {
      return await fn();
    } finally {
      foreground -= 1;
      if (foreground === 0) for (const wake of waiting.splice(0)) wake();
    }
  }
  const idle = (): Promise<void> => (foreground === 0 ? Promise.resolve() : new Promise((wake) => waiting.push(wake)));

  const documents = deps.metrics?.ingestionDocuments;
  for (const outcome of INGESTION_OUTCOMES) documents?.inc({ outcome }, 0);
  // counted when a run ends (one that throws is redelivered, and counted when it ends then)
  const process = (t: string, d: string): Promise<void> =>
    first(() =>
      serial(t, d, async () => {
        const outcome = await processor.process(t, d);
        documents?.inc({ outcome });
      }),
    );
  const ensure = (t: string, d: string, opts: EnsureOptions) => first(() => serial(t, d, () => processor.ensureEmbeddings(t, d, opts)));

  /** Parses the envelope; a message that is not one is dropped for good (it can never succeed). */
  const handle =
    (name: string, fn: (e: EventEnvelope) => Promise<void>) =>
    async (msg: DeliveredEvent): Promise<void> => {
      const parsed = EventEnvelope.safeParse(
        (() => {
          try {
            return JSON.parse(new TextDecoder().decode(msg.payload)) as unknown;
          } catch {
            return null;
          }
        })(),
      );
      if (!parsed.success) {
        log.error({ consumer: name, subject: msg.subject }, 'unreadable event message; dropped');
        await msg.term();
        return;
      }
      const e = parsed.data;
      if (!accept(e.tenant_id)) {
        await msg.ack();
        return;
      }
      try {
        await fn(e);
      } catch (err) {
        log.warn(
          { consumer: name, tenant_id: e.tenant_id, project_id: e.project_id, correlation_id: e.correlation_id, event_id: e.id, err },
          'ingestion step failed; will be redelivered',
        );
        throw err;
      }
      await msg.ack();
    };

  const trigger = (e: EventEnvelope) => ({ id: e.id, correlation_id: e.correlation_id, traceparent: e.traceparent });

  async function onUploaded(e: EventEnvelope): Promise<void> {
    const documentId = documentIdOf(e.stream);
    if (documentId) await process(e.tenant_id, documentId);
  }

  async function onLinked(e: EventEnvelope): Promise<void> {
    const documentId = documentIdOf(e.stream);
    if (documentId) await ensure(e.tenant_id, documentId, { trigger: trigger(e) });
  }

  // the event's own settings win over the views, which may not have applied it yet
  async function onProjectSettings(e: EventEnvelope): Promise<void> {
    const projectId = e.project_id;
    if (!projectId) return;
    const { settings } = ProjectSettingsChanged.shape.data.parse(e.data);
    const ids = await withTenant(sql, e.tenant_id, (tx) => documentsOfProject(tx, e.tenant_id, projectId));
    await reembed(e, ids, { project: { projectId, settings } });
  }

  async function onTenantSettings(e: EventEnvelope): Promise<void> {
    const { settings } = TenantSettingsChanged.shape.data.parse(e.data);
    const ids = await withTenant(sql, e.tenant_id, (tx) => processedDocuments(tx, e.tenant_id));
    await reembed(e, ids, { tenant: settings });
  }

  /** Brings each document to the models the changed settings ask for, with progress in the log. */
  async function reembed(e: EventEnvelope, ids: string[], overrides: EnsureOptions['overrides']): Promise<void> {
    const clog = log.child({ tenant_id: e.tenant_id, project_id: e.project_id, correlation_id: e.correlation_id });
    let embedded = 0;
    for (const [i, documentId] of ids.entries()) {
      if ((await ensure(e.tenant_id, documentId, { trigger: trigger(e), ...(overrides ? { overrides } : {}) })) > 0) embedded += 1;
      if ((i + 1) % 100 === 0) clog.info({ done: i + 1, of: ids.length, embedded }, 'settings changed: re-embedding');
    }
    if (embedded > 0) clog.info({ documents: ids.length, embedded }, 'settings changed: re-embedding finished');
  }

  /**
   * Finds abandoned work in every tenant: documents still pending or processing (a worker died
   * mid-way, or the upload message never came) and processed documents with no embedding yet.
   */
  async function sweepOnce(): Promise<number> {
    const staleBefore = new Date(deps.clock.now().getTime() - (deps.staleAfterMs ?? 60_000));
    const tenants = await sql<{ tenant_id: string }[]>`select tenant_id from mandant_tenant_positions()`;
    let handled = 0;
    for (const { tenant_id } of tenants) {
      if (stopped) break;
      if (!accept(tenant_id)) continue;
      const ids = await withTenant(sql, tenant_id, (tx) => unfinishedDocuments(tx, tenant_id, staleBefore, SWEEP_BATCH));
      for (const document_id of ids) {
        if (stopped) break;
        await process(tenant_id, document_id).catch((err: unknown) =>
          log.warn({ tenant_id, document_id, err }, 'sweep could not process document'),
        );
        handled += 1;
      }
    }
    return handled;
  }

  // sweeps run one after another; each call is a full pass that starts after the previous one
  let sweeps: Promise<number> = Promise.resolve(0);
  let queued = 0;
  const sweep = (): Promise<number> => {
    queued += 1;
    const next = sweeps
      .catch(() => 0)
      .then(sweepOnce)
      .finally(() => {
        queued -= 1;
      });
    sweeps = next;
    return next;
  };

  const consumers = await Promise.all([
    transport.consume({ ...CONSUMERS.uploaded, ackWaitMs: ACK_WAIT_MS }, handle('uploaded', onUploaded)),
    transport.consume({ ...CONSUMERS.linked, ackWaitMs: ACK_WAIT_MS }, handle('linked', onLinked)),
    transport.consume({ ...CONSUMERS.projectSettings, ackWaitMs: ACK_WAIT_MS }, handle('project-settings', onProjectSettings)),
    transport.consume({ ...CONSUMERS.tenantSettings, ackWaitMs: ACK_WAIT_MS }, handle('tenant-settings', onTenantSettings)),
  ]);
  const timer = setInterval(() => {
    if (queued === 0) void sweep().catch((err: unknown) => log.warn({ err }, 'ingestion sweep failed'));
  }, deps.sweepMs ?? 30_000);
  void sweep().catch((err: unknown) => log.warn({ err }, 'initial ingestion sweep failed'));
  const rollover = startRollover({
    sql,
    log,
    defaultModel: deps.embedders.defaultModel,
    resolve: (m) => deps.embedders.get(m)?.model ?? null,
    accept,
    ensure: (t, d) => serial(t, d, () => processor.ensureEmbeddings(t, d)),
    idle,
    ...(deps.rolloverPauseMs === undefined ? {} : { pauseMs: deps.rolloverPauseMs }),
  });

  return {
    process,
    sweep,
    rollover: rollover.done,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await rollover.stop();
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await sweeps.catch(() => 0);
      await Promise.allSettled([...running.values()]);
    },
  };
}
