import { type Socket, connect, createServer } from 'node:net';

export interface TcpRelay {
  /** the port the relay itself listens on, 127.0.0.1; bound once, for the relay's whole life */
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP relay on a port the OS gives it (bound to port 0, never guessed), forwarding each
 * connection to the port `target()` names at that moment. A fault test points its clients at the
 * relay and restarts the server behind it on whatever port the server gets, instead of
 * hoping the server's old port is still free at the restart. A connection whose target is gone
 * (or is null) is closed at once, as a dead server's would be.
 */
export async function startTcpRelay(target: () => number | null): Promise<TcpRelay> {
  const open = new Set<Socket>();
  const track = (s: Socket): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  // no Nagle on either leg: Bolt is chatty small messages, and a relay that delays them meets
  // the peer's delayed ACKs (tens of ms per round trip)
  const server = createServer({ noDelay: true }, (client) => {
    track(client);
    const port = target();
    if (port === null) {
      client.destroy();
      return;
    }
    const upstream = connect({ port, host: '127.0.0.1', noDelay: true });
    track(upstream);
    // either side ending or failing ends the other: the client sees the server go away
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay has no TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
