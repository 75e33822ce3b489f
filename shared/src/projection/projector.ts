import { EventEnvelope } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import { ROOT_CONTEXT, type Attributes, context, trace } from '@opentelemetry/api';
import { inSpan, linksTo } from '../telemetry/tracing.ts';
import type { WorkMetrics } from '../telemetry/work-metrics.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { type EventRef, recordDeadLetter, retryDeadLetters, safeErrorText } from './dead-letters.ts';
import { isTransient } from '../errors.ts';
import { FastPathFailure, type Known, PAGE, type Page, REBUILD_PAGE, type Seen, createPageApplier } from './page.ts';

/** One read model: how an event changes it, and how to empty it for a rebuild. */
export interface Projection {
  name: string;
  /** bump to rebuild from scratch under a new checkpoint */
  version: number;
  handles: (type: string) => boolean;
  /**
   * Runs in the tenant's transaction that also moves the checkpoint: exactly once in effect. It
   * must issue its statements on the `tx` it is given (a savepoint's scope), and apply the same
   * event again without changing anything (a dead letter's retry does).
   */
  apply: (tx: Tx, event: EventEnvelope) => Promise<void>;
  /**
   * Optional: applies a page's handled events (in log order, one tenant) at once, in one savepoint
   * of the page's transaction. Its effect must equal `apply` on each event in turn (which is what
   * the runner does without it, under the one savepoint too). If it throws a non-transient error
   * the runner rolls it back and applies the page event by event through `apply`, each in its own
   * savepoint, so a poison event is isolated, retried and dead-lettered on its own.
   */
  applyBatch?: (tx: Tx, events: EventEnvelope[]) => Promise<void>;
  reset: (tx: Tx, tenantId: string) => Promise<void>;
  /**
   * Which projections may share a page transaction (group.ts): those of one lane. Default
   * `database`: read models whose writes stay in Postgres. A projection writing to an engine of
   * its own (Qdrant, Meilisearch, Neo4j, S3) names it, so its latency never holds up the others.
   */
  lane?: string;
}

export interface Projector {
  readonly key: string;
  /** Applies the tenant's log up to `upTo` (default: its head). Serialised per tenant. */
  catchUp(tenantId: string, upTo?: number): Promise<number>;
  /** Resolves once this projection reflects `position` for the tenant (read-your-writes). */
  waitFor(tenantId: string, position: number, timeoutMs?: number): Promise<void>;
  /** Empties the read model for the tenant and applies its whole log again, in pages of `REBUILD_PAGE`. */
  rebuild(tenantId: string): Promise<number>;
  stop(): Promise<void>;
}

export class ProjectionTimeoutError extends Error {
  override readonly name = 'ProjectionTimeoutError';
}

const WakeUp = EventEnvelope.pick({ tenant_id: true, tenant_seq: true });
const decoder = new TextDecoder();

/** The tenant and position a delivered event announces; null for a message that is no event. */
function wakeUp(payload: Uint8Array): { tenantId: string; position: number } | null {
  try {
    const e = WakeUp.parse(JSON.parse(decoder.decode(payload)));
    return { tenantId: e.tenant_id, position: e.tenant_seq };
  } catch {
    return null;
  }
}

/**
 * The projection as one page's applier sees it, noting in `handed` the positions the page gave
 * to `apply` or `applyBatch`. Once the page committed, those up to its new checkpoint are the
 * events this process applied: one handed over and rolled back (a savepoint, a failed fast path)
 * is either handed over again or lies past the checkpoint.
 */
function noting(projection: Projection, handed: Set<number>): Projection {
  const batch = projection.applyBatch;
  return {
    ...projection,
    apply: (tx, event) => {
      handed.add(event.tenant_seq);
      return projection.apply(tx, event);
    },
    ...(batch
      ? {
          applyBatch: (tx: Tx, events: EventEnvelope[]) => {
            for (const e of events) handed.add(e.tenant_seq);
            return batch(tx, events);
          },
        }
      : {}),
  };
}

/**
 * The projection with a span per call: `projector <key>`, a trace of its own linked to the trace
 * of each request whose events it applies, and inside it `read-store <key>` around the read
 * model's own call. Ids and counts only: never event data.
 */
