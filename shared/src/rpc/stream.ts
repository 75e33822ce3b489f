import { type Principal, type RequestMeta, RpcRequest, type RpcReply } from '@mandant/contracts';
import { type NatsConnection, type Subscription, createInbox } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { refuseUnstorable, toReply } from './reply.ts';

/**
 * Streamed replies: one request, any number of chunks, then one final reply, on NATS and on the
 * in-process hub alike.
 *
 * Over NATS the client subscribes to a fresh inbox BEFORE it publishes the request to
 * `mandant.stream.{pattern}` (reply subject: that inbox); a replica of the service (queue group
 * `mandant-{service}`, as for request/reply) publishes numbered frames to the inbox: `start`
 * once it holds the request, `chunk`s, then `end` with the reply. A client that stops listening
 * publishes to `{inbox}.cancel`, which the server subscribed to before sending `start` (NATS
 * keeps one connection's messages in order, so a cancel sent after `start` arrived finds the
 * subscription; one sent earlier is held back until then). The handler's AbortSignal fires on it.
 *
 * Delivery: at most once, in order; a lost frame (slow consumer, a node going away) is seen as
 * a gap in the numbers and ends the stream with RpcUnavailableError, never as silently missing
 * text. A replica that dies mid-stream is noticed by its silence: the server beats every
 * STREAM_HEARTBEAT_MS while the handler runs. A client that disappears without cancelling (its
 * process killed) is not noticed by the server: the handler runs to its own limits, and its
 * frames go nowhere. On a NATS cluster a cancel can overtake the server's interest in it across
 * nodes and be lost; the handler then also runs to its limits.
 */

/** One event of a streamed reply: chunks, then exactly one `end` (the last event). */
export type RpcStreamEvent<T> = { type: 'chunk'; data: unknown } | { type: 'end'; reply: RpcReply<T> };

export interface RpcStreamContext {
  principal: Principal | null;
  operator: boolean;
  meta: RequestMeta;
  /** fires when the client stopped listening: stop the work */
  signal: AbortSignal;
}

/**
 * A streaming use case: it decides everything (parsing, access, refusals) before its first
 * `emit`, so a refusal reaches the client as the stream's only event; then it emits chunks and
 * returns the final value (or throws: after chunks, the client sees that error as the end).
 */
export type RpcStreamHandler = (input: unknown, ctx: RpcStreamContext, emit: (chunk: unknown) => void) => Promise<unknown>;

export interface RpcStreamOptions {
  /** aborting it stops the stream and tells the server */
  signal?: AbortSignal;
  /** until the service holds the request (no replica listening: RpcUnavailableError); default 15 s */
  startTimeoutMs?: number;
  /** the whole stream; default 180 s */
  timeoutMs?: number;
  /** bytes of chunks and reply together; default 4 MiB */
  maxBytes?: number;
  /** the longest silence (no frame, not even a heartbeat) before the service counts as gone; default 3 heartbeats */
  idleMs?: number;
}

export class RpcStreamError extends Error {
  override readonly name = 'RpcStreamError';
}

/** The wire frames, numbered from 0 by `i`. */
export type Frame = { t: 'start' } | { t: 'beat' } | { t: 'chunk'; d: unknown } | { t: 'end'; r: RpcReply };

/**
 * While a handler runs the server sends a `beat` frame this often, so a client tells a slow
 * answer (retrieval, a model thinking) from a replica that died mid-stream: silence longer than
 * the client's `idleMs` (default three beats) ends the stream.
 */
export const STREAM_HEARTBEAT_MS = 5_000;

export const streamSubject = (pattern: string) => `mandant.stream.${pattern}`;

const STREAM = Symbol('rpc stream');
type PlainHandler = (input: unknown, ctx: Omit<RpcStreamContext, 'signal'>) => Promise<unknown>;

/**
 * Marks a streaming use case so `serveRpc` serves it both ways: as a stream on
 * `mandant.stream.{pattern}`, and as plain request/reply (chunks dropped, the final value as the reply).
 */
export function streamingHandler(handler: RpcStreamHandler): PlainHandler {
  const plain: PlainHandler = (input, ctx) => handler(input, { ...ctx, signal: new AbortController().signal }, () => {});
  return Object.assign(plain, { [STREAM]: handler });
}

/** The streaming side of a handler `streamingHandler` made, if it is one. */
export const streamOf = (handler: unknown): RpcStreamHandler | undefined =>
  typeof handler === 'function' ? (handler as { [STREAM]?: RpcStreamHandler })[STREAM] : undefined;

/** Runs one streamed request: the same parsing, storable-input rule and error mapping as request/reply. */
export async function runStream(
  pattern: string,
  handler: RpcStreamHandler,
  data: unknown,
  emit: (chunk: unknown) => void,
  signal: AbortSignal,
  log: Logger,
): Promise<RpcReply> {
  try {
    const req = RpcRequest.parse(data);
    refuseUnstorable(req);
    // streamed requests are never idempotency-keyed: their routes do not take a key
    const { idempotency: _ignored, ...meta } = req.meta;
    const value = await handler(req.input, { principal: req.principal, operator: req.operator, meta, signal }, emit);
    return { ok: true, value: value ?? null };
  } catch (err) {
    return toReply(err, log, pattern);
  }
}

