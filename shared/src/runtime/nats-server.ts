import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import { findExecutable } from './local.ts';
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
  /** default: a port the server binds itself (the OS picks a free one), anew on each start */
  port?: number;
  log: Logger;
  /** default 120 s: it only bounds a broken start (on a loaded machine); a working one returns at once */
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

/** The line nats-server logs once its client port is bound (JetStream is up before it). */
const CLIENT = /Listening for client connections on 127\.0\.0\.1:(\d+)/;

/**
 * Starts a local JetStream server (`nats-server -js`) listening on 127.0.0.1 only, and resolves
 * once it accepts TCP connections. Without `port` the server binds a port itself (`-p -1`: the
 * OS picks a free one) and the launcher reads it from the server's log, so no other process can
 * take the port between a check and the bind. With `port` (a restart where clients expect the
 * server back) it binds that one and fails if it is taken: the listening line is its own, so an
 * answer from another process on that port is never taken for this server's.
 */
export async function startNatsServer(o: StartNatsServerOptions): Promise<RunningNatsServer> {
  mkdirSync(o.storeDir, { recursive: true });
  const args = ['-a', '127.0.0.1', '-p', String(o.port ?? -1), '-js', '-sd', o.storeDir];
  const log = o.log.child({ component: 'nats-server' });
  // on this process's exit, SIGTERM: JetStream flushes its store
  const server = spawnServer({ name: 'nats-server', binary: o.binary, args, log, boundPort: CLIENT, onExitSignal: 'SIGTERM' });
  const bound = async (): Promise<boolean> => server.port !== undefined && canConnect(server.port);
  if (!(await waitUntilReady(server, bound, o.startTimeoutMs ?? 120_000)) || server.failed || server.port === undefined) {
    await server.kill();
    const where = o.port === undefined ? '' : ` on port ${o.port}`;
    throw new NatsServerStartError(`nats-server did not start${where}: ${server.tail()}`, { cause: server.spawnError });
  }
  const port = server.port;
  log.info({ port, store_dir: o.storeDir }, 'nats-server started');
  return { url: `nats://127.0.0.1:${port}`, port, stop: () => server.stop() };
}
