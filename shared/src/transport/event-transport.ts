/**
 * The event transport port: committed events leave the Postgres outbox through `publish`, and
 * projectors receive them through durable consumers. Adapters: JetStream (`jetstream.ts`) and an
 * in-memory one for single-process setups (`in-process.ts`); both run the same contract suite
 * (`event-transport.contract.ts`).
 *
 * Delivery semantics, shared by every adapter:
 * - At-least-once. A message may arrive more than once (redelivery after a nak, after the ack
 *   wait ran out, after a consumer restart, or after a publish that was retried by the outbox).
 *   Consumers must be idempotent; the envelope's event id and `tenant_seq` are the keys for that.
 * - Publish dedupe is by `msgId` within the transport's duplicate window only. A re-publish
 *   after the window is stored again; consumers must still dedupe.
 * - Order: a durable consumer receives first deliveries in publish (stream) order. Redeliveries
 *   are interleaved with newer messages, so order is NOT guaranteed across redeliveries, even
 *   per subject. Projectors that need tenant order must check `tenant_seq` against their own
 *   checkpoint and nak (or wait) on a gap.
 * - A consumer's handler is called for one message at a time; a message is in flight until
 *   the handler settles it.
 */
export interface PublishedEvent {
  /** `events.{tenant_id}.{project_id or "_"}.{type}` for domain events */
  subject: string;
  /** the event id; the transport drops a re-publish of the same id within its dedupe window */
  msgId: string;
  payload: Uint8Array;
  /** the W3C trace context of the request that appended the event, sent as a `traceparent` header */
  traceparent?: string | null;
}

/** One delivery of a stored message to a durable consumer. */
export interface DeliveredEvent {
  subject: string;
  payload: Uint8Array;
  /** true when this message was delivered to this durable before (not its first delivery) */
  redelivered: boolean;
  /**
   * Marks the message processed; it is never delivered to this durable again. Resolves once
   * the transport confirmed the ack; rejects with {@link TransportUnavailableError} otherwise
   * (the message will then be redelivered, which an idempotent consumer tolerates). With
   * `confirmAcks: false` it resolves once the ack is sent, and a lost ack is a redelivery.
   */
  ack(): Promise<void>;
  /** Asks for redelivery after `delayMs` (default: at once), counting toward `maxDeliver`. */
  nak(delayMs?: number): Promise<void>;
  /** Drops the message for this durable: never redelivered (use for poison messages). */
  term(): Promise<void>;
}

export interface ConsumeOptions {
  /** durable consumer name; its progress survives `stop()` and process restarts */
  durable: string;
  /** NATS subject filter (`*` one token, `>` the rest), e.g. `events.<tenant>.>` */
  filterSubject: string;
  /** unsettled messages are redelivered after this long; default 30 000 ms */
  ackWaitMs?: number;
  /** deliveries per message before the transport gives up on it; default unlimited (-1) */
  maxDeliver?: number;
  /**
   * Default true: `ack()` waits for the transport to confirm it. False sends acks without a
   * round trip, for consumers to which a redelivery costs nothing (a projector's wake-up).
   */
  confirmAcks?: boolean;
}

export interface EventTransport {
  /**
   * At-least-once: resolves once the transport has stored the message. The `msgId` makes a
   * re-publish within the dedupe window a no-op (it still resolves). Rejects with
   * {@link TransportUnavailableError} when the transport cannot confirm the store in time;
   * the message may or may not have been stored, so the caller retries with the same msgId.
   */
  publish(e: PublishedEvent): Promise<void>;
  /**
   * Starts a durable consumer: it survives restarts and redelivers un-acked messages after
   * `ackWaitMs`. The handler settles each message with ack/nak/term. If the handler returns
   * without settling, the message is acked; if it throws without settling, the message is
   * nak'ed with an exponential backoff. `stop()` waits for the in-flight handler to finish;
   * messages not yet handled stay with the durable for the next `consume`.
   */
  consume(opts: ConsumeOptions, handler: (e: DeliveredEvent) => Promise<void>): Promise<{ stop(): Promise<void> }>;
  /** Stops all consumers of this transport and releases its connection. */
  close(): Promise<void>;
}

/** Base of the infrastructure failures the transport reports. */
export class EventTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The transport could not be reached or did not answer in time; retrying later may succeed. */
export class TransportUnavailableError extends EventTransportError {}

/** Redelivery delay after a handler error: 250 ms, doubling per delivery, capped at 30 s. */
export function handlerErrorBackoffMs(deliveryCount: number): number {
  const exponent = Math.min(Math.max(deliveryCount - 1, 0), 16);
  return Math.min(250 * 2 ** exponent, 30_000);
}

/** NATS subject matching: `*` matches one token, a final `>` matches one or more tokens. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return i === f.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}
