import { RequestError, TimeoutError, connect, headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../log.ts';
import { EventTransportError, TransportUnavailableError, handlerErrorBackoffMs } from './event-transport.ts';
import type { ConsumeOptions, DeliveredEvent, EventTransport, PublishedEvent } from './event-transport.ts';

export interface ConnectNatsOptions {
  servers: string | string[];
  /** shown in the server's connection list (`nats server report connections`) */
  name?: string;
  log: Logger;
}

/**
 * Connects and keeps reconnecting forever: a NATS outage must never end the process, since the
 * outbox keeps events safe until the connection is back. Resolves only once connected, so it
 * also waits (forever) for a server that is not up yet.
 */
export async function connectNats(opts: ConnectNatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: 1_000,
    // no Error (and its stack) made ahead of every request and publish in case it fails: at
    // 1,000 events/s that was 2.6 % of the relay's process (bench/RESULTS.md). Our callers name
    // what failed (TransportUnavailableError's message) instead.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      const server = 'server' in s ? s.server : undefined;
      if (s.type === 'disconnect' || s.type === 'error') opts.log.warn({ nats_status: s.type, server }, 'nats connection problem');
      else if (s.type === 'reconnect') opts.log.info({ nats_status: s.type, server }, 'nats reconnected');
    }
  })().catch((err: unknown) => opts.log.warn({ err }, 'nats status stream failed'));
  return nc;
}

export interface JetStreamTransportOptions {
  servers: string | string[];
  streamName?: string;
  subjects?: string[];
  duplicateWindowMs?: number;
  /** copies of the stream a NATS cluster keeps (1 on a single server, 3 on a 3-node cluster); default 1 */
  replicas?: number;
  /** how long publish and ack wait for the server's confirmation; default 5 000 ms */
  requestTimeoutMs?: number;
  /** messages a consumer pulls ahead; unhandled ones wait ack_wait after a stop */
  prefetch?: number;
  name?: string;
  log: Logger;
}

/** JetStream's error code for adding a stream whose name exists with another configuration */
const STREAM_NAME_IN_USE = 10058;

const nanos = (ms: number): number => Math.round(ms * 1_000_000);

function isApiError(err: unknown, code?: number): err is JetStreamApiError {
  return err instanceof JetStreamApiError && (code === undefined || err.code === code);
}

/** Connectivity failures (timeouts, closed connection, no JetStream answering) are retryable. */
function toTransportError(err: unknown, what: string): EventTransportError {
  if (err instanceof EventTransportError) return err;
  if (isApiError(err)) return new EventTransportError(`${what}: ${err.message}`, { cause: err });
  return new TransportUnavailableError(`${what}: NATS unavailable`, { cause: err });
}

/** Nobody answered on JetStream's API. The client does not export JetStreamNotEnabled (raised then); match its name. */
const noJetStreamResponders = (err: unknown): boolean => err instanceof Error && err.name === 'JetStreamNotEnabled';

/** JetStream's error codes for a cluster without a metadata leader, or with too few peers current yet */
const CLUSTER_NOT_AVAILABLE = 10008;
const NO_SUITABLE_PEERS = 10005;

/**
 * Whether an error says JetStream is not answering yet rather than that the request is wrong: no
 * answer in time, nobody subscribed to the API, or a cluster still forming or without quorum.
 */
function jetStreamNotReady(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status === 503 || err.code === CLUSTER_NOT_AVAILABLE || err.code === NO_SUITABLE_PEERS;
  return noJetStreamResponders(err) || err instanceof TimeoutError || (err instanceof RequestError && err.isNoResponders());
}

/**
 * Runs a start-up step until JetStream answers it. Replicas start while a NATS cluster elects
 * its leader or while a node is down; like the connection, which waits forever for a server,
 * they wait and say so, instead of ending the process. An error that is not about JetStream
 * being reachable (a stream's subjects taken by another, say) fails at once.
 */
