import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import { findExecutable, findFreePort } from './local.ts';

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

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function startOnce(o: StartNatsServerOptions, port: number): Promise<RunningNatsServer> {
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', o.storeDir];
  const child = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = o.log.child({ component: 'nats-server', port });
  const tail: string[] = [];
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.debug({ line }, 'nats-server output');
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let spawnError: Error | undefined;
  // 'on', not 'once': a failed kill later is an 'error' event too, and an unheard one ends the process
  child.on('error', (err) => {
    spawnError ??= err;
    log.warn({ err }, 'nats-server process error');
  });

  // 'exit' covers process.exit() and a natural end; on signals the composition root must
  // call stop() (Node runs no 'exit' handlers when killed by an unhandled signal).
  const killOnExit = (): void => { child.kill('SIGTERM'); };
  process.once('exit', killOnExit);

  const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
  while (!(await canConnect(port))) {
    if (spawnError !== undefined || exited(child) || Date.now() > deadline) {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      throw new NatsServerStartError(
        `nats-server did not start on port ${port}: ${tail.join(' | ') || 'no output'}`,
        { cause: spawnError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (exited(child)) {
    // Something else answered on this port and our server gave up.
    process.removeListener('exit', killOnExit);
    throw new NatsServerStartError(`port ${port} taken: ${tail.join(' | ')}`);
  }
  log.info({ store_dir: o.storeDir }, 'nats-server started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (exited(child)) return;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        log.warn('nats-server ignored SIGTERM; killing');
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
      log.info('nats-server stopped');
    })();
    return stopping;
  };
  return { url: `nats://127.0.0.1:${port}`, port, stop };
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