/** Serves streaming handlers on a NATS connection; `close` drains the subscriptions. */
export function serveNatsStreams(
  nc: NatsConnection,
  service: string,
  handlers: Map<string, RpcStreamHandler>,
  log: Logger,
  heartbeatMs = STREAM_HEARTBEAT_MS,
) {
  const subs: Subscription[] = [];
  for (const [pattern, handler] of handlers) {
    subs.push(
      nc.subscribe(streamSubject(pattern), {
        queue: `mandant-${service}`,
        callback: (err, msg) => {
          if (err || !msg.reply) return;
          const inbox = msg.reply;
          const stop = new AbortController();
          const cancel = nc.subscribe(`${inbox}.cancel`, { max: 1, callback: () => stop.abort(new RpcStreamError('client cancelled')) });
          let i = 0;
          const send = (frame: Frame) => nc.publish(inbox, JSON.stringify({ i: i++, ...frame }));
          send({ t: 'start' });
          const beat = setInterval(() => send({ t: 'beat' }), heartbeatMs);
          let request: unknown;
          try {
            request = msg.json();
          } catch {
            request = null;
          }
          void runStream(pattern, handler, request, (d) => stop.signal.aborted || send({ t: 'chunk', d }), stop.signal, log)
            .then((r) => send({ t: 'end', r }))
            .catch((e: unknown) => log.error({ err: e, pattern }, 'stream reply failed'))
            .finally(() => {
              clearInterval(beat);
              cancel.unsubscribe();
            });
        },
      }),
    );
  }
  return {
    async close() {
      await Promise.all(subs.map((s) => s.drain()));
    },
  };
}

/** How a transport opens one stream: frames in, a cancel out. */
export type OpenStream = (deliver: (frame: Frame, bytes: number) => void, fail: (err: Error) => void) => Promise<{ cancel(): void }>;

/** A NATS stream: subscribe to the inbox, then publish the request; cancel on `{inbox}.cancel` once `start` arrived. */
export const natsStream =
  (nc: NatsConnection, pattern: string, request: unknown): OpenStream =>
  async (deliver, fail) => {
    const inbox = createInbox();
    let started = false;
    let cancelled = false;
    let next = 0;
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return fail(new RpcStreamError('stream subscription failed', { cause: err }));
        if (msg.headers?.code === 503) return fail(new RpcStreamError(`no service answers ${pattern}`));
        let frame: Frame & { i: number };
        try {
          frame = msg.json<Frame & { i: number }>();
        } catch (e) {
          return fail(new RpcStreamError('unreadable stream frame', { cause: e }));
        }
        if (frame.i !== next++) return fail(new RpcStreamError(`stream frame ${next - 1} lost`));
        if (frame.t === 'start') {
          started = true;
          if (cancelled) {
            nc.publish(`${inbox}.cancel`);
            sub.unsubscribe();
            return;
          }
        }
        if (frame.t === 'end') sub.unsubscribe();
        deliver(frame, msg.data.length);
      },
    });
    nc.publish(streamSubject(pattern), JSON.stringify(request), { reply: inbox });
    return {
      cancel() {
        if (cancelled) return;
        cancelled = true;
        if (started) {
          nc.publish(`${inbox}.cancel`);
          sub.unsubscribe();
        } else {
          // keep listening a while for a late `start`, to pass the cancel on
          setTimeout(() => sub.unsubscribe(), 30_000).unref();
        }
      },
    };
  };

/** Frames to events, with the client-side bounds: start deadline, total deadline, size, the caller's signal. */
export async function* consumeStream<T>(pattern: string, open: OpenStream, opts: RpcStreamOptions = {}): AsyncGenerator<RpcStreamEvent<T>> {
  const queue: (RpcStreamEvent<T> | Error)[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let bytes = 0;
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const push = (item: RpcStreamEvent<T> | Error) => {
    if (finished) return;
    if (item instanceof Error || item.type === 'end') finished = true;
    queue.push(item);
    wake?.();
  };
  const fail = (err: Error) => push(err);
  let started = false;
  const idleMs = opts.idleMs ?? 3 * STREAM_HEARTBEAT_MS;
  let idle: NodeJS.Timeout | undefined;
  const heard = () => {
    clearTimeout(idle);
    idle = setTimeout(() => fail(new RpcStreamError(`stream ${pattern} silent for ${idleMs} ms: its service is gone`)), idleMs);
  };
  const link = await open((frame, size) => {
    heard();
    bytes += size;
    if (bytes > maxBytes) return fail(new RpcStreamError(`stream ${pattern} exceeds ${maxBytes} bytes`));
    if (frame.t === 'start') started = true;
    else if (frame.t === 'chunk') push({ type: 'chunk', data: frame.d });
    else if (frame.t === 'end') push({ type: 'end', reply: frame.r as RpcReply<T> });
  }, fail);
  const startTimer = setTimeout(() => {
    if (!started) fail(new RpcStreamError(`no service took ${pattern} within ${opts.startTimeoutMs ?? 15_000} ms`));
  }, opts.startTimeoutMs ?? 15_000);
  const totalTimer = setTimeout(
    () => fail(new RpcStreamError(`stream ${pattern} took longer than ${opts.timeoutMs ?? 180_000} ms`)),
    opts.timeoutMs ?? 180_000,
  );
  const onAbort = () => fail(new RpcStreamError('stream stopped by its caller', { cause: opts.signal?.reason }));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  let ended = false;
  try {
    for (;;) {
      const item = queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (item instanceof Error) throw item;
      yield item;
      if (item.type === 'end') {
        ended = true;
        return;
      }
    }
  } finally {
    clearTimeout(startTimer);
    clearTimeout(totalTimer);
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onAbort);
    // stopped before its end (an error, the caller's signal, a consumer that broke off): tell the server
    if (!ended) link.cancel();
  }
}