function tracing(projection: Projection, key: string): Projection {
  const batch = projection.applyBatch;
  const traced = <T>(events: readonly EventEnvelope[], call: () => Promise<T>): Promise<T> => {
    const first = events[0];
    const projects = new Set(events.map((e) => e.project_id));
    const attributes: Attributes = {
      'mandant.projector': key,
      'mandant.events': events.length,
      ...(first ? { tenant_id: first.tenant_id } : {}),
      ...(projects.size === 1 && first?.project_id ? { project_id: first.project_id } : {}),
    };
    const links = linksTo(events.map((e) => e.traceparent));
    return inSpan(`projector ${key}`, { attributes, links, parent: ROOT_CONTEXT }, (span) =>
      inSpan(`read-store ${key}`, { attributes, parent: trace.setSpan(context.active(), span) }, call),
    );
  };
  return {
    ...projection,
    apply: (tx, event) => traced([event], () => projection.apply(tx, event)),
    ...(batch ? { applyBatch: (tx: Tx, events: EventEnvelope[]) => traced(events, () => batch(tx, events)) } : {}),
  };
}

/** What a projector (or a group of them, see group.ts) is started with. */
export interface ProjectorOptions {
  sql: Sql;
  log: Logger;
  transport?: EventTransport;
  maxAttempts?: number;
  /** how often every tenant's position is compared with the log's head (default 5 s) */
  sweepMs?: number;
  /** how often to look for dead letters whose retry was asked for over the API (default 5 s) */
  retryPollMs?: number;
  /** this process's work counters: events applied and pages committed, per projector */
  metrics?: Pick<WorkMetrics, 'projectorEventsApplied' | 'projectorPages'>;
}

/**
 * One projection's runner: its pages, retries, dead letters and waiters. What wakes it (a
 * consumer, a sweep) is the driver's (`drive`), its own or a group's.
 */
export interface Runner {
  readonly key: string;
  /** the projection as the runner applies it (traced) */
  readonly projection: Projection;
  readonly labels: { projector: string };
  /** the position this process last saw the projection at for the tenant (0: none yet) */
  position(tenantId: string): number;
  /** notes a committed position: resolves the waiters it satisfies */
  advanced(tenantId: string, position: number): void;
  /** pages to `upTo` (default: the head), queued behind the tenant's other runs */
  catchUp(tenantId: string, upTo?: number): Promise<number>;
  /** a catch-up to the head, not waited for; bursts fold into one run, a failed run is asked for again */
  requestCatchUp(tenantId: string): void;
  retryRequested(): Promise<void>;
  /**
   * The Projector the callers hold; `stopDriver` stops what wakes the runner. With `group` (a
   * group's catch-up of the tenant to its head), `catchUp` and `waitFor` go through the group,
   * which moves this projection with the others.
   */
  projector(stopDriver: () => Promise<void>, group?: (tenantId: string) => Promise<void>): Projector;
}

/**
 * Keeps a read model in step with the log. JetStream deliveries only say "tenant T has news up
 * to N": the projector then reads the missing range from the Postgres log itself, so a lost or
 * reordered message can delay it but never make it skip. Each page is applied and checkpointed
 * in one transaction under a row lock on the checkpoint, so concurrent instances and redeliveries
 * apply every event exactly once in effect. A failing event is retried with backoff; after
 * `maxAttempts` it is dead-lettered and the tenant moves on (other tenants never wait on it).
 * Each page's handled events are applied at once (through `applyBatch` when the projection has
 * one), without a savepoint; when that fails for a reason other than an unavailable store, the
 * page is applied again carefully, in savepoints, event by event where needed, so only the
 * failing event is retried and dead-lettered. Whatever fails and wherever (a statement, the
 * envelope, the commit), only an unavailable store is retried without bound.
 */
export function startProjector(deps: ProjectorOptions & { projection: Projection }): Projector {
  const runner = createRunner(deps);
  const stopDriver = drive({
    ...deps,
    durable: `projector-${deps.projection.name}-v${deps.projection.version}`,
    runners: [runner],
    behind: (tenantId, position) => runner.position(tenantId) < position,
    request: (tenantId) => runner.requestCatchUp(tenantId),
    catchUp: (tenantId, upTo) => runner.catchUp(tenantId, upTo),
  });
  return runner.projector(stopDriver);
}

/** A projection's checkpoint name: `name@vN`. */
export const projectorKey = (projection: Pick<Projection, 'name' | 'version'>): string => `${projection.name}@v${projection.version}`;

