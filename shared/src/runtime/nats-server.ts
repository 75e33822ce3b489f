import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import { findExecutable, findFreePort } from './local.ts';
import { spawnServer, waitUntilReady } from './server-process.ts';

/** Places where distributions install nats-server without putting it on a user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/bin'];

/** Absolute path of an executable `nats-server` on PATH (or in the usual sbin dirs), or null. */
export function findNatsServer(): string | null {
  return findExecutable('nats-server', EXTRA_DIRS);
}

export interface StartNatsServerOptions {
  binary: string;
  /** JetStream keeps its streams here (under `jetstream/`); reuse it to keep data across starts */
  storeDir: string;
  /** default: a free port, chosen anew on each start */
  port?: number;
  log: Logger;
  startTimeoutMs?: number;
}

export interface RunningNatsServer {
  url: string;
  port: number;
  /** SIGTERM (JetStream flushes its store), SIGKILL after 10 s; safe to call twice */
  stop(): Promise<void>;
}

export class NatsServerStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsServerStartError';
  }
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

async function startOnce(o: StartNatsServerOptions, port: number): Promise<RunningNatsServer> {
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', o.storeDir];
  const log = o.log.child({ component: 'nats-server', port });
  // on this process's exit, SIGTERM: JetStream flushes its store
  const server = spawnServer({ name: 'nats-server', binary: o.binary, args, log, onExitSignal: 'SIGTERM' });
  if (!(await waitUntilReady(server, () => canConnect(port), o.startTimeoutMs ?? 10_000))) {
    await server.kill();
    throw new NatsServerStartError(`nats-server did not start on port ${port}: ${server.tail()}`, { cause: server.spawnError });
  }
  if (server.failed) {
    // Something else answered on this port and our server gave up.
    await server.kill();
    throw new NatsServerStartError(`port ${port} taken: ${server.tail()}`);
  }
  log.info({ store_dir: o.storeDir }, 'nats-server started');
  return { url: `nats://127.0.0.1:${port}`, port, stop: () => server.stop() };
}

/**
 * Starts a local JetStream server (`nats-server -js`) listening on 127.0.0.1 only, and resolves
 * once it accepts TCP connections (JetStream is up before the client port opens).
 */
export async function startNatsServer(o: StartNatsServerOptions): Promise<RunningNatsServer> {
  mkdirSync(o.storeDir, { recursive: true });
  if (o.port !== undefined) return startOnce(o, o.port);
  // A free port can be taken between the check and the bind; try a few.
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(o, await findFreePort());
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
