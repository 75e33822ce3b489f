import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * One replica of one service as its own Node process (`dist/<name>.js` compiled, or
 * `services/platform/src/processes/<name>.ts` through tsx), the way a pod runs it: its output goes to a log file of its own, and it counts as started once its log
 * says where it listens (a service: the health port it bound; the gateway: its API URL) and its
 * readiness probe answers.
 */
export interface ServiceReplica {
  readonly service: string;
  readonly replica: number;
  /** the API root (gateway) or the health port's root (every process), once started */
  readonly apiUrl: string | undefined;
  readonly healthUrl: string | undefined;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGKILL: no shutdown hook runs, requests in flight are cut */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after 15 s */
  stop(): Promise<void>;
}

/** Every replica still running is SIGKILLed when the launcher exits (one listener for them all). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

async function waitForExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (exited(c)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function probe(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

/** The log line saying where the process listens: pino JSON with `health_port` or `url`/`health`. */
function listening(line: string): { api?: string; health?: string } | null {
  if (!line.startsWith('{')) return null;
  let entry: { msg?: unknown; health_port?: unknown; url?: unknown; health?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return null;
  }
  if (entry.msg === 'gateway listening' && typeof entry.url === 'string' && typeof entry.health === 'string')
    return { api: entry.url, health: entry.health };
  if (entry.msg === 'service started' && typeof entry.health_port === 'number' && entry.health_port > 0)
    return { health: `http://127.0.0.1:${entry.health_port}` };
  return null;
}

export async function startServiceReplica(o: {
  root: string;
  service: string;
  replica: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  startTimeoutMs?: number;
  /** the directory of the compiled build (`npm run build`: dist/) to run; the TypeScript sources through tsx without it */
  compiled?: string;
}): Promise<ServiceReplica> {
  const tracing = Boolean(o.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const args = o.compiled
    ? ['--enable-source-maps', ...(tracing ? ['--import', join(o.compiled, 'register.js')] : []), join(o.compiled, `${o.service}.js`)]
    : [
        '--import',
        'tsx',
        ...(tracing ? ['--import', './shared/src/telemetry/register.ts'] : []),
        `services/platform/src/processes/${o.service}.ts`,
      ];
  const child = spawn(process.execPath, args, {
    cwd: o.root,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.on('error', () => undefined); // a failed kill later must not end the launcher; a failed spawn shows as an exit below
  const file = createWriteStream(o.logFile, { flags: 'a' });
  file.on('error', () => undefined);
  const tail: string[] = [];
  let where: { api?: string; health?: string } = {};
  const onLine = (line: string): void => {
    file.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 15) tail.shift();
    where = listening(line) ?? where;
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  child.once('exit', () => file.end());

  const name = `${o.service}-${o.replica}`;
  const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
  for (;;) {
    if (exited(child))
      throw new Error(`${name} exited while starting (${child.exitCode ?? child.signalCode}): ${tail.join(' | ').slice(-2_000)}`);
    if (where.health !== undefined && (await probe(`${where.health}/readyz`))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready: ${tail.join(' | ').slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    service: o.service,
    replica: o.replica,
    get apiUrl() {
      return where.api;
    },
    get healthUrl() {
      return where.health;
    },
    get pid() {
      return child.pid;
    },
    get running() {
      return !exited(child);
    },
    async kill() {
      if (!exited(child)) child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    },
    async stop() {
      if (exited(child)) return;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 15_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
  };
}