/**
 * What wakes runners: a JetStream durable whose messages only say "tenant T has news up to N"
 * (`behind` tells whether that is news here; `request` asks for the catch-up), a sweep that
 * compares every tenant's position with the log's head, and the poll for dead-letter retries
 * asked for over the API. Returns its stop.
 */
export function drive(
  deps: ProjectorOptions & {
    durable: string;
    runners: readonly Runner[];
    behind: (tenantId: string, position: number) => boolean;
    request: (tenantId: string) => void;
    /** a catch-up of the tenant that the sweep waits for */
    catchUp: (tenantId: string, upTo: number) => Promise<unknown>;
  },
): () => Promise<void> {
  const { sql, log, runners } = deps;
  const names = runners.map((r) => r.key).join(',');
  const consumer = deps.transport?.consume({ durable: deps.durable, filterSubject: 'events.>', confirmAcks: false }, async (msg) => {
    // A message only says "the tenant has news up to at least here": only its tenant and position
    // are read (the event itself comes from the log). The runner then reads the log in pages on
    // its own (request), so the consumer keeps pace with the stream however long a page takes, and
    // a burst of N messages costs a few page transactions, not N. Acking before the page is applied
    // loses nothing: the log and the checkpoint decide what is applied, a failed run is asked for
    // again, and the sweep covers a process that died meanwhile. Acks are not confirmed either: a
    // lost ack is a redelivery, which the position check absorbs.
    const news = wakeUp(msg.payload);
    if (news && deps.behind(news.tenantId, news.position)) deps.request(news.tenantId);
    void msg.ack().catch(() => {});
  });

  async function sweep(): Promise<void> {
    const heads = await sql<{ tenant_id: string; last_seq: number }[]>`select * from mandant_tenant_positions()`;
    for (const h of heads) {
      if (deps.behind(h.tenant_id, h.last_seq))
        await deps
          .catchUp(h.tenant_id, h.last_seq)
          .catch((err: unknown) => log.warn({ err, tenant_id: h.tenant_id, projector: names }, 'catch-up failed'));
    }
  }
  async function retryRequested(): Promise<void> {
    for (const r of runners) await r.retryRequested();
  }
  // The sweep covers events whose messages never arrive (transport down, in-process restart) or
  // arrive late: messages a NATS node had handed to a connection that died with it come back only
  // after the consumer's ack wait (30 s), and writers wait for the views (read your writes) for 10 s.
  const sweepTimer = setInterval(() => void sweep().catch(() => {}), deps.sweepMs ?? 5_000);
  const retryTimer = setInterval(() => void retryRequested().catch(() => {}), deps.retryPollMs ?? 5_000);
  void sweep().catch((err: unknown) => log.warn({ err, projector: names }, 'initial sweep failed'));
  return async () => {
    clearInterval(sweepTimer);
    clearInterval(retryTimer);
    await (await consumer)?.stop();
  };
}

