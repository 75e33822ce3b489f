/**
 * The whole write-to-read pipeline of one all-in-one process, for the benchmarks that measure
 * commit-to-visible lag (`bench/lag.ts`, `bench/fairness.ts`): event store and outbox relay on the
 * runtime's pool, JetStream on a private nats-server, one projector per read model (relational
 * views and document stores) on a pool of their own, run as one group as the platform runs them
 * (BENCH_PROJECTORS=each: each on its own consumer and transactions, as before groups), the
 * embedded stores on theirs, and a checkpoint watch that records when each projector first showed
 * each position.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EventMeta } from '@mandant/contracts';
import { documentViews } from '@mandant/documents';
import { membershipViews } from '@mandant/membership';
import { projectViews } from '@mandant/project';
import { type DocumentProjectionName, documentProjections } from '@mandant/projectors';
import { type Sql, createSql, keepStatistics } from '@mandant/shared/db';
import { type EventStore, createEventStore } from '@mandant/shared/eventstore';
import { createLogger } from '@mandant/shared/log';
import { startOutboxRelay } from '@mandant/shared/outbox';
import { type Projection, type Projector, startProjector, startProjectors } from '@mandant/shared/projection';
import { findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import type { EventTransport } from '@mandant/shared/transport';
import { createJetStreamTransport } from '@mandant/shared/transport';
import { tenantViews } from '@mandant/tenant';
import { conversationViews } from '@mandant/chat';
import { CheckpointWatch } from './checkpoint-watch.ts';
import { type BenchDatabase, type BenchStores, type SharedStores, createBenchStores } from './harness.ts';
import { type PreparedDocument, type Step, type TenantWorkload, prepareDocument, rng, tenantWorkload } from './lag-workload.ts';

export interface ReadModel {
  label: string;
  kind: 'view' | 'store';
  projection: Projection;
}
export interface ConsumerStats {
  deliveries: number;
  redeliveries: number;
  handlerMs: number;
}

export interface Pipeline {
  /** the private nats-server's URL, for projector replicas in other processes */
  natsUrl: string;
  events: EventStore;
  stores: BenchStores;
  readModels: ReadModel[];
  /** in the order of `readModels` */
  projectors: Projector[];
  watch: CheckpointWatch;
  /** the database owner's pool of one, for observers */
  watchSql: Sql;
  /** event id → when the relay's publish of it was first acknowledged */
  published: Map<string, number>;
  /** whether the projectors run as one group (one durable, one transaction per page) or each on its own */
  grouped: boolean;
  /** per durable (the group's, or each projector's): JetStream deliveries and the time its handler took */
  consumers: Map<string, ConsumerStats>;
  /** tenants whose deliveries are traced into `deliveredAt` */
  traced: Set<string>;
  /** event id of a traced tenant → when the last of the projectors' consumers (or the group's one) first received it */
  deliveredAt: Map<string, number>;
  /** appends each tenant's setup steps (tenant, users, projects, memberships) and waits for every projector to have them */
  setUp: (
    tenants: string[],
    shape: { documentsPerTenant: number; chunks: number; dimension: number; seed: (t: number) => number },
  ) => Promise<Array<{ tenantId: string; w: TenantWorkload }>>;
}

/** Every read model of the all-in-one process, as the pipeline (and a replica of its projectors) runs them. */
export function benchReadModels(stores: BenchStores & { lanes?: Partial<Record<DocumentProjectionName, string>> }): ReadModel[] {
  const docs = documentProjections(stores);
  return [
    { label: 'tenant views', kind: 'view', projection: tenantViews },
    { label: 'membership views', kind: 'view', projection: membershipViews(stores.keyring) },
    { label: 'project views', kind: 'view', projection: projectViews },
    { label: 'document views', kind: 'view', projection: documentViews(stores.keyring) },
    { label: 'conversation views', kind: 'view', projection: conversationViews(stores.keyring) },
    { label: 'vectors', kind: 'store', projection: docs.vectors },
    { label: 'text', kind: 'store', projection: docs.text },
    { label: 'graph', kind: 'store', projection: docs.graph },
    { label: 'blobs', kind: 'store', projection: docs.blobs },
  ];
}

