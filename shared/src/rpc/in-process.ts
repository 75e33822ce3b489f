import { ClientProxy, type CustomTransportStrategy, type ReadPacket, Server, type WritePacket } from '@nestjs/microservices';
import type { RpcReply } from '@mandant/contracts';
import { firstValueFrom, isObservable } from 'rxjs';
import { type OpenStream, RpcStreamError, STREAM_HEARTBEAT_MS } from './stream.ts';

/**
 * The request/reply fabric used when no NATS server is available (one process runs every
 * service). Created once by the composition root and handed to both sides: no module state.
 */
export interface InProcessHub {
  handlers: Map<string, (data: unknown) => Promise<unknown>>;
  /** streamed replies (stream.ts), by pattern */
  streams: Map<string, (data: unknown, emit: (chunk: unknown) => void, signal: AbortSignal) => Promise<RpcReply>>;
}
export const createInProcessHub = (): InProcessHub => ({ handlers: new Map(), streams: new Map() });

const sizeOf = (value: unknown) => JSON.stringify(value ?? null).length;

/**
 * A stream on the hub: the same frames as over NATS, each a copy (as over the wire). Cancelling
 * aborts the handler's signal at once: in one process nothing can be lost on the way.
 */
export const inProcessStream =
  (hub: InProcessHub, pattern: string, request: unknown): OpenStream =>
  async (deliver, fail) => {
    const handler = hub.streams.get(pattern);
    if (!handler) {
      fail(new RpcStreamError(`no service answers ${pattern}`));
      return { cancel() {} };
    }
    const stop = new AbortController();
    deliver({ t: 'start' }, 0);
    // the same heartbeat as over NATS, so one idle bound serves both transports
    const beat = setInterval(() => deliver({ t: 'beat' }, 0), STREAM_HEARTBEAT_MS);
    void handler(structuredClone(request), (d) => deliver({ t: 'chunk', d: structuredClone(d) }, sizeOf(d)), stop.signal)
      .then(
        (r) => deliver({ t: 'end', r: structuredClone(r) }, sizeOf(r)),
        (err: unknown) => fail(new RpcStreamError(`stream ${pattern} failed`, { cause: err })),
      )
      .finally(() => clearInterval(beat));
    return { cancel: () => stop.abort(new RpcStreamError('client cancelled')) };
  };

/** NestJS transport strategy registering its message patterns on the hub. */
export class InProcessServer extends Server implements CustomTransportStrategy {
  constructor(private readonly hub: InProcessHub) {
    super();
  }
  listen(callback: () => void): void {
    for (const [pattern, handler] of this.getHandlers()) {
      this.hub.handlers.set(pattern, async (data) => {
        const result: unknown = await handler(data);
        return isObservable(result) ? firstValueFrom(result) : result;
      });
    }
    callback();
  }
  close(): void {
    for (const pattern of this.getHandlers().keys()) this.hub.handlers.delete(pattern);
  }
  on(): void {}
  unwrap<T>(): T {
    return this.hub as T;
  }
}

/** NestJS client proxy answering from the hub; a copy of the data crosses, as over the wire. */
export class InProcessClient extends ClientProxy {
  constructor(private readonly hub: InProcessHub) {
    super();
  }
  async connect(): Promise<void> {}
  close(): void {}
  unwrap<T>(): T {
    return this.hub as T;
  }
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const handler = this.hub.handlers.get(this.normalizePattern(packet.pattern as string));
    if (!handler) {
      callback({ err: `no handler for ${String(packet.pattern)}`, isDisposed: true });
      return () => {};
    }
    handler(structuredClone(packet.data)).then(
      (response) => callback({ response: structuredClone(response), isDisposed: true }),
      (err: unknown) => callback({ err: String((err as Error)?.message ?? err), isDisposed: true }),
    );
    return () => {};
  }
  protected async dispatchEvent(): Promise<never> {
    throw new Error('events travel through the event transport, not the RPC client');
  }
}