async function untilJetStreamAnswers<T>(what: string, log: Logger, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!jetStreamNotReady(err)) throw err;
      const waitMs = Math.min(250 * 2 ** (attempt - 1), 5_000);
      log.warn({ err, attempt, retry_in_ms: waitMs }, `${what}: JetStream not answering yet; trying again`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransportUnavailableError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates the stream, or brings subjects, dedupe window and replicas of an existing one up to
 * date. Replicas only ever grow here: a process configured with fewer (an old replica during a
 * rollout) must not shrink the cluster's copies. A stream created meanwhile by another process
 * (every replica of every service starts here) is taken as found.
 */
async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[], windowMs: number, replicas: number): Promise<void> {
  const duplicate_window = nanos(windowMs);
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await jsm.streams.info(name);
      const same =
        info.config.duplicate_window === duplicate_window &&
        info.config.num_replicas >= replicas &&
        [...info.config.subjects].sort().join(' ') === [...subjects].sort().join(' ');
      if (!same) await jsm.streams.update(name, { subjects, duplicate_window, num_replicas: Math.max(replicas, info.config.num_replicas) });
      return;
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    }
    try {
      await jsm.streams.add({
        name,
        subjects,
        duplicate_window,
        num_replicas: replicas,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      });
      return;
    } catch (err) {
      // another process created it between our look and our add: look again
      if (!isApiError(err, STREAM_NAME_IN_USE) || attempt >= 3) throw err;
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, o: ConsumeOptions): Promise<void> {
  const changeable = {
    filter_subject: o.filterSubject,
    ack_wait: nanos(o.ackWaitMs ?? 30_000),
    max_deliver: o.maxDeliver ?? -1,
  };
  try {
    const fixed = { durable_name: o.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All };
    await jsm.consumers.add(stream, { ...fixed, ...changeable });
  } catch (err) {
    // Servers from 2.10 refuse to "create" an existing durable with another config; update it.
    if (!isApiError(err)) throw err;
    await jsm.consumers.update(stream, o.durable, changeable);
  }
}

