import type { EventEnvelope, EventMeta, NewEvent } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '../db/connect.ts';
import { DomainError, VersionConflictError } from '../errors.ts';
import { appendRejection } from './append-errors.ts';
import { type ChainReport, contentHash, createChainVerifier } from './hash-chain.ts';
import { activeTraceparent, inSpan } from '../telemetry/tracing.ts';

/** A number is the exact version the stream must be at (0: must not exist yet). */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  /** the stream's version after the append */
  version: number;
  /** tenant_seq of the last appended event: wait for projectors to reach it for read-your-writes */
  position: number;
  events: EventEnvelope[];
}

export interface AppendOptions {
  /** Runs inside the append transaction before the events are written (e.g. claim a unique slug). Throwing aborts the append. */
  beforeCommit?: (tx: Tx) => Promise<void>;
  /** Runs inside the append transaction after the events are written (inline work); throwing rolls the append back. */
  afterAppend?: (tx: Tx, events: EventEnvelope[]) => Promise<void>;
}

export interface EventStore {
  /**
   * Appends `events` to `stream` if it is at `expected`, giving them the tenant's next gapless
   * positions and extending its hash chain; writes the outbox in the same transaction.
   * Idempotent on event ids: re-appending already stored events returns them unchanged.
   * An append the database refuses fails alone, whatever it was committed together with.
   * @throws VersionConflictError when the stream has moved on.
   * @throws AppendRejectedError when the database refuses what this append carries (a string it
   *   cannot store, a value too large, an event id repeated, an offboarded tenant, …).
   */
  append(
    tenantId: string,
    stream: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    meta: EventMeta,
    opts?: AppendOptions,
  ): Promise<AppendResult>;
  readStream(tenantId: string, stream: string): Promise<{ version: number; events: EventEnvelope[] }>;
  /** Events with tenant_seq > after, in log order. */
  readTenant(tenantId: string, after: number, limit: number): Promise<EventEnvelope[]>;
  /** The tenant's last position (0 for a tenant with no events). */
  head(tenantId: string): Promise<number>;
  verify(tenantId: string): Promise<ChainReport>;
  /** Calls `listener` after each append this store committed (the outbox relay wakes on it). */
  onAppended(listener: (tenantId: string, position: number) => void): () => void;
}

/** Most appends of one tenant sent as one group commit. */
const MAX_GROUP = 100;
const PAGE = 2000;

