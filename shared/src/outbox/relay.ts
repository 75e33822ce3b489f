import { type EventEnvelope, eventSubject } from '@mandant/contracts';
import { type Sql, type Tx, ahead, derivedStateSettings, readOfTheLog, withTenant } from '../db/connect.ts';
import { type EventStore, rowToEnvelope } from '../eventstore/event-store.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { inSpan, linksTo } from '../telemetry/tracing.ts';
import type { EventTransport } from '../transport/event-transport.ts';

export interface OutboxRelay {
  /** Publishes everything pending now; resolves with the number of events published. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 500;
/** publishes of one tenant in flight at once */
const WINDOW = 100;
const TENANTS_AT_ONCE = 4;

export function encodeEvent(e: EventEnvelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(e));
}

/*
 * The outbox holds a tenant's unpublished positions in two forms: runs (`outbox_ranges`, one row
 * per append call: first and last position) and single positions (`outbox`, one row per event,
 * written by appends of the version before migration 260 during a rolling update). Together they
 * are the positions after the last one published, in order: the relay takes them from the lowest,
 * whichever form holds them.
 */

/**
 * The tenant's next page of unpublished events, read under the tenant's relay lock in the same
 * statement: no page unless this relay holds the lock. The page covers the BATCH positions from
 * the lowest pending one, so a run is expanded only as far as the page reaches, and the events are
 * read by one range of the log's primary key (pending positions are the ones after the last
 * published, so the range holds little else). Never a join that the planner may turn into a walk
 * of the tenant's whole log (a hash join over it, when tables have no statistics): the cost stays
 * that of a page however long the log grows.
 */
function pendingPage(tx: Tx, tenantId: string): Promise<Record<string, unknown>[]> {
  return readOfTheLog(
    tx,
    tx`
    with held as (select pg_try_advisory_xact_lock(hashtext(${`outbox:${tenantId}`})) as ok),
    lo as (
      select least((select min(o.tenant_seq) from outbox o where o.tenant_id = ${tenantId}),
                   (select min(r.first_seq) from outbox_ranges r where r.tenant_id = ${tenantId})) as m
      from held where held.ok),
    page as (
      select lo.m, array(
        select o.tenant_seq from outbox o where o.tenant_id = ${tenantId} and o.tenant_seq < lo.m + ${BATCH}
        union all
        select s.tenant_seq from outbox_ranges r
        cross join lateral generate_series(r.first_seq, least(r.last_seq, lo.m + ${BATCH - 1})) as s(tenant_seq)
        where r.tenant_id = ${tenantId} and r.first_seq < lo.m + ${BATCH}) as seqs
      from lo)
    select e.* from page p, events e
    where e.tenant_id = ${tenantId} and e.tenant_seq >= p.m and e.tenant_seq < p.m + ${BATCH} and e.tenant_seq = any(p.seqs)
    order by e.tenant_seq`,
  );
}

/** Takes the tenant's positions up to `upTo` out of the outbox, in both forms (a run past it keeps its rest). */
export async function releaseOutbox(tx: Tx, tenantId: string, upTo: number): Promise<void> {
  await tx`
    with singles as (delete from outbox where tenant_id = ${tenantId} and tenant_seq <= ${upTo}),
    whole as (delete from outbox_ranges where tenant_id = ${tenantId} and last_seq <= ${upTo})
    update outbox_ranges set first_seq = ${upTo + 1}
    where tenant_id = ${tenantId} and first_seq <= ${upTo} and last_seq > ${upTo}`;
}

/** The tenant's unpublished positions, in order, whichever form holds them. */
export async function outboxPositions(tx: Tx, tenantId: string): Promise<number[]> {
  const rows = await tx<{ tenant_seq: number }[]>`
    select tenant_seq from outbox where tenant_id = ${tenantId}
    union all
    select generate_series(first_seq, last_seq) from outbox_ranges where tenant_id = ${tenantId}
    order by 1`;
  return rows.map((r) => Number(r.tenant_seq));
}

/**
 * Moves committed events from the outbox to the event transport, tenant by tenant in tenant_seq
 * order, with the event id as message id (the transport drops re-publishes). A row leaves the
 * outbox only after the transport acknowledged it, so nothing committed is lost while NATS is
 * down: the relay backs off and catches up. Several relays may run; a per-tenant advisory lock
 * keeps each tenant's order.
 */