/** BENCH_PROJECTORS: `group` (default, as the platform runs them) or `each` (a consumer and transactions per projector). */
export function groupedProjectors(): boolean {
  const mode = process.env.BENCH_PROJECTORS ?? 'group';
  if (mode !== 'group' && mode !== 'each') throw new Error(`BENCH_PROJECTORS must be group or each, not ${mode}`);
  return mode === 'group';
}

/** How the projectors consume, for a benchmark's description of its pipeline. */
export function consumingLine(grouped: boolean, readModels: readonly ReadModel[]): string {
  if (!grouped) return 'each a JetStream durable consumer of events.> with transactions of its own';
  const lanes = new Map<string, string[]>();
  for (const m of readModels) {
    const lane = m.projection.lane ?? 'database';
    lanes.set(lane, [...(lanes.get(lane) ?? []), m.label]);
  }
  const parts = [...lanes].map(([lane, labels]) => `${lane}: ${labels.join(', ')}${labels.length > 1 ? ' as one group' : ' on its own'}`);
  return `run in lanes, each group with one JetStream durable consumer of events.> and one transaction per tenant page for all of its projections (${parts.join('; ')})`;
}

export async function startPipeline(
  db: BenchDatabase,
  onCleanup: (fn: () => Promise<void>) => void,
  opts: {
    name: string;
    sweepMs: number;
    pollMs: number;
    meta: EventMeta;
    shared?: SharedStores;
    /** vectors and text on other engines than the embedded Postgres stores (Qdrant, Meilisearch) */
    engines?: Pick<BenchStores, 'vectors' | 'text'>;
  },
): Promise<Pipeline> {
  const { appUrl, ownerUrl } = db;
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: opts.name });
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server not found on PATH');
  const natsDir = await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-nats-'));
  onCleanup(() => rm(natsDir, { recursive: true, force: true }));
  const nats = await startNatsServer({ binary, storeDir: natsDir, log });
  onCleanup(() => nats.stop());

  // pools as the platform splits them: the runtime's (event store and relay), the projectors', the stores'
  const eventSql = createSql(appUrl, { max: 10, appName: `mandant-${opts.name}-events` });
  onCleanup(() => eventSql.end({ timeout: 5 }));
  // no statement counting here: it costs a stack capture per query (see createBenchStores);
  // the reports give the database's transactions per second instead
  const projectorSql = createSql(appUrl, { max: 10, appName: `mandant-${opts.name}-projectors` });
  onCleanup(() => projectorSql.end({ timeout: 5 }));
  const embedded = await createBenchStores(appUrl, { countStatements: false, ...(opts.shared ? { shared: opts.shared } : {}) });
  onCleanup(() => embedded.close());
  // an engine's projection runs in a lane of its own, as the platform runs it (ReadStores.lanes)
  const stores = opts.engines ? { ...embedded, ...opts.engines, lanes: { vectors: 'qdrant', text: 'meilisearch' } } : embedded;
  const transport = await createJetStreamTransport({ servers: [nats.url], log, name: `mandant-${opts.name}` });
  onCleanup(() => transport.close());

  const events = createEventStore(eventSql);
  const published = new Map<string, number>();
  // the relay publishes through this wrapper so a report can split commit → published → visible
  const timedTransport: EventTransport = {
    ...transport,
    async publish(e) {
      await transport.publish(e);
      if (!published.has(e.msgId)) published.set(e.msgId, performance.now());
    },
  };
  const relay = startOutboxRelay({ sql: eventSql, transport: timedTransport, log, store: events });
  onCleanup(() => relay.stop());
  // as every platform process does (shared/src/service/runtime.ts)
  const statistics = keepStatistics({ sql: eventSql, log });
  onCleanup(() => statistics.stop());

  const readModels = benchReadModels(stores);
  // each projector consumes through this wrapper: deliveries and the time its handler takes per delivery
  const consumers = new Map<string, ConsumerStats>();
  const traced = new Set<string>();
  const deliveredAt = new Map<string, number>();
  const seenBy = new Map<string, number>();
  const decoder = new TextDecoder();
  const countingTransport: EventTransport = {
    ...transport,
    consume(consumeOpts, handler) {
      const c = { deliveries: 0, redeliveries: 0, handlerMs: 0 };
      consumers.set(consumeOpts.durable, c);
      return transport.consume(consumeOpts, async (msg) => {
        const t = performance.now();
        if (traced.size > 0 && !msg.redelivered && traced.has(msg.subject.split('.')[1] ?? '')) {
          const id = (JSON.parse(decoder.decode(msg.payload)) as { id: string }).id;
          const n = (seenBy.get(id) ?? 0) + 1;
          seenBy.set(id, n);
          if (n === consumers.size) deliveredAt.set(id, t);
        }
        try {
          await handler(msg);
        } finally {
          c.deliveries += 1;
          if (msg.redelivered) c.redeliveries += 1;
          c.handlerMs += performance.now() - t;
        }
      });
    },
  };
  const grouped = groupedProjectors();
  const common = { sql: projectorSql, log, transport: countingTransport, sweepMs: opts.sweepMs };
  const projectors = grouped
    ? startProjectors({ ...common, projections: readModels.map((m) => m.projection) })
    : readModels.map((m) => startProjector({ ...common, projection: m.projection }));
  onCleanup(async () => void (await Promise.allSettled(projectors.map((p) => p.stop()))));
  const watchSql = createSql(ownerUrl, { max: 1, appName: `mandant-${opts.name}-watch` });
  onCleanup(() => watchSql.end({ timeout: 5 }));
  const watch = new CheckpointWatch(watchSql, opts.pollMs);

  return {
    natsUrl: nats.url,
    grouped,
    events,
    stores,
    readModels,
    projectors,
    watch,
    watchSql,
    published,
    consumers,
    traced,
    deliveredAt,
    async setUp(tenants, shape) {
      const workloads = await Promise.all(
        tenants.map(async (tenantId, t) => {
          const rand = rng(shape.seed(t));
          const prepared: PreparedDocument[] = [];
          for (let i = 0; i < shape.documentsPerTenant; i++)
            prepared.push(await prepareDocument(stores, tenantId, rand, { chunks: shape.chunks, dimension: shape.dimension }));
          const w = tenantWorkload(tenantId, rand, prepared, { users: 20, projects: 6 });
          for (const step of w.setup()) await events.append(tenantId, step.stream, 'any', [step.event], opts.meta);
          return { tenantId, w };
        }),
      );
      await Promise.all(
        tenants.map(async (t) => {
          const head = await events.head(t);
          await Promise.all(projectors.map((p) => p.waitFor(t, head, 120_000)));
        }),
      );
      return workloads;
    },
  };
}

