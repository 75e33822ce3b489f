/**
 * Service processes for the benchmarks that run the platform split as in a cluster
 * (`bench/replicas.ts`): each service is `node --import tsx services/platform/src/processes/<name>.ts`
 * (or `node dist/<name>.js` of a compiled build, `bench/startup.ts`), several
 * replicas of one allowed. Ports are never guessed: a process binds HEALTH_PORT=0 (and the
 * gateway PORT=0) and this launcher reads the bound port from its JSON log line on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  /** e.g. `projectors#2` */
  label: string;
  service: string;
  /** the health port (/healthz, /readyz, /metrics) the process bound */
  healthUrl: string;
  /** the gateway's API base (`…/api/v1`); null for the other services */
  apiUrl: string | null;
  child: ChildProcess;
}

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

/**
 * Starts one service process and resolves once it logged where it listens: 'service started'
 * (every service, `health_port`) or 'gateway listening' (the gateway: `url`, `health`). Fails with
 * the tail of its stderr when it exits first or does not say so within `timeoutMs`.
 */
export function startServiceProcess(
  service: string,
  label: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  opts: { compiled?: string } = {},
): Promise<ServiceProcess> {
  const args = opts.compiled
    ? ['--enable-source-maps', join(opts.compiled, `${service}.js`)]
    : ['--import', 'tsx', `services/platform/src/processes/${service}.ts`];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new ServiceStartError(`${label}: ${why}\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`did not report its ports within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it reported its ports`));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
    // every stdout line is read (a full pipe would stall the process); only the start lines count
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: { msg?: unknown; health_port?: unknown; url?: unknown; health?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      const done = (healthUrl: string, apiUrl: string | null): void => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ label, service, healthUrl, apiUrl, child });
      };
      if (entry.msg === 'service started' && typeof entry.health_port === 'number') done(`http://127.0.0.1:${entry.health_port}`, null);
      if (entry.msg === 'gateway listening' && typeof entry.url === 'string' && typeof entry.health === 'string')
        done(entry.health, entry.url);
    });
  });
}

/** SIGTERM (the service drains and stops), SIGKILL after `graceMs`. */
export async function stopServiceProcess(p: ServiceProcess, graceMs = 10_000): Promise<void> {
  const { child } = p;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The samples of one metric in a Prometheus text page, by their label set: `{projector="vectors@v1"}` → 12. */
export function parseSamples(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

/** The value of one label in a label set as `parseSamples` keys it. */
export function labelValue(labels: string, name: string): string | null {
  const m = new RegExp(`${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(labels);
  return m?.[1] ?? null;
}
