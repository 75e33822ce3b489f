import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { APP_ROLE, createSql } from '@mandant/shared/db';
import type { Env } from '@mandant/shared/env';
import type { Logger } from '@mandant/shared/log';
import { attachEmbeddedPostgres } from '@mandant/shared/runtime';
import { rawBlobStore } from '@mandant/shared/stores';
import { checkScope, createPostgresKeyStore } from '@mandant/shared/stores/crypto';
import { CliError, openContext, redacted } from './context.ts';

const run = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What a backup holds beside the dump and the blobs: when it was taken and how much, so that a
 * restore can say what it brings back (and what was written after it is lost).
 */
export interface BackupManifest {
  format: 'mandant-backup/v1';
  taken_at: string;
  /** tenant id → last tenant_seq in the backup */
  heads: Record<string, number>;
  events: number;
  blobs: number;
  blob_bytes: number;
}

/** One line of the erasure journal: a destroyed scope (`*`: the whole tenant), never a key. */
export interface Erasure {
  tenant_id: string;
  scope: string;
  destroyed_at: string;
}

/** The owner connection: `DATABASE_URL`, else the running embedded database of `MANDANT_DATA_DIR`. */
async function ownerUrl(env: Env): Promise<string> {
  const url = env.DATABASE_URL ?? (await attachEmbeddedPostgres(join(env.MANDANT_DATA_DIR, 'postgres')));
  if (!url) throw new CliError('backup and restore need DATABASE_URL (the owner connection) or a running embedded database', 2);
  return url;
}

async function tool(name: string, args: string[]): Promise<void> {
  await run(name, args, { maxBuffer: 64 * 1024 * 1024 }).catch((err: unknown) => {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new CliError(`${name} is not installed (the Postgres client tools are needed)`);
    throw new CliError(`${name} failed: ${(e.stderr ?? e.message).trim()}`);
  });
}

async function filesUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

/**
 * `mandant backup --to <dir>`: the database as a `pg_dump` custom-format archive (the log, the
 * wrapped data keys, everything else), every tenant's objects from the blob store (local or S3,
 * through the same port the platform uses) and `manifest.json`. The master key is not in it.
 */
