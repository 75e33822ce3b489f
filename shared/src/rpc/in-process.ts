import { ClientProxy, type CustomTransportStrategy, type ReadPacket, Server, type WritePacket } from '@nestjs/microservices';
import { firstValueFrom, isObservable } from 'rxjs';

/**
 * The request/reply fabric used when no NATS server is available (one process runs every
 * service). Created once by the composition root and handed to both sides: no module state.
 */
export interface InProcessHub {
  handlers: Map<string, (data: unknown) => Promise<unknown>>;
}
export const createInProcessHub = (): InProcessHub => ({ handlers: new Map() });

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