export function createRunner(deps: ProjectorOptions & { projection: Projection }): Runner {
  const { sql, log } = deps;
  const key = projectorKey(deps.projection);
  const projection = tracing(deps.projection, key);
  const maxAttempts = deps.maxAttempts ?? 5;
  const chains = new Map<string, Promise<number>>();
  const attempts = new Map<string, number>();
  const positions = new Map<string, number>();
  const waiters = new Set<{ tenantId: string; position: number; resolve: () => void }>();
  let stopped = false;

  // never backwards: a group's page and this runner's own run may report out of order
  function advanced(tenantId: string, position: number): void {
    position = Math.max(position, positions.get(tenantId) ?? 0);
    positions.set(tenantId, position);
    for (const w of waiters)
      if (w.tenantId === tenantId && w.position <= position) {
        waiters.delete(w);
        w.resolve();
      }
  }

  const applyPage = createPageApplier({ sql, projection, key, stopped: () => stopped });
  const labels = { projector: key };
  deps.metrics?.projectorEventsApplied.inc(labels, 0);
  deps.metrics?.projectorPages.inc(labels, 0);

  /**
   * A page, counted once it committed (pages that moved the checkpoint, and the events they
   * applied). Counting builds the page's applier around a projection of its own, so pages of
   * different tenants running at once never mix their counts.
   */
  async function applyCountedPage(
    tenantId: string,
    upTo: number,
    limit: number,
    seen: Seen,
    careful: boolean,
    known?: Known,
  ): Promise<Page> {
    const metrics = deps.metrics;
    if (!metrics) return applyPage(tenantId, upTo, limit, seen, careful, known);
    const handed = new Set<number>();
    const applier = createPageApplier({ sql, projection: noting(projection, handed), key, stopped: () => stopped });
    const page = await applier(tenantId, upTo, limit, seen, careful, known);
    if (page.position > seen.start) {
      let applied = 0;
      for (const seq of handed) if (seq > seen.start && seq <= page.position) applied += 1;
      metrics.projectorPages.inc(labels);
      metrics.projectorEventsApplied.inc(labels, applied);
    }
    return page;
  }

  async function deadLetter(tenantId: string, event: EventRef, err: unknown, tries: number): Promise<void> {
    await withTenant(sql, tenantId, (tx) => recordDeadLetter(tx, tenantId, key, event, err, tries));
    log.error(
      {
        tenant_id: tenantId,
        projector: key,
        tenant_seq: event.tenant_seq,
        event_id: event.id,
        type: event.type,
        error: safeErrorText(err),
      },
      'event dead-lettered',
    );
  }

  /**
   * Applies pages until `upTo`, or with none given until the end of the log. A page goes the
   * fast way first (no savepoints); when that fails, the same page is applied again carefully
   * (savepoints keep each failure to its event), and so are the pages after it until one applies
   * without a failure. Every failure that is not a store being unavailable is charged to one
   * event: the one that failed, or, when even the careful page's transaction failed (at its
   * commit, …), the page is read again one event per transaction until past it, so the next
   * failure names its event. That event is retried `maxAttempts` times, then dead-lettered, and
   * the tenant moves on. `pageSize`: events per page (a rebuild's are larger).
   */
  async function run(tenantId: string, upTo: number | undefined, pageSize = PAGE): Promise<number> {
    const target = upTo ?? Number.MAX_SAFE_INTEGER;
    let careful = false;
    let known: Known | undefined;
    let at = 0;
    let narrowUntil = 0;
    for (;;) {
      const seen: Seen = { start: 0, last: 0 };
      let page: Page;
      try {
        page = await applyCountedPage(tenantId, target, at < narrowUntil ? 1 : pageSize, seen, careful, known);
        known = undefined;
      } catch (caught) {
        known = undefined;
        const err = caught instanceof FastPathFailure ? caught.cause : caught;
        // a store that is down is not the event's fault: retry without bound, never dead-letter
        if (isTransient(err) || stopped || !seen.first) throw err;
        if (!careful) {
          careful = true;
          if (caught instanceof FastPathFailure) known = { start: seen.start, index: caught.index, err };
          continue;
        }
        if (seen.last > seen.first.tenant_seq) {
          log.warn(
            { tenant_id: tenantId, projector: key, from: seen.first.tenant_seq, to: seen.last, error: safeErrorText(err) },
            'page failed as a whole; applying it one event at a time',
          );
          at = seen.start;
          narrowUntil = seen.last;
          continue;
        }
        page = { position: seen.start, more: true, failed: { event: seen.first, err } };
      }
      const { position, more, failed } = page;
      at = position;
      advanced(tenantId, position);
      if (!failed) {
        if (at >= narrowUntil) careful = false;
        if (!more) return position;
        continue;
      }
      const { event, err } = failed;
      if (isTransient(err) || stopped) throw err;
      const id = `${tenantId}:${event.tenant_seq}`;
      const tries = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, tries);
      if (tries < maxAttempts) {
        log.warn(
          { tenant_id: tenantId, projector: key, tenant_seq: event.tenant_seq, tries, error: safeErrorText(err) },
          'projection failed; retrying',
        );
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** tries)));
        continue;
      }
      await deadLetter(tenantId, event, err, tries);
      attempts.delete(id);
    }
  }

  function catchUp(tenantId: string, upTo?: number, pageSize = PAGE): Promise<number> {
    const prev = chains.get(tenantId) ?? Promise.resolve(0);
    const next = prev.catch(() => 0).then(() => run(tenantId, upTo, pageSize));
    chains.set(tenantId, next);
    void next
      .finally(() => {
        if (chains.get(tenantId) === next) chains.delete(tenantId);
      })
      .catch(() => {});
    return next;
  }

  /**
   * Asks for a catch-up of the tenant to its head without waiting for it. Requests that arrive
   * while one is queued and not yet started are folded into it, so a burst of messages costs one
   * run; a request during a run queues exactly one more (for what was appended meanwhile). A run
   * that fails is asked for again after a pause: the log, not the message, is what must be applied.
   */
  const requested = new Set<string>();
  function requestCatchUp(tenantId: string): void {
    if (requested.has(tenantId) || stopped) return;
    requested.add(tenantId);
    const prev = chains.get(tenantId) ?? Promise.resolve(0);
    const next = prev
      .catch(() => 0)
      .then(() => {
        requested.delete(tenantId);
        return run(tenantId, undefined);
      });
    chains.set(tenantId, next);
    void next
      .finally(() => {
        if (chains.get(tenantId) === next) chains.delete(tenantId);
      })
      .catch((err: unknown) => {
        log.warn({ err, tenant_id: tenantId, projector: key }, 'catch-up failed; asking again');
        const retry = setTimeout(() => requestCatchUp(tenantId), 1_000);
        retry.unref();
      });
  }

  /**
   * Carries out the retries asked for over the API (see requestRetry) of this projector's dead
   * letters, queued behind the tenant's catch-ups like any run: the projector that owns the read
   * model applies them, whichever process took the request.
   */
  let polling = false;
  async function retryRequested(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      await retryRequestedNow();
    } finally {
      polling = false;
    }
  }
  async function retryRequestedNow(): Promise<void> {
    const tenants = await sql<{ tenant_id: string }[]>`select r as tenant_id from mandant_dead_letter_retries(${key}) r`;
    for (const { tenant_id: tenantId } of tenants) {
      if (stopped) return;
      const prev = chains.get(tenantId) ?? Promise.resolve(0);
      const next = prev
        .catch(() => 0)
        .then(async () => {
          const { applied, failed } = await retryDeadLetters({ sql, projection, tenantId, requestedOnly: true });
          deps.metrics?.projectorEventsApplied.inc(labels, applied.length);
          log.info(
            { tenant_id: tenantId, projector: key, applied, failed: failed.map((f) => f.tenant_seq) },
            'dead letters retried on request',
          );
          return positions.get(tenantId) ?? 0;
        });
      chains.set(tenantId, next);
      await next
        .finally(() => {
          if (chains.get(tenantId) === next) chains.delete(tenantId);
        })
        .catch((err: unknown) =>
          log.warn({ tenant_id: tenantId, projector: key, error: safeErrorText(err) }, 'retry of dead letters failed'),
        );
    }
  }

  const asProjector = (stopDriver: () => Promise<void>, group?: (tenantId: string) => Promise<void>): Projector => ({
    key,
    catchUp: group
      ? async (tenantId) => {
          await group(tenantId);
          return positions.get(tenantId) ?? 0;
        }
      : (tenantId, upTo) => catchUp(tenantId, upTo),
    async waitFor(tenantId, position, timeoutMs = 10_000) {
      if ((positions.get(tenantId) ?? 0) >= position) return;
      const done = new Promise<void>((resolve) => waiters.add({ tenantId, position, resolve }));
      void (group ? group(tenantId) : catchUp(tenantId, position)).catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProjectionTimeoutError(`${key} did not reach ${position} for tenant ${tenantId} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async rebuild(tenantId) {
      await chains.get(tenantId)?.catch(() => 0);
      await withTenant(sql, tenantId, async (tx) => {
        await projection.reset(tx, tenantId);
        await tx`delete from projection_checkpoints where tenant_id = ${tenantId} and projector = ${key}`;
        await tx`delete from projection_dead_letters where tenant_id = ${tenantId} and projector = ${key}`;
      });
      positions.delete(tenantId);
      return catchUp(tenantId, undefined, REBUILD_PAGE);
    },
    async stop() {
      stopped = true;
      await stopDriver();
      await Promise.allSettled([...chains.values()]);
    },
  });

  return {
    key,
    projection,
    labels,
    position: (tenantId) => positions.get(tenantId) ?? 0,
    advanced,
    catchUp: (tenantId, upTo) => catchUp(tenantId, upTo),
    requestCatchUp,
    retryRequested,
    projector: asProjector,
  };
}