export function startOutboxRelay(deps: {
  sql: Sql;
  transport: EventTransport;
  log: Logger;
  /** wakes the relay right after this process appended; polling covers appends from elsewhere */
  store?: Pick<EventStore, 'onAppended'>;
  pollMs?: number;
  maxBackoffMs?: number;
}): OutboxRelay {
  const { sql, transport, log } = deps;
  const pollMs = deps.pollMs ?? 500;
  let stopped = false;
  let running: Promise<number> | null = null;
  let again = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;

  async function drainTenant(tenantId: string): Promise<number> {
    let failure: { err: unknown } | undefined;
    const n = await withTenant(sql, tenantId, async (tx) => {
      // the outbox positions it releases can be published again after a crash (the transport drops a
      // re-publish within its dedupe window; consumers take a repeat): see derivedStateSettings
      const rows = await ahead(derivedStateSettings(tx), () => pendingPage(tx, tenantId));
      // The page is published a window at a time (in order down one connection), each window's
      // acks awaited together: a few round trips per page, not one per event. A window, not the
      // whole page: the server handles publishes in arrival order, so another tenant's event
      // published meanwhile waits behind at most one window of this tenant's, never a page.
      // `published` is the last position of the acknowledged prefix; anything after the first
      // failure stays in the outbox.
      let published = 0;
      if (rows.length === 0) return 0;
      const envelopes = rows.map((row) => rowToEnvelope(row as never));
      // one span for the page, a trace of its own (never the appending request's, though an append
      // wakes the relay) linked to the trace of each request whose events it carries
      const links = linksTo(envelopes.map((e) => e.traceparent));
      await inSpan(
        'outbox relay',
        { links, parent: ROOT_CONTEXT, attributes: { tenant_id: tenantId, 'mandant.events': envelopes.length } },
        async () => {
          for (let from = 0; from < envelopes.length && !failure; from += WINDOW) {
            const window = envelopes.slice(from, from + WINDOW);
            const results = await Promise.allSettled(
              window.map((e) =>
                transport.publish({ subject: eventSubject(e), msgId: e.id, payload: encodeEvent(e), traceparent: e.traceparent }),
              ),
            );
            for (const [i, r] of results.entries()) {
              if (r.status === 'rejected') {
                // raised only after the commit below: thrown here it would roll back the delete too
                failure = { err: r.reason };
                break;
              }
              published = Number(window[i]?.tenant_seq);
            }
          }
        },
      );
      // keep what was acknowledged even when a later publish failed, so it is not published
      // again after an outage longer than the transport's dedupe window (it would be stored twice)
      if (published > 0) await releaseOutbox(tx, tenantId, published);
      return rows.length;
    });
    if (failure) throw failure.err;
    return n;
  }

  /**
   * Tenants known to have something in the outbox, in the order they are to be drained. An append
   * in this process marks its tenant; a full sweep (the poll, `drain()`) marks every tenant the
   * outbox holds. A tenant whose page came back full is marked again, at the back.
   *
   * Fairness: each marked tenant is drained on its own as soon as one of `TENANTS_AT_ONCE` slots
   * is free, with no rounds. A tenant with a backlog takes one slot a page at a time and goes to
   * the back after each page, so another tenant's events never wait for that page to end (they
   * did when tenants were drained in rounds: a quiet tenant's event waited up to a whole page of
   * a busy one, bench/fairness.ts).
   */
  const dirty = new Set<string>();
  const active = new Set<string>();
  let sweep = false;
  /** starts what the free slots allow; a no-op while no run is going */
  let pump: () => void = () => {};

  function drainMarked(): Promise<number> {
    let total = 0;
    let sweeping = false;
    let failure: { err: unknown } | undefined;
    // a tenant that failed is not tried again in this run: the run ends, backs off, and retries it
    const failed = new Set<string>();
    return new Promise<number>((resolve, reject) => {
      pump = () => {
        if (sweep && !sweeping) {
          sweep = false;
          sweeping = true;
          sql<{ t: string }[]>`select mandant_outbox_tenants() as t`
            .then(
              (rows) => {
                for (const { t } of rows) dirty.add(t);
              },
              (err: unknown) => {
                failure ??= { err };
              },
            )
            .finally(() => {
              sweeping = false;
              pump();
            });
        }
        for (const t of dirty) {
          if (active.size >= TENANTS_AT_ONCE) break;
          if (active.has(t) || failed.has(t)) continue;
          dirty.delete(t);
          active.add(t);
          drainTenant(t)
            .then(
              (n) => {
                total += n;
                // more to come: to the back, behind the tenants marked meanwhile
                if (n === BATCH) {
                  dirty.delete(t);
                  dirty.add(t);
                }
              },
              (err: unknown) => {
                failed.add(t);
                dirty.add(t);
                failure ??= { err };
              },
            )
            .finally(() => {
              active.delete(t);
              pump();
            });
        }
        if (active.size > 0 || sweeping) return;
        pump = () => {};
        if (failure) reject(asError(failure.err));
        else resolve(total);
      };
      pump();
    });
  }

  /** Drains the marked tenants, or with `all` every tenant with outbox rows; runs are serialised and coalesced. */
  function run(all: boolean): Promise<number> {
    if (all) sweep = true;
    if (running) {
      // a free slot takes a newly marked tenant at once; `again` covers what this run misses
      again = true;
      pump();
      return running;
    }
    running = drainMarked()
      .then((n) => {
        failures = 0;
        return n;
      })
      .catch((err: unknown) => {
        failures += 1;
        log.warn({ err, failures }, 'outbox relay could not publish; will retry');
        return 0;
      })
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void run(false);
        }
      });
    return running;
  }

  const drain = (): Promise<number> => run(true);

  function schedule(): void {
    if (stopped) return;
    const backoff = failures === 0 ? pollMs : Math.min(deps.maxBackoffMs ?? 10_000, 200 * 2 ** Math.min(failures, 8));
    timer = setTimeout(() => {
      void drain().finally(schedule);
    }, backoff);
  }

  const unsubscribe = deps.store?.onAppended((tenantId) => {
    dirty.add(tenantId);
    void run(false);
  });
  void drain();
  schedule();

  return {
    drain,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
      await running;
    },
  };
}
