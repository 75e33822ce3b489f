import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.ts';
import { createSql } from './connect.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const APP_ROLE = 'mandant_app';

/** Applies pending migrations with the owner's connection. Safe to run concurrently: an advisory lock makes later callers wait. */
export async function migrate(ownerUrl: string, log: Logger): Promise<void> {
  const applied = await runner({
    databaseUrl: ownerUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'mandant_migrations',
    checkOrder: true,
    // several processes may start together: the later ones wait, then find nothing to do
    advisoryLockMode: 'wait',
    log: (msg: string) => log.debug({ msg }, 'migration'),
  });
  if (applied.length > 0) log.info({ applied: applied.map((m) => m.name) }, 'migrations applied');
}

/**
 * Lets the runtime role log in (with a password when one is configured) and returns the URL the
 * services connect with. The role is created NOLOGIN by the first migration.
 */
export async function prepareAppRole(ownerUrl: string, password: string | undefined): Promise<string> {
  const sql = createSql(ownerUrl, { max: 1, appName: 'mandant-bootstrap' });
  try {
    if (password) await sql.unsafe(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
    else await sql.unsafe(`ALTER ROLE ${APP_ROLE} LOGIN`);
  } finally {
    await sql.end();
  }
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password ? encodeURIComponent(password) : '';
  return url.toString();
}
