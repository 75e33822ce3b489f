import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Sql, createSql } from '@mandant/shared/db';
import { prepareAppRole } from '@mandant/shared/db';
import type { Env } from '@mandant/shared/env';
import { createEventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import type { Projection } from '@mandant/shared/projection';
import { attachEmbeddedPostgres, startEmbeddedPostgres } from '@mandant/shared/runtime';
import { systemClock } from '@mandant/shared/service';
import { masterKey, persistentSecret } from '@mandant/shared/service';
import { type ReadStores, createReadStores } from '@mandant/shared/stores';
import { allProjections, embedderRegistry } from '../platform.ts';
import { platformViewsWait } from '../views.ts';

/** What the operator commands work on: the database as the runtime role, the read stores, every projection. */
export interface CliContext {
  sql: Sql;
  stores: ReadStores;
  projections: Projection[];
  /** the runtime role's URL of the live database */
  appUrl: string;
  close(): Promise<void>;
}

/** What the log-only commands need: the live database as the runtime role, no read stores. */
export type LogContext = Pick<CliContext, 'sql' | 'appUrl' | 'close'>;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * `DATABASE_URL` (or `DATABASE_APP_URL`) when set; else the embedded Postgres of
 * `MANDANT_DATA_DIR`: joined when `npm start` is running it, started for the command otherwise.
 * Never migrates: the platform (or `npm run migrate`) owns the schema.
 */
export function openContext(env: Env, log: Logger): Promise<CliContext>;
export function openContext(env: Env, log: Logger, opts: { readStores: false }): Promise<LogContext>;
export async function openContext(
  env: Env,
  log: Logger,
  opts: { readStores: boolean } = { readStores: true },
): Promise<CliContext | LogContext> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    let appUrl = env.DATABASE_APP_URL;
    if (!appUrl) {
      let ownerUrl = env.DATABASE_URL ?? (await attachEmbeddedPostgres(join(env.MANDANT_DATA_DIR, 'postgres')));
      if (!ownerUrl) {
        const pg = await startEmbeddedPostgres({ dataDir: join(env.MANDANT_DATA_DIR, 'postgres'), log }).catch((err: unknown) => {
          throw new CliError(`no DATABASE_URL and no embedded database in ${env.MANDANT_DATA_DIR} (${(err as Error).message})`);
        });
        closers.push(() => pg.stop());
        ownerUrl = pg.url;
      }
      const owner = ownerUrl;
      appUrl = await prepareAppRole(owner, appPassword(env)).catch((err: unknown) => {
        throw new CliError(`cannot reach the database ${redacted(owner)}: ${(err as Error).message}`);
      });
    }
    const sql = createSql(appUrl, { max: Math.min(6, env.DATABASE_POOL_MAX), appName: 'mandant-cli' });
    closers.push(() => sql.end({ timeout: 5 }));
    await sql`select 1 from events limit 0`.catch((err: unknown) => {
      throw new CliError(`the database does not answer or is not migrated: ${(err as Error).message}`);
    });
    const close = async () => {
      for (const c of closers.reverse()) await c().catch(() => {});
    };
    if (!opts.readStores) return { sql, appUrl, close };
    // the key the platform generated beside its data, never a new one: that would open nothing
    if (!env.MANDANT_MASTER_KEY && !existsSync(join(env.MANDANT_DATA_DIR, 'master-key'))) {
      throw new CliError(`no MANDANT_MASTER_KEY and no ${join(env.MANDANT_DATA_DIR, 'master-key')}: the sealed documents cannot be read`);
    }
    const stores = await createReadStores(env, { appUrl, sql, masterKey: masterKey(env, true) });
    closers.push(() => stores.close());
    const projections = allProjections({
      sql,
      store: createEventStore(sql),
      clock: systemClock,
      log,
      waitForViews: platformViewsWait(sql, log),
      stores,
      embedders: embedderRegistry(env),
      env,
      rpc: null,
    });
    return { sql, stores, projections, appUrl, close };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => {});
    throw err;
  }
}

/** The runtime role's password: configured, else the embedded database's generated one, else none. */
export const appPassword = (env: Env): string | undefined =>
  env.MANDANT_APP_DB_PASSWORD ?? (env.DATABASE_URL ? undefined : persistentSecret(join(env.MANDANT_DATA_DIR, 'app-db-password')));

/** A database URL fit for a message: no password. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** One tenant by slug, through the definer function; a missing slug is an error naming it. */
export async function tenantBySlug(sql: Sql, slug: string): Promise<string> {
  const [row] = await sql<{ id: string | null }[]>`select mandant_tenant_by_slug(${slug}) as id`;
  if (!row?.id) throw new CliError(`no tenant with slug "${slug}"`);
  return row.id;
}

/** Every tenant, or the one named by slug (a missing slug is an error naming it). */
export async function tenantsOf(sql: Sql, slug: string | undefined): Promise<{ tenant_id: string; slug: string }[]> {
  const all = await sql<{ tenant_id: string; slug: string }[]>`select tenant_id, slug from mandant_list_tenants()`;
  if (slug === undefined) return all;
  const found = all.filter((t) => t.slug === slug);
  if (found.length === 0) throw new CliError(`no tenant with slug "${slug}"`);
  return found;
}
