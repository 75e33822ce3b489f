import { handlerErrorBackoffMs, subjectMatches, TransportUnavailableError } from './event-transport.ts';
import type { Logger } from '../log.ts';
import type { ConsumeOptions, DeliveredEvent, EventTransport, PublishedEvent } from './event-transport.ts';

/**
 * An in-memory EventTransport for a single process without NATS. It mirrors the JetStream
 * adapter's semantics (stream order for first deliveries, ack wait, nak delay, maxDeliver,
 * msgId dedupe window) so the same contract suite passes, but nothing survives the process:
 * durability comes from the Postgres outbox, which re-publishes what was not yet relayed.
 * Known limit: like a JetStream stream with limits retention, only the newest `maxMessages`
 * are kept; older ones are gone for durables that had not reached them.
 */
export interface InProcessTransportOptions {
  duplicateWindowMs?: number;
  maxMessages?: number;
  now?: () => number;
  log?: Logger;
}

interface StoredMessage {
  seq: number;
  subject: string;
  payload: Uint8Array;
}
interface Pending {
  deliveries: number;
  redeliverAt: number;
}
interface DurableState {
  filterSubject: string;
  ackWaitMs: number;
  maxDeliver: number;
  /** the next stream sequence this durable has not yet seen for the first time */
  nextSeq: number;
  /** delivered but not yet acked or termed, keyed by stream sequence */
  pending: Map<number, Pending>;
  wakers: Set<() => void>;
}

const DEFAULT_ACK_WAIT_MS = 30_000;

export function createInProcessTransport(opts: InProcessTransportOptions = {}): EventTransport {
  const duplicateWindowMs = opts.duplicateWindowMs ?? 120_000;
  const maxMessages = opts.maxMessages ?? 100_000;
  const now = opts.now ?? Date.now;
  const messages = new Map<number, StoredMessage>();
  const seen = new Map<string, number>(); // msgId -> expiry; insertion order == expiry order
  const durables = new Map<string, DurableState>();
  const stops = new Set<() => Promise<void>>();
  let lastSeq = 0;
  let closed = false;

  function wakeAll(): void {
    for (const d of durables.values()) for (const wake of d.wakers) wake();
  }

  async function publish(e: PublishedEvent): Promise<void> {
    if (closed) throw new TransportUnavailableError('in-process transport is closed');
    const t = now();
    for (const [id, expiry] of seen) {
      if (expiry > t) break;
      seen.delete(id);
    }
    if (seen.has(e.msgId)) return;
    seen.set(e.msgId, t + duplicateWindowMs);
    lastSeq += 1;
    // Copy so a caller reusing its buffer cannot change what was stored.
    messages.set(lastSeq, { seq: lastSeq, subject: e.subject, payload: e.payload.slice() });
    const oldest = lastSeq - maxMessages;
    if (oldest > 0) messages.delete(oldest);
    wakeAll();
  }

  /** Picks the next message for a durable: due redeliveries first, then new messages. */
  function next(d: DurableState): { msg: StoredMessage; entry: Pending } | { waitMs: number } {
    const t = now();
    let waitMs = Number.POSITIVE_INFINITY;
    for (const [seq, entry] of d.pending) {
      const msg = messages.get(seq);
      if (!msg || (d.maxDeliver > 0 && entry.deliveries >= d.maxDeliver && entry.redeliverAt <= t)) {
        d.pending.delete(seq); // aged out of the store, or out of delivery attempts
        continue;
      }
      if (entry.redeliverAt <= t) return { msg, entry };
      waitMs = Math.min(waitMs, entry.redeliverAt - t);
    }
    while (d.nextSeq <= lastSeq) {
      const msg = messages.get(d.nextSeq);
      d.nextSeq += 1;
      if (msg && subjectMatches(d.filterSubject, msg.subject)) {
        const entry = { deliveries: 0, redeliverAt: t };
        d.pending.set(msg.seq, entry);
        return { msg, entry };
      }
    }
    return { waitMs };
  }

  async function deliver(
    d: DurableState,
    msg: StoredMessage,
    entry: Pending,
    handler: (e: DeliveredEvent) => Promise<void>,
  ): Promise<void> {
    entry.deliveries += 1;
    entry.redeliverAt = now() + d.ackWaitMs;
    let settled = false;
    const settle = (fn: () => void) => async (): Promise<void> => {
      if (settled) return;
      settled = true;
      // A late settle after the ack wait ran out still applies while the message is pending.
      if (d.pending.get(msg.seq) === entry) fn();
      wakeAll();
    };
    const ack = settle(() => d.pending.delete(msg.seq));
    const event: DeliveredEvent = {
      subject: msg.subject,
      payload: msg.payload.slice(),
      redelivered: entry.deliveries > 1,
      ack,
      nak: async (delayMs) =>
        settle(() => {
          entry.redeliverAt = now() + (delayMs ?? 0);
        })(),
      term: ack,
    };
    try {
      await handler(event);
      await ack();
    } catch (err) {
      opts.log?.warn({ err, subject: msg.subject, deliveries: entry.deliveries }, 'event handler failed; nak with backoff');
      await event.nak(handlerErrorBackoffMs(entry.deliveries));
    }
  }

  async function consume(o: ConsumeOptions, handler: (e: DeliveredEvent) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    if (closed) throw new TransportUnavailableError('in-process transport is closed');
    const existing = durables.get(o.durable);
    const d: DurableState = existing ?? {
      filterSubject: o.filterSubject,
      ackWaitMs: DEFAULT_ACK_WAIT_MS,
      maxDeliver: -1,
      nextSeq: 1,
      pending: new Map(),
      wakers: new Set(),
    };
    d.filterSubject = o.filterSubject;
    d.ackWaitMs = o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    d.maxDeliver = o.maxDeliver ?? -1;
    durables.set(o.durable, d);

    let stopped = false;
    let wake: () => void = () => undefined;
    const waker = (): void => wake();
    d.wakers.add(waker);

    const loop = (async () => {
      while (!stopped) {
        const pick = next(d);
        if ('msg' in pick) {
          await deliver(d, pick.msg, pick.entry, handler);
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = Number.isFinite(pick.waitMs) ? setTimeout(resolve, pick.waitMs) : undefined;
          wake = () => {
            if (timer) clearTimeout(timer);
            resolve();
          };
        });
      }
    })();

    const stop = async (): Promise<void> => {
      stopped = true;
      wake();
      await loop;
      d.wakers.delete(waker);
      stops.delete(stop);
    };
    stops.add(stop);
    return { stop };
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all([...stops].map((stop) => stop()));
  }

  return { publish, consume, close };
}
