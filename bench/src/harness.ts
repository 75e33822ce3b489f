/**
 * What the store and rebuild benchmarks share: settings from the environment, a fresh database
 * (migrated, dropped at the end or on Ctrl-C, as `append.ts` does it), a store pool that counts
 * its SQL statements, the sealed local blob store, call-counting proxies, and table output.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DERIVED_STORE_SETTINGS, type Sql, createSql } from '@mandant/shared/db';
import { migrate, prepareAppRole } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { createEncryptingBlobStore } from '@mandant/shared/stores/blobs';
import { createLocalBlobStore } from '@mandant/shared/stores/blobs';
import { createKeyring } from '@mandant/shared/stores/crypto';
import { createMemoryKeyStore, createPostgresKeyStore } from '@mandant/shared/stores/crypto';
import { createPostgresGraphStore } from '@mandant/shared/stores/graph';
import { createPostgresTextIndex } from '@mandant/shared/stores/text';
import { createPostgresVectorIndex } from '@mandant/shared/stores/vectors';
import type { DocumentStores } from '@mandant/projectors';

export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

export function intListEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
  return list;
}

export const serverUrl = (): string => process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Counts the statements a pool sends (begin, set_config and commit included). */
export interface StatementCounter {
  count: number;
}

/** A pool like `createSql`'s, whose every statement increments `counter.count`. */
export function createCountingSql(
  url: string,
  counter: StatementCounter,
  opts: { max: number; appName: string; settings?: Record<string, string> },
): Sql {
  return createSql(url, {
    ...opts,
    onStatement: () => {
      counter.count += 1;
    },
  });
}