export async function createJetStreamTransport(opts: JetStreamTransportOptions): Promise<EventTransport> {
  const streamName = opts.streamName ?? 'MANDANT_EVENTS';
  const subjects = opts.subjects ?? ['events.>'];
  const windowMs = opts.duplicateWindowMs ?? 120_000;
  const timeoutMs = opts.requestTimeoutMs ?? 5_000;
  const log = opts.log.child({ component: 'jetstream-transport', stream: streamName });
  const nc = await connectNats({ servers: opts.servers, log, name: opts.name });
  const js = jetstream(nc, { timeout: timeoutMs });
  const jsm = await untilJetStreamAnswers('stream', log, async () => {
    const m = await jetstreamManager(nc, { timeout: timeoutMs });
    await ensureStream(m, streamName, subjects, windowMs, opts.replicas ?? 1);
    return m;
  });
  const stops = new Set<() => Promise<void>>();

  async function publishOnce(e: PublishedEvent): Promise<void> {
    const h = e.traceparent ? headers() : undefined;
    if (h && e.traceparent) h.set('traceparent', e.traceparent);
    const pending = js.publish(e.subject, e.payload, { msgID: e.msgId, timeout: timeoutMs, ...(h ? { headers: h } : {}) });
    const ack = await withTimeout(pending, timeoutMs + 1_000, 'publish');
    if (ack.duplicate) log.debug({ msg_id: e.msgId }, 'duplicate publish dropped by stream');
  }

  // Re-publishes after a lost stream go through one chain, in the order their first attempts
  // failed, so publishes sent together (the relay sends a page at once) keep their order.
  let recovery: Promise<unknown> = Promise.resolve();

  async function publish(e: PublishedEvent): Promise<void> {
    try {
      await publishOnce(e);
    } catch (err) {
      // No stream answered: it may have been lost with a server's store; recreate and retry once.
      if (!noJetStreamResponders(err)) throw toTransportError(err, 'publish');
      const retry = recovery.then(async () => {
        await ensureStream(jsm, streamName, subjects, windowMs, opts.replicas ?? 1);
        await publishOnce(e);
      });
      recovery = retry.catch(() => undefined);
      await retry.catch((retryErr: unknown) => {
        throw toTransportError(retryErr, 'publish');
      });
    }
  }

  async function handle(
    m: JsMsg,
    o: ConsumeOptions,
    handler: (e: DeliveredEvent) => Promise<void>,
    ackUnconfirmed: (m: JsMsg) => void,
  ): Promise<void> {
    let settled = false;
    const once = (f: () => Promise<void>) => async (): Promise<void> => {
      if (settled) return;
      settled = true;
      await f();
    };
    const event: DeliveredEvent = {
      subject: m.subject,
      payload: m.data,
      redelivered: m.redelivered,
      ack: once(async () => {
        if (o.confirmAcks === false) return ackUnconfirmed(m);
        await m.ackAck({ timeout: timeoutMs }).catch((err: unknown) => {
          throw new TransportUnavailableError('ack not confirmed', { cause: err });
        });
      }),
      nak: async (delayMs?: number) => once(async () => m.nak(delayMs))(),
      term: once(async () => m.term()),
    };
    try {
      await handler(event);
    } catch (err) {
      const deliveries = m.info.deliveryCount;
      log.warn({ err, subject: m.subject, deliveries }, 'event handler failed; nak with backoff');
      await event.nak(handlerErrorBackoffMs(deliveries));
      return;
    }
    // An unconfirmed ack only means a redelivery, which idempotent consumers absorb.
    await event.ack().catch((err: unknown) => log.warn({ err, subject: m.subject }, 'ack not confirmed'));
  }

  async function consume(o: ConsumeOptions, handler: (e: DeliveredEvent) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    // Fail fast on a bad config (after waiting for JetStream to answer); later (re)creations happen inside the loop.
    await untilJetStreamAnswers(`consumer ${o.durable}`, log, () => ensureConsumer(jsm, streamName, o));
    let stopped = false;
    let current: ConsumerMessages | undefined;
    let wakeSleep: () => void = () => undefined;
    const clog = log.child({ durable: o.durable });
    // Unconfirmed acks wait for the end of the event loop's turn and leave together: the messages
    // of one delivery batch cost one socket write, not one each (an ack is a message of its own).
    let unsent: JsMsg[] = [];
    const sendAcks = (): void => {
      const batch = unsent;
      unsent = [];
      for (const m of batch) {
        try {
          m.ack();
        } catch (err) {
          // a connection closed meanwhile: the message is redelivered, which the consumer absorbs
          clog.debug({ err, subject: m.subject }, 'ack not sent');
        }
      }
    };
    const ackUnconfirmed = (m: JsMsg): void => {
      unsent.push(m);
      if (unsent.length === 1) setImmediate(sendAcks);
    };

    const loop = (async () => {
      let failures = 0;
      while (!stopped) {
        try {
          if (failures > 0) {
            await ensureStream(jsm, streamName, subjects, windowMs, opts.replicas ?? 1);
            await ensureConsumer(jsm, streamName, o);
          }
          const consumer = await js.consumers.get(streamName, o.durable);
          const messages = await consumer.consume({ max_messages: opts.prefetch ?? 32 });
          current = messages;
          void (async () => {
            for await (const s of messages.status()) {
              // The client waits forever for a vanished consumer; end the loop to recreate it.
              if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') {
                clog.warn({ status: s.type }, 'consumer gone; recreating');
                failures += 1;
                messages.stop();
              }
            }
          })().catch((err: unknown) => clog.warn({ err }, 'consumer status stream failed'));
          if (stopped) messages.stop();
          for await (const m of messages) {
            if (stopped) break;
            await handle(m, o, handler, ackUnconfirmed);
            failures = 0;
          }
          // The iterator only ends by itself when something broke; back off before resuming.
          if (!stopped) failures += 1;
        } catch (err) {
          failures += 1;
          clog.warn({ err }, 'consumer failed; retrying');
        }
        if (!stopped && failures > 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.min(500 * failures, 5_000));
            wakeSleep = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
      }
    })();

    const stop = async (): Promise<void> => {
      stopped = true;
      current?.stop();
      wakeSleep();
      await loop;
      sendAcks();
      stops.delete(stop);
    };
    stops.add(stop);
    return { stop };
  }

  async function close(): Promise<void> {
    await Promise.all([...stops].map((stop) => stop()));
    // drain lets in-flight acks and publishes reach the server before the socket closes.
    await nc.drain().catch(() => nc.close());
  }

  return { publish, consume, close };
}