export async function backup(env: Env, log: Logger, opts: { to: string; json: boolean }): Promise<number> {
  if (existsSync(join(opts.to, 'manifest.json'))) throw new CliError(`${opts.to} already holds a backup: give a new directory`, 2);
  const url = await ownerUrl(env);
  await mkdir(join(opts.to, 'blobs'), { recursive: true });
  const started = Date.now();
  const sql = createSql(url, { max: 1, appName: 'mandant-backup' });
  let heads: Record<string, number>;
  try {
    const rows = await sql<
      { tenant_id: string; last_seq: string }[]
    >`select tenant_id, last_seq::text from tenant_heads order by tenant_id`;
    heads = Object.fromEntries(rows.map((r) => [r.tenant_id, Number(r.last_seq)]));
  } catch (err) {
    throw new CliError(`cannot read the database ${redacted(url)}: ${(err as Error).message}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  log.info({ tenants: Object.keys(heads).length }, 'dumping the database');
  await tool('pg_dump', ['--format=custom', `--file=${join(opts.to, 'postgres.dump')}`, `--dbname=${url}`]);
  // every tenant that ever wrote has a head; an offboarded tenant's bucket is already empty
  const blobs = rawBlobStore(env);
  let count = 0;
  let bytes = 0;
  for (const tenant of Object.keys(heads)) {
    for (const entry of await blobs.list(tenant, '')) {
      const body = await blobs.get(tenant, entry.key);
      if (!body) continue; // deleted while listed
      const file = join(opts.to, 'blobs', tenant, ...entry.key.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
      count += 1;
      bytes += body.byteLength;
    }
  }
  const manifest: BackupManifest = {
    format: 'mandant-backup/v1',
    taken_at: new Date(started).toISOString(),
    heads,
    events: Object.values(heads).reduce((a, b) => a + b, 0),
    blobs: count,
    blob_bytes: bytes,
  };
  // the manifest last: a directory without one is an unfinished backup
  await writeFile(join(opts.to, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const summary = { ...manifest, ms: Date.now() - started };
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `backup in ${opts.to}: ${manifest.events} events of ${Object.keys(heads).length} tenants, ${count} blobs (${bytes} bytes), ${summary.ms} ms\n`,
  );
  return 0;
}

/** Reads an erasure journal: one JSON object per line; a malformed line is an error naming it. */
export async function readErasures(file: string): Promise<Erasure[]> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new CliError(`cannot read the erasure journal ${file}: ${(err as Error).message}`);
  });
  const out: Erasure[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new CliError(`erasure journal ${file}, line ${i + 1}: not JSON`);
    }
    const { tenant_id, scope, destroyed_at } = (e ?? {}) as Record<string, unknown>;
    const scopeOk =
      scope === '*' ||
      (typeof scope === 'string' &&
        (() => {
          try {
            return checkScope(scope) === scope;
          } catch {
            return false;
          }
        })());
    if (typeof tenant_id !== 'string' || !UUID.test(tenant_id) || !scopeOk || typeof destroyed_at !== 'string')
      throw new CliError(`erasure journal ${file}, line ${i + 1}: expected {tenant_id, scope, destroyed_at}`);
    out.push({ tenant_id, scope, destroyed_at });
  }
  return out;
}

/**
 * `mandant restore --from <dir> [--erasures <journal>]`: into an empty database (never over a
 * live one) restores the dump, puts the blobs back, then destroys again every key the journal
 * names. The journal is kept apart from the backups and is newer than them: erasures made after
 * the backup was taken stay erased.
 */
export async function restore(env: Env, log: Logger, opts: { from: string; erasures?: string; json: boolean }): Promise<number> {
  const manifest = JSON.parse(
    await readFile(join(opts.from, 'manifest.json'), 'utf8').catch(() => {
      throw new CliError(`${opts.from} holds no finished backup (no manifest.json)`, 2);
    }),
  ) as BackupManifest;
  if (manifest.format !== 'mandant-backup/v1') throw new CliError(`${opts.from}: unknown backup format`, 2);
  const erasures = opts.erasures === undefined ? [] : await readErasures(opts.erasures);
  const url = await ownerUrl(env);
  const started = Date.now();
  const sql = createSql(url, { max: 2, appName: 'mandant-restore' });
  try {
    const [found] = await sql<{ events: string | null }[]>`select to_regclass('public.events')::text as events`;
    if (found?.events) throw new CliError(`${redacted(url)} is not empty (it has an event log): restore only into a new database`, 2);
    // the runtime role is cluster-wide: a new cluster does not have it yet, and the dump grants to it
    await sql.unsafe(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE}; END IF; END $$`,
    );
    log.info({ from: opts.from }, 'restoring the database');
    await tool('pg_restore', ['--exit-on-error', `--dbname=${url}`, join(opts.from, 'postgres.dump')]);
    const blobs = rawBlobStore(env);
    const root = join(opts.from, 'blobs');
    let count = 0;
    for (const file of await filesUnder(root)) {
      const [tenant, ...key] = file.split(sep);
      if (!tenant || !UUID.test(tenant) || key.length === 0) continue;
      await blobs.put(tenant, key.join('/'), await readFile(join(root, file)));
      count += 1;
    }
    // erasures newer than the backup: the restored keys they name are destroyed again
    const store = createPostgresKeyStore(sql);
    let reapplied = 0;
    for (const e of erasures) {
      const [known] = await sql<{ n: number }[]>`
        select count(*)::int as n from data_key_tombstones where tenant_id = ${e.tenant_id} and scope = ${e.scope}`;
      if ((known?.n ?? 0) > 0) continue;
      await store.destroy(e.tenant_id, e.scope === '*' ? undefined : e.scope);
      reapplied += 1;
    }
    const summary = {
      taken_at: manifest.taken_at,
      events: manifest.events,
      blobs: count,
      erasures_reapplied: reapplied,
      ms: Date.now() - started,
    };
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `restored the backup of ${manifest.taken_at}: ${manifest.events} events, ${count} blobs; ${reapplied} later erasures applied again (${summary.ms} ms)\n` +
            'next: start the platform on this database, then `projections rebuild all` and `projections verify`\n',
    );
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * `mandant keys erasures --out <file>`: every destroyed scope, one JSON line each (names and
 * times, no key material). Written whole to a new file and renamed over the old one, so the
 * journal is never half written; tombstones are never deleted, so each export holds the last.
 */
export async function exportErasures(env: Env, log: Logger, opts: { out: string }): Promise<number> {
  const ctx = await openContext(env, log, { readStores: false });
  try {
    const rows = await ctx.sql<{ tenant_id: string; scope: string; destroyed_at: Date }[]>`
      select tenant_id, scope, destroyed_at from mandant_data_key_tombstones()`;
    const lines = rows.map((r) => JSON.stringify({ tenant_id: r.tenant_id, scope: r.scope, destroyed_at: r.destroyed_at.toISOString() }));
    await mkdir(dirname(opts.out), { recursive: true });
    const tmp = `${opts.out}.${process.pid}.tmp`;
    await writeFile(tmp, lines.map((l) => `${l}\n`).join(''));
    await rename(tmp, opts.out);
    process.stdout.write(`${rows.length} erasures in ${opts.out}\n`);
    return 0;
  } finally {
    await ctx.close();
  }
}