interface EventRow {
  tenant_id: string;
  tenant_seq: number;
  id: string;
  type: string;
  project_id: string | null;
  stream: string;
  version: number;
  occurred_at: Date;
  actor: string;
  correlation_id: string;
  causation_id: string | null;
  traceparent: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export function rowToEnvelope(r: EventRow): EventEnvelope {
  return {
    id: r.id,
    type: r.type,
    tenant_id: r.tenant_id,
    project_id: r.project_id,
    stream: r.stream,
    version: r.version,
    tenant_seq: r.tenant_seq,
    occurred_at: r.occurred_at.toISOString(),
    actor: r.actor,
    correlation_id: r.correlation_id,
    causation_id: r.causation_id,
    traceparent: r.traceparent,
    data: r.data,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

interface AppendItem extends EventMeta {
  stream: string;
  /** -1: any version */
  expected: number;
  events: ReturnType<typeof toPayload>[];
}

/** The item as sent; data that cannot even be hashed (a cycle, a BigInt, NaN) is refused here, typed. */
function toItem(tenantId: string, stream: string, expected: ExpectedVersion, events: NewEvent[], meta: EventMeta): AppendItem {
  // the events of one append mostly share their time: it is read and written out once
  let lastAt: unknown;
  let lastIso = '';
  const iso = (at: unknown): string => {
    if (at !== lastAt || lastIso === '') {
      lastIso = new Date(at as string).toISOString();
      lastAt = at;
    }
    return lastIso;
  };
  try {
    return {
      stream,
      expected: expected === 'any' ? -1 : expected,
      events: events.map((e) => toPayload(tenantId, stream, e, meta, iso(e.occurred_at))),
      ...meta,
    };
  } catch (err) {
    throw new DomainError('validation.failed', `the events cannot be written as JSON: ${(err as Error).message}`);
  }
}

function toPayload(tenantId: string, stream: string, e: NewEvent, meta: EventMeta, occurred_at: string) {
  const content = {
    id: e.id,
    type: e.type,
    tenant_id: tenantId,
    project_id: e.project_id,
    stream,
    occurred_at,
    actor: meta.actor,
    correlation_id: meta.correlation_id,
    causation_id: meta.causation_id,
    traceparent: meta.traceparent,
    data: e.data,
  };
  const note = { inexact: false };
  const content_hash = contentHash(content, note);
  if (!note.inexact) return { id: e.id, type: e.type, project_id: e.project_id, occurred_at, data: e.data, content_hash };
  // the log holds the data as JSON gives it back (no -0, no undefined, a Date as its string): that is
  // what is hashed and what append returns, as a read of the log would
  const data = JSON.parse(JSON.stringify(e.data)) as NewEvent['data'];
  return { id: e.id, type: e.type, project_id: e.project_id, occurred_at, data, content_hash: contentHash({ ...content, data }) };
}

function appendError(item: AppendItem, code: string | undefined, detail: string | undefined): Error | null {
  if (code === 'MD001') return new VersionConflictError(item.stream, item.expected, Number(detail));
  if (code === 'MD002') return new DomainError('conflict', 'some of these event ids are already stored, others not');
  return null;
}

/**
 * A row of `mandant_append_v4` or `_v3` (migrations 300 and 260; rows as migration 250 made them):
 * an item's error, an event stored by an earlier call (an idempotent retry: every column), or an
 * event this call wrote, which carries only what the log gave it (position, version, hashes;
 * `tenant_id` null): the rest is what the item sent.
 */
type ItemRow = { [K in keyof EventRow]: EventRow[K] | null } & {
  item: number;
  error: string | null;
  detail: string | null;
  tenant_seq: number;
  id: string;
  version: number;
  prev_hash: string;
  hash: string;
};

/** The stored row of an event this call wrote: the log's position, version and hashes, the rest as sent. */
function writtenRow(tenantId: string, item: AppendItem, event: AppendItem['events'][number], r: ItemRow): EventRow {
  return {
    tenant_id: tenantId,
    tenant_seq: r.tenant_seq,
    id: r.id,
    type: event.type,
    project_id: event.project_id,
    stream: item.stream,
    version: r.version,
    occurred_at: new Date(event.occurred_at),
    actor: item.actor,
    correlation_id: item.correlation_id,
    causation_id: item.causation_id,
    traceparent: item.traceparent,
    data: event.data,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Appends items in one statement (see the `mandant_append_v4` and `_v3` functions) and returns
 * each item's outcome in order: its stored rows, or the typed error it met.
 */
async function callAppend(q: Sql | Tx, tenantId: string, items: AppendItem[]): Promise<(EventRow[] | Error)[]> {
  // one item at its expected version: v4 writes it itself; a group commit of several items, or an
  // item at any version, goes straight to v3, to which v4 would hand it on
  const json = q.json(items as never);
  const rows =
    items.length === 1 && (items[0]?.expected ?? -1) >= 0
      ? await q<ItemRow[]>`select * from mandant_append_v4(${tenantId}, ${json})`
      : await q<ItemRow[]>`select * from mandant_append_v3(${tenantId}, ${json})`;
  const out: (EventRow[] | Error)[] = items.map(() => []);
  for (const r of rows) {
    const i = r.item - 1;
    const item = items[i];
    const stored = out[i];
    if (!item || stored instanceof Error || stored === undefined) continue;
    if (r.error) out[i] = appendError(item, r.error, r.detail ?? undefined) ?? new Error(`append failed: ${r.error}`);
    else if (!r.id) continue;
    else if (r.tenant_id !== null) stored.push(r as EventRow);
    else {
      // written by this call: an item's rows come in its events' order
      const next = item.events[stored.length];
      const event = next?.id === r.id ? next : item.events.find((e) => e.id === r.id);
      if (!event) throw new Error(`append returned event ${r.id}, which its item does not carry`);
      stored.push(writtenRow(tenantId, item, event, r));
    }
  }
  return out;
}

/**
 * callAppend for a group that isolates what the database refuses: a refused statement fails
 * every item of it, so when the refusal is one an item's data can cause (see appendRejection),
 * the group is halved and each half sent again, down to the item that causes it. A group without
 * such an item costs one statement as before; one with k of them, about 2k·log2(n) more.
 * Retrying is safe: the refused statement committed nothing. Any other failure (connection lost,
 * server gone) is every item's outcome, unchanged, since the items are not to blame; as before, an
 * append whose commit was not confirmed may be stored, and appending it again returns it.
 */
async function callAppendIsolating(sql: Sql, tenantId: string, items: AppendItem[]): Promise<(EventRow[] | Error)[]> {
  try {
    return await callAppend(sql, tenantId, items);
  } catch (err) {
    const rejected = appendRejection(err);
    if (!rejected) return items.map(() => (err instanceof Error ? err : new Error(String(err))));
    if (items.length === 1) return [rejected];
    const half = Math.ceil(items.length / 2);
    // in turn, first half first: the tenant's positions keep the order in which the appends arrived
    const first = await callAppendIsolating(sql, tenantId, items.slice(0, half));
    return [...first, ...(await callAppendIsolating(sql, tenantId, items.slice(half)))];
  }
}

const unwrap = (result: EventRow[] | Error | undefined): EventRow[] => {
  if (result instanceof Error) throw result;
  return result ?? [];
};

export function createEventStore(sql: Sql): EventStore {
  const listeners = new Set<(tenantId: string, position: number) => void>();
  type Waiting = { item: AppendItem; resolve: (rows: EventRow[]) => void; reject: (err: unknown) => void };
  const queues = new Map<string, Waiting[]>();
  const busy = new Set<string>();

  /**
   * Group commit per tenant: a tenant's appends serialise on its head row anyway, so those that
   * arrive while one is committing are sent together as one transaction (one fsync), each with
   * its own outcome. A lone append goes out at once, as one statement.
   */
  function enqueue(tenantId: string, item: AppendItem): Promise<EventRow[]> {
    return new Promise((resolve, reject) => {
      const q = queues.get(tenantId) ?? [];
      q.push({ item, resolve, reject });
      queues.set(tenantId, q);
      if (!busy.has(tenantId)) void flush(tenantId);
    });
  }

  async function flush(tenantId: string): Promise<void> {
    const waiting = queues.get(tenantId) ?? [];
    const group = waiting.splice(0, MAX_GROUP);
    if (waiting.length === 0) queues.delete(tenantId);
    if (group.length === 0) return;
    busy.add(tenantId);
    try {
      const results = await callAppendIsolating(
        sql,
        tenantId,
        group.map((g) => g.item),
      );
      group.forEach((g, i) => {
        const r = results[i];
        if (r instanceof Error) g.reject(r);
        else g.resolve(r ?? []);
      });
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      busy.delete(tenantId);
      if (queues.has(tenantId)) void flush(tenantId);
    }
  }

  async function readPage(tx: Tx, tenantId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await tx<EventRow[]>`
      select * from events where tenant_id = ${tenantId} and tenant_seq > ${after}
      order by tenant_seq limit ${limit}`;
    return rows.map(rowToEnvelope);
  }

  async function readTenant(tenantId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    return withTenant(sql, tenantId, (tx) => readPage(tx, tenantId, after, limit));
  }
  async function head(tenantId: string): Promise<number> {
    return withTenant(sql, tenantId, async (tx) => {
      const [row] = await tx<{ last_seq: number }[]>`select last_seq from tenant_heads where tenant_id = ${tenantId}`;
      return row?.last_seq ?? 0;
    });
  }

  async function appendNow(
    tenantId: string,
    stream: string,
    expected: ExpectedVersion,
    events: NewEvent[],
    meta: EventMeta,
    opts: AppendOptions,
  ): Promise<AppendResult> {
    const item = toItem(tenantId, stream, expected, events, meta);
    let rows: EventRow[];
    if (opts.beforeCommit || opts.afterAppend) {
      rows = await withTenant(sql, tenantId, async (tx) => {
        await opts.beforeCommit?.(tx);
        const written = unwrap(
          (
            await callAppend(tx, tenantId, [item]).catch((err: unknown) => {
              throw appendRejection(err) ?? err;
            })
          )[0],
        );
        await opts.afterAppend?.(tx, written.map(rowToEnvelope));
        return written;
      });
    } else {
      rows = await enqueue(tenantId, item);
    }
    const envelopes = rows.map(rowToEnvelope);
    const last = envelopes.at(-1);
    if (last) for (const l of listeners) l(tenantId, last.tenant_seq);
    return { version: last?.version ?? 0, position: last?.tenant_seq ?? 0, events: envelopes };
  }

  return {
    readTenant,
    head,
    async append(tenantId, stream, expected, events, meta, opts = {}) {
      if (events.length === 0) throw new DomainError('validation.failed', 'append needs at least one event');
      // ids and counts only: the stream name and the payload stay out of traces
      const attributes = {
        tenant_id: tenantId,
        'mandant.events': events.length,
        ...(events[0]?.project_id ? { project_id: events[0].project_id } : {}),
      };
      return inSpan('append', { attributes }, async () => {
        // an append outside a request (a worker reacting to an event) keeps the trace it runs in
        const traced = meta.traceparent ? meta : { ...meta, traceparent: activeTraceparent() };
        return appendNow(tenantId, stream, expected, events, traced, opts);
      });
    },

    onAppended(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async readStream(tenantId, stream) {
      return withTenant(sql, tenantId, async (tx) => {
        const rows = await tx<EventRow[]>`select * from events where tenant_id = ${tenantId} and stream = ${stream} order by version`;
        const events = rows.map(rowToEnvelope);
        return { version: events.at(-1)?.version ?? 0, events };
      });
    },

    async verify(tenantId) {
      const verifier = createChainVerifier(tenantId);
      let after = 0;
      for (;;) {
        const page = await readTenant(tenantId, after, PAGE);
        for (const e of page) if (!verifier.push(e)) return verifier.report();
        const last = page.at(-1);
        if (!last || page.length < PAGE) break;
        after = last.tenant_seq;
      }
      return verifier.report(await head(tenantId));
    },
  };
}
