import { EventEnvelope } from '@mandant/contracts';
import { type Sql, type Tx, ahead, withTenant } from '../db/connect.ts';
import { rowToEnvelope } from '../eventstore/event-store.ts';
import type { Logger } from '../log.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { type EventRef, recordDeadLetter, retryDeadLetters, safeErrorText } from './dead-letters.ts';

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
}

export interface Projector {
  readonly key: string;
  /** Applies the tenant's log up to `upTo` (default: its head). Serialised per tenant. */
  catchUp(tenantId: string, upTo?: number): Promise<number>;
  /** Resolves once this projection reflects `position` for the tenant (read-your-writes). */
  waitFor(tenantId: string, position: number, timeoutMs?: number): Promise<void>;
  rebuild(tenantId: string): Promise<number>;
  stop(): Promise<void>;
}

export class ProjectionTimeoutError extends Error {
  override readonly name = 'ProjectionTimeoutError';
}

const PAGE = 500;
/** The tombstone of an offboarded tenant (see services/tenant): every projection purges the tenant on it. */
const TENANT_TOMBSTONE = 'tenant.offboarded.v1';
/**
 * Connection-level failures are retried without bound: the event is fine, the store is not.
 * Postgres and socket codes, Neo4j's unavailability codes, and the store ports' "unavailable"
 * errors count, wherever they sit in the `cause` chain. Known limit: an engine that refuses one
 * event for good with such an error holds that tenant's projector until it is fixed.
 */
const TRANSIENT_CODE = /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|CONNECT|CONNECTION_|ServiceUnavailable|SessionExpired)|^57P0|^08|TransientError/;
const TRANSIENT_NAME = /^(VectorIndexUnavailableError|TextIndexUnavailableError|BlobStoreError)$/;
const isTransient = (err: unknown): boolean => {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODE.test(code)) return true;
    if (typeof name === 'string' && TRANSIENT_NAME.test(name)) return true;
  }
  return false;
};

/** Which event of a page applied in turn failed, and why. */
class InTurnFailure extends Error {
  constructor(readonly index: number, override readonly cause: unknown) {
    super('an event of the page failed', { cause });
  }
}

/**
 * The fast path's failure to apply a page: which event failed when the events were applied in
 * turn (null when a batch failed as a whole), so the careful try of the same page does not try
 * again what is known to fail (a poison event is tried once per attempt).
 */
class FastPathFailure extends Error {
  constructor(readonly index: number | null, override readonly cause: unknown) {
    super('the page failed on the fast path', { cause });
  }
}

/** `apply` on each event in turn; a failure names the event's index. */
async function applyInTurn(projection: Projection, tx: Tx, events: readonly EventEnvelope[]): Promise<void> {
  for (const [index, event] of events.entries()) {
    try {
      await projection.apply(tx, event);
    } catch (err) {
      throw new InTurnFailure(index, err);
    }
  }
}

/**
 * Runs `fn` in a savepoint of postgres.js's own (`tx.savepoint`): when `fn` or any statement it
 * sent fails, rolls back to it and rethrows, and the page's transaction goes on.
 *
 * Why not a plain `savepoint` statement (sent ahead, no round trip), as this runner once did:
 * postgres.js remembers the first failed statement of a transaction scope even when the caller
 * caught it, and fails that scope with it at the end. A projection statement the database refused
 * (a NUL in a text column: 22021) was rolled back to the savepoint, then failed the whole page
 * transaction again at its commit, before the event was counted: never dead-lettered, retried for
 * ever, the tenant's views stalled. Only a nested scope keeps the error to itself. It costs a
 * round trip, so only a page applied carefully (see `run`) uses savepoints at all.
 */