/** Per-method call counts (and time spent inside the calls) of the objects `counted` wraps. */
export class CallLog {
  readonly calls = new Map<string, number>();
  ms = 0;
  total(prefix = ''): number {
    let n = 0;
    for (const [k, v] of this.calls) if (k.startsWith(prefix)) n += v;
    return n;
  }
  reset(): void {
    this.calls.clear();
    this.ms = 0;
  }
  describe(): string {
    return (
      [...this.calls]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}×${v}`)
        .join(', ') || 'none'
    );
  }
}

/** Wraps a store object so every method call is counted under `{name}.{method}` (async time included). */
export function counted<T extends object>(name: string, target: T, log: CallLog): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const key = `${name}.${prop}`;
        log.calls.set(key, (log.calls.get(key) ?? 0) + 1);
        const t0 = performance.now();
        const out = (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (out instanceof Promise) return out.finally(() => (log.ms += performance.now() - t0));
        log.ms += performance.now() - t0;
        return out;
      };
    },
  });
}

export interface BenchStores extends DocumentStores {
  /** statements sent by the store pool */
  statements: StatementCounter;
  close(): Promise<void>;
}

/**
 * The embedded stores exactly as the brief of these benchmarks names them: Postgres vectors,
 * text and graph on a pool of their own (never the projector's), a local blob directory sealed
 * with a keyring whose wrapped keys stay in memory.
 */
/**
 * The embedded stores on a pool of 6. `countStatements` (default true) counts the pool's SQL
 * statements; counting goes through postgres.js's debug hook, which captures a stack per query,
 * so a benchmark that measures time under load turns it off.
 */
/**
 * Where two processes find the same sealed documents: the blob directory and the master key, with
 * the data keys in the database (the Postgres key store) rather than in one process's memory.
 */
export interface SharedStores {
  masterKey: string;
  blobRoot: string;
}

export async function createBenchStores(
  appUrl: string,
  opts: { countStatements?: boolean; shared?: SharedStores } = {},
): Promise<BenchStores> {
  const statements: StatementCounter = { count: 0 };
  // as the platform splits them (createReadStores): the document stores' pool, whose commits do
  // not wait for the disk, and the data keys' pool, whose commits do
  const poolOpts = { max: 6, appName: 'mandant-bench-stores', settings: DERIVED_STORE_SETTINGS };
  const storeSql = opts.countStatements === false ? createSql(appUrl, poolOpts) : createCountingSql(appUrl, statements, poolOpts);
  const keySql = opts.shared ? createSql(appUrl, { max: 4, appName: 'mandant-bench-keys' }) : null;
  const blobRoot = opts.shared?.blobRoot ?? (await mkdtemp(path.join(os.tmpdir(), 'mandant-bench-blobs-')));
  const keyring = createKeyring({
    masterKey: opts.shared?.masterKey ?? randomBytes(32).toString('base64'),
    store: keySql ? createPostgresKeyStore(keySql) : createMemoryKeyStore(),
  });
  return {
    statements,
    keyring,
    vectors: createPostgresVectorIndex({ sql: storeSql }),
    text: createPostgresTextIndex({ sql: storeSql }),
    graph: createPostgresGraphStore({ sql: storeSql }),
    blobs: createEncryptingBlobStore(createLocalBlobStore({ root: blobRoot }), keyring),
    async close() {
      await storeSql.end({ timeout: 5 }).catch(() => {});
      await keySql?.end({ timeout: 5 }).catch(() => {});
      // a shared directory belongs to whoever made it
      if (!opts.shared) await rm(blobRoot, { recursive: true, force: true });
    },
  };
}

export interface BenchDatabase {
  /** the runtime role's URL (RLS on) */
  appUrl: string;
  /** the database owner's URL (RLS bypassed): for observers that read across tenants */
  ownerUrl: string;
  pgVersion: string;
}

/**
 * Runs `body` on a fresh, migrated database `mandant_bench_<random>`, dropped afterwards, also
 * when `body` fails or the run is interrupted (Ctrl-C). `cleanup` is what `body` opened and must
 * close before the drop.
 */
export async function withFreshDatabase(
  body: (db: BenchDatabase, onCleanup: (fn: () => Promise<void>) => void) => Promise<void>,
): Promise<void> {
  const admin = createSql(serverUrl(), { max: 1, appName: 'mandant-bench-setup' });
  const dbName = `mandant_bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const closers: Array<() => Promise<void>> = [];
  let created = false;
  let stopping = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
      if (created) {
        await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch((err: unknown) => {
          console.error(`could not drop ${dbName}: ${(err as Error).message}`);
        });
      }
      await admin.end({ timeout: 5 }).catch(() => {});
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    console.error(`\n${signal}: dropping ${dbName} and stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const [{ version: pgVersion } = { version: 'unknown' }] = await admin<{ version: string }[]>`select version()`;
    await admin.unsafe(`create database ${dbName}`);
    created = true;
    const ownerUrl = withDatabase(serverUrl(), dbName);
    await migrate(ownerUrl, createLogger({ level: 'warn', name: 'mandant-bench' }));
    const appUrl = await prepareAppRole(ownerUrl, process.env.MANDANT_APP_DB_PASSWORD);
    await body({ appUrl, ownerUrl, pgVersion }, (fn) => closers.push(fn));
  } catch (err) {
    if (!stopping) throw err;
  } finally {
    await cleanup();
    if (!stopping) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export function machineLine(pgVersion: string): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(' / ') || 'unknown CPU';
  const memGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `Machine: ${cpus.length} × ${models}, ${memGiB} GiB RAM; ${pgVersion}; Node ${process.version}`;
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
export const fmtRatio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 2 : 0)}×` : 'n/a');

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 1 ? hi : (lo + hi) / 2;
}

/** Columns after the first are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error('bench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    // adapters wrap the engine's own error: show the chain
    const causeOf = (e: unknown): unknown => (typeof e === 'object' && e !== null && 'cause' in e ? e.cause : undefined);
    for (let cause = causeOf(err), depth = 0; cause !== undefined && depth < 5; cause = causeOf(cause), depth++) {
      console.error('caused by:', cause instanceof Error ? cause.message : JSON.stringify(cause));
    }
    process.exitCode = 1;
  });
}
