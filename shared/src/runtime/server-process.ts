import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Logger } from '../log.ts';

/**
 * One server the platform or its tests run as a child process (nats-server, Qdrant, Meilisearch):
 * spawned with its output kept (the last lines explain a failed start), every error of the child
 * heard, killed when this process exits, and stopped with SIGTERM, then SIGKILL.
 */
export interface ServerProcess {
  /** the port the server logged it bound (see `boundPort`), once it has */
  readonly port: number | undefined;
  /** the spawn failed or the server exited */
  readonly failed: boolean;
  readonly spawnError: Error | undefined;
  /** the last lines of its output, for error messages */
  tail(): string;
  /** sends a signal (e.g. SIGHUP: reload the configuration) */
  signal(name: NodeJS.Signals): void;
  /** SIGKILL at once: for a start that failed */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 10 s; safe to call twice */
  stop(): Promise<void>;
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

export function spawnServer(o: {
  name: string;
  binary: string;
  args: string[];
  options?: Omit<SpawnOptions, 'stdio'>;
  log: Logger;
  /** a line of the server's output naming the port it bound; its first group is the port */
  boundPort?: RegExp;
  /** hears every line of the server's output (e.g. to read more than one bound port) */
  onLine?: (line: string) => void;
  /** the signal sent when this process exits: SIGKILL where a graceful stop could outlive it */
  onExitSignal?: NodeJS.Signals;
}): ServerProcess {
  const child = spawn(o.binary, o.args, { ...o.options, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let port: number | undefined;
  let spawnError: Error | undefined;
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 20) lines.shift();
      const bound = o.boundPort?.exec(line)?.[1];
      if (bound !== undefined) port ??= Number(bound);
      o.onLine?.(line);
      o.log.debug({ line }, `${o.name} output`);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  // 'on', not 'once': a failed kill later is an 'error' event too, and an unheard one ends the process
  child.on('error', (err) => {
    spawnError ??= err;
    o.log.warn({ err }, `${o.name} process error`);
  });
  // 'exit' covers process.exit() and a natural end; on signals the composition root must call
  // stop() (Node runs no 'exit' handlers when killed by an unhandled signal)
  const killOnExit = (): void => {
    child.kill(o.onExitSignal ?? 'SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  return {
    get port() {
      return port;
    },
    get failed() {
      return spawnError !== undefined || exited(child);
    },
    get spawnError() {
      return spawnError;
    },
    tail: () => lines.join(' | ') || 'no output',
    signal(name) {
      if (!exited(child)) child.kill(name);
    },
    async kill() {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    },
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (exited(child)) return;
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 10_000))) {
          o.log.warn(`${o.name} ignored SIGTERM; killing`);
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
        o.log.info(`${o.name} stopped`);
      })();
      return stopping;
    },
  };
}

/**
 * Polls `ready` until it holds; false once the server failed or `timeoutMs` passed (the caller
 * then kills it and reports its output).
 */
export async function waitUntilReady(server: ServerProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (server.failed || Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