function inSavepoint<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return tx.savepoint((sp) => fn(sp)) as Promise<T>;
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
export function startProjector(deps: {
  sql: Sql;
  projection: Projection;
  log: Logger;
  transport?: EventTransport;
  maxAttempts?: number;
  sweepMs?: number;
  /** how often to look for dead letters whose retry was asked for over the API (default 5 s) */
  retryPollMs?: number;
}): Projector {
  const { sql, projection, log } = deps;
  const key = `${projection.name}@v${projection.version}`;
  const maxAttempts = deps.maxAttempts ?? 5;
  const chains = new Map<string, Promise<number>>();
  const attempts = new Map<string, number>();
  const positions = new Map<string, number>();
  const waiters = new Set<{ tenantId: string; position: number; resolve: () => void }>();
  let stopped = false;

  function advanced(tenantId: string, position: number): void {
    positions.set(tenantId, position);
    for (const w of waiters) if (w.tenantId === tenantId && w.position <= position) {
      waiters.delete(w);
      w.resolve();
    }
  }

  type Failure = { event: EventRef; err: unknown };
  type Page = { position: number; more: boolean; failed?: Failure };
  /** What a page read before it failed: lets `run` blame an event when the page itself threw. */
  type Seen = { start: number; first?: EventRef; last: number };
  /** How the fast path failed on the page that starts after `start`. */
  type Known = { start: number; index: number | null; err: unknown };

  /**
   * Locks the tenant's checkpoint and reads the page after it, in one statement: one row per
   * event, or one row with no event when the projection is already at `upTo`. No row at all means
   * there is no checkpoint yet.
   */
  async function lockAndRead(tx: Tx, tenantId: string, upTo: number, limit: number) {
    return tx<(Record<string, unknown> & { checkpoint: number; id: string | null; tenant_seq: number; type: string })[]>`
      with cp as (select position from projection_checkpoints where tenant_id = ${tenantId} and projector = ${key} for update)
      select cp.position as checkpoint, e.* from cp left join lateral (
        select * from events where tenant_id = ${tenantId} and tenant_seq > cp.position and tenant_seq <= ${upTo}
        order by tenant_seq limit ${limit}) e on true`;
  }

  /**
   * The page's events up to the first one this projection must read but whose envelope does not
   * parse (a row written around the contracts): that one is the page's failure. Events the
   * projection ignores are not parsed, so their shape never holds it up.
   */
  function parsePage(rows: { id: string | null; tenant_seq: number; type: string }[]): { page: EventEnvelope[]; failed?: Failure } {
    const page: EventEnvelope[] = [];
    for (const row of rows) {
      const ref = { tenant_seq: Number(row.tenant_seq), id: String(row.id), type: String(row.type) };
      const parsed = EventEnvelope.safeParse(rowToEnvelope(row as never));
      if (parsed.success) page.push(parsed.data);
      else if (projection.handles(ref.type) || ref.type === TENANT_TOMBSTONE) return { page, failed: { event: ref, err: parsed.error } };
      else page.push(rowToEnvelope(row as never)); // unchecked, but only its type and position are read
    }
    return { page };
  }

  /** Applies up to a page; a failing event ends the page with everything before it committed. */
  async function applyPage(tenantId: string, upTo: number, limit: number, seen: Seen, careful: boolean, known?: Known): Promise<Page> {
    return withTenant(sql, tenantId, async (tx) => {
      // A read model and its checkpoint commit together, and both follow from the log: losing the
      // last moments of them in a crash only means applying those events again. So the commit
      // does not wait for the disk (sent ahead, no round trip); the log's own commits still do.
      let read = await ahead(tx`select set_config('synchronous_commit', 'off', true)`, () => lockAndRead(tx, tenantId, upTo, limit));
      if (read.length === 0) {
        await tx`insert into projection_checkpoints (tenant_id, projector) values (${tenantId}, ${key}) on conflict do nothing`;
        read = await lockAndRead(tx, tenantId, upTo, limit);
      }
      const start = read[0]?.checkpoint ?? 0;
      const rows = read.filter((r) => r.id !== null);
      const firstRow = rows[0];
      seen.start = start;
      seen.first = firstRow && { tenant_seq: Number(firstRow.tenant_seq), id: String(firstRow.id), type: String(firstRow.type) };
      seen.last = Number(rows.at(-1)?.tenant_seq ?? start);
      if (rows.length === 0) return { position: start, more: false };
      const { page, failed: unparsed } = parsePage(rows);
      const handled = page.filter((e) => projection.handles(e.type));
      const last = page.at(-1);
      let position = start;
      let failed: Page['failed'];
      let batched = false;
      // A projection without its own batch applies the page's events in turn.
      const applyAll = projection.applyBatch ?? ((sp: Tx, events: EventEnvelope[]) => applyInTurn(projection, sp, events));
      if (handled.length > 0 && last && !careful) {
        // The fast path, no savepoint: any failure fails the page's transaction, and `run` applies
        // the same page again carefully.
        try {
          await applyAll(tx, handled);
        } catch (err) {
          throw err instanceof InTurnFailure ? new FastPathFailure(err.index, err.cause) : new FastPathFailure(null, err);
        }
        position = last.tenant_seq;
        batched = true;
      } else if (handled.length > 0 && last) {
        // Carefully: the page's events in one savepoint (not one each). When one of them fails,
        // the ones before it are applied again and the page ends at it: the failing event is
        // tried once per attempt, as event by event.
        const hint = known?.start === start ? known : undefined;
        try {
          // what failed on the fast path a moment ago, on this same page, is not tried again
          if (hint) throw hint.index === null ? hint.err : new InTurnFailure(hint.index, hint.err);
          await inSavepoint(tx, (sp) => applyAll(sp, handled));
          position = last.tenant_seq;
          batched = true;
        } catch (caught) {
          const inTurn = caught instanceof InTurnFailure ? caught : null;
          const err = inTurn ? inTurn.cause : caught;
          const first = handled[0];
          const culprit = inTurn ? handled[inTurn.index] : undefined;
          if ((isTransient(err) || stopped) && first) {
            // a store that is down fails every event alike: no point in going one by one
            failed = { event: first, err };
          } else if (inTurn && culprit) {
            try {
              await inSavepoint(tx, (sp) => applyInTurn(projection, sp, handled.slice(0, inTurn.index)));
              position = culprit.tenant_seq - 1;
              failed = { event: culprit, err };
            } catch {
              // not deterministic after all: event by event below
            }
          }
          // otherwise (poison somewhere in a batch): fall through, one event at a time
        }
      } else if (last) {
        position = last.tenant_seq;
      }
      if (!batched && !failed && handled.length > 0) {
        position = start;
        for (const event of page) {
          if (projection.handles(event.type)) {
            try {
              await inSavepoint(tx, (sp) => projection.apply(sp, event));
            } catch (err) {
              failed = { event, err };
              break;
            }
          }
          position = event.tenant_seq;
        }
      }
      // an event that does not parse comes after the whole prefix: it fails only once that applied
      if (!failed && unparsed) failed = unparsed;
      // A tenant's tombstone empties every read model of it, whatever the projection handles;
      // nothing follows a tombstone in the log, so emptying at the end of its page is the same.
      const tombstone = page.find((e) => e.type === TENANT_TOMBSTONE && e.tenant_seq <= position);
      if (tombstone && !careful) {
        await projection.reset(tx, tenantId);
      } else if (tombstone) {
        try {
          await inSavepoint(tx, (sp) => projection.reset(sp, tenantId));
        } catch (err) {
          failed ??= { event: tombstone, err };
          position = Math.min(position, tombstone.tenant_seq - 1);
        }
      }
      if (position > start) await tx`update projection_checkpoints set position = ${position}, updated_at = now() where tenant_id = ${tenantId} and projector = ${key}`;
      return { position, more: !failed && rows.length === limit && position < upTo, failed };
    });
  }

  async function deadLetter(tenantId: string, event: EventRef, err: unknown, tries: number): Promise<void> {
    await withTenant(sql, tenantId, (tx) => recordDeadLetter(tx, tenantId, key, event, err, tries));
    log.error({ tenant_id: tenantId, projector: key, tenant_seq: event.tenant_seq, event_id: event.id, type: event.type, error: safeErrorText(err) }, 'event dead-lettered');
  }

  /**
   * Applies pages until `upTo`, or with none given until the end of the log. A page goes the
   * fast way first (no savepoints); when that fails, the same page is applied again carefully
   * (savepoints keep each failure to its event), and so are the pages after it until one applies
   * without a failure. Every failure that is not a store being unavailable is charged to one
   * event: the one that failed, or, when even the careful page's transaction failed (at its
   * commit, …), the page is read again one event per transaction until past it, so the next
   * failure names its event. That event is retried `maxAttempts` times, then dead-lettered, and
   * the tenant moves on.
   */
  async function run(tenantId: string, upTo: number | undefined): Promise<number> {
    const target = upTo ?? Number.MAX_SAFE_INTEGER;
    let careful = false;
    let known: Known | undefined;
    let at = 0;
    let narrowUntil = 0;
    for (;;) {
      const seen: Seen = { start: 0, last: 0 };
      let page: Page;
      try {
        page = await applyPage(tenantId, target, at < narrowUntil ? 1 : PAGE, seen, careful, known);
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
          log.warn({ tenant_id: tenantId, projector: key, from: seen.first.tenant_seq, to: seen.last, error: safeErrorText(err) }, 'page failed as a whole; applying it one event at a time');
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
        log.warn({ tenant_id: tenantId, projector: key, tenant_seq: event.tenant_seq, tries, error: safeErrorText(err) }, 'projection failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** tries)));
        continue;
      }
      await deadLetter(tenantId, event, err, tries);
      attempts.delete(id);
    }
  }

  function catchUp(tenantId: string, upTo?: number): Promise<number> {
    const prev = chains.get(tenantId) ?? Promise.resolve(0);
    const next = prev.catch(() => 0).then(() => run(tenantId, upTo));
    chains.set(tenantId, next);
    void next.finally(() => {
      if (chains.get(tenantId) === next) chains.delete(tenantId);
    }).catch(() => {});
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
    const next = prev.catch(() => 0).then(() => {
      requested.delete(tenantId);
      return run(tenantId, undefined);
    });
    chains.set(tenantId, next);
    void next.finally(() => {
      if (chains.get(tenantId) === next) chains.delete(tenantId);
    }).catch((err: unknown) => {
      log.warn({ err, tenant_id: tenantId, projector: key }, 'catch-up failed; asking again');
      const retry = setTimeout(() => requestCatchUp(tenantId), 1_000);
      retry.unref();
    });
  }

  async function sweep(): Promise<void> {
    const heads = await sql<{ tenant_id: string; last_seq: number }[]>`select * from mandant_tenant_positions()`;
    for (const h of heads) {
      if ((positions.get(h.tenant_id) ?? -1) < h.last_seq) await catchUp(h.tenant_id, h.last_seq).catch((err: unknown) => log.warn({ err, tenant_id: h.tenant_id, projector: key }, 'catch-up failed'));
    }
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
      const next = prev.catch(() => 0).then(async () => {
        const { applied, failed } = await retryDeadLetters({ sql, projection, tenantId, requestedOnly: true });
        log.info({ tenant_id: tenantId, projector: key, applied, failed: failed.map((f) => f.tenant_seq) }, 'dead letters retried on request');
        return positions.get(tenantId) ?? 0;
      });
      chains.set(tenantId, next);
      await next.finally(() => {
        if (chains.get(tenantId) === next) chains.delete(tenantId);
      }).catch((err: unknown) => log.warn({ tenant_id: tenantId, projector: key, error: safeErrorText(err) }, 'retry of dead letters failed'));
    }
  }

  const consumer = deps.transport?.consume({ durable: `projector-${projection.name}-v${projection.version}`, filterSubject: 'events.>', confirmAcks: false }, async (msg) => {
    // A message only says "the tenant has news up to at least here": only its tenant and position
    // are read (the event itself comes from the log). The projector then reads the log in pages on
    // its own (requestCatchUp), so the consumer keeps pace with the stream however long a page
    // takes, and a burst of N messages costs a few page transactions, not N. Acking before the
    // page is applied loses nothing: the log and the checkpoint decide what is applied, a failed
    // run is asked for again, and the sweep covers a process that died meanwhile. Acks are not
    // confirmed either: a lost ack is a redelivery, which the position check absorbs.
    const news = wakeUp(msg.payload);
    if (news && (positions.get(news.tenantId) ?? 0) < news.position) requestCatchUp(news.tenantId);
    void msg.ack().catch(() => {});
  });
  // the sweep covers events whose messages never arrive (transport down, in-process restart)
  const sweepTimer = setInterval(() => void sweep().catch(() => {}), deps.sweepMs ?? 30_000);
  const retryTimer = setInterval(() => void retryRequested().catch(() => {}), deps.retryPollMs ?? 5_000);
  void sweep().catch((err: unknown) => log.warn({ err, projector: key }, 'initial sweep failed'));

  return {
    key,
    catchUp,
    async waitFor(tenantId, position, timeoutMs = 10_000) {
      if ((positions.get(tenantId) ?? 0) >= position) return;
      const done = new Promise<void>((resolve) => waiters.add({ tenantId, position, resolve }));
      void catchUp(tenantId, position).catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProjectionTimeoutError(`${key} did not reach ${position} for tenant ${tenantId} within ${timeoutMs} ms`)), timeoutMs);
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
      return catchUp(tenantId);
    },
    async stop() {
      stopped = true;
      clearInterval(sweepTimer);
      clearInterval(retryTimer);
      await (await consumer)?.stop();
      await Promise.allSettled([...chains.values()]);
    },
  };
}