/** An append that resolved: when, and where it landed. */
export interface Committed {
  id: string;
  tenantId: string;
  seq: number;
  type: string;
  committedAt: number;
  measured: boolean;
}

/**
 * Appends steps one event per append (as command handlers append), keeping each stream's steps
 * in the order issued: a step waits for the one before it on its stream, never for others. As a
 * command handler appends at the version it decided on, each append names the stream's version
 * that the one before it returned (the first of a stream, or one after a failure, appends at any
 * version and learns it).
 */
export function streamOrderedAppender(events: EventStore, meta: EventMeta, onCommitted: (c: Committed) => void) {
  const chains = new Map<string, Promise<void>>();
  const versions = new Map<string, number>();
  const appendMs: number[] = [];
  const stats = { inFlight: 0, maxInFlight: 0, failures: 0 };
  return {
    appendMs,
    stats,
    /** resolves when this step's append settled */
    issue(tenantId: string, step: Step, measured: boolean): Promise<void> {
      const key = `${tenantId}/${step.stream}`;
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      const run = async (): Promise<void> => {
        const t0 = performance.now();
        try {
          const res = await events.append(tenantId, step.stream, versions.get(key) ?? 'any', [step.event], meta);
          versions.set(key, res.version);
          const now = performance.now();
          appendMs.push(now - t0);
          onCommitted({ id: step.event.id, tenantId, seq: res.position, type: step.event.type, committedAt: now, measured });
        } catch (err) {
          stats.failures += 1;
          versions.delete(key);
          if (stats.failures <= 3) console.error(`append failed: ${(err as Error).message}`);
        } finally {
          stats.inFlight -= 1;
        }
      };
      const next = (chains.get(key) ?? Promise.resolve()).then(run);
      chains.set(key, next);
      void next.finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
      return next;
    },
    /** resolves when every step issued so far has settled */
    async settled(): Promise<void> {
      await Promise.all([...chains.values()]);
    },
  };
}
