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

/** Postgres's answer when two sessions change the same catalog row at once (e.g. one role). */
const CONCURRENTLY_UPDATED = 'tuple concurrently updated';

/**
 * Lets the runtime role log in (with a password when one is configured) and returns the URL the
 * services connect with. The role is created NOLOGIN by the first migration.
 *
 * Every service process calls this at start, so several do at once: a role that may log in
 * already and has no password to set is left alone, and an ALTER ROLE that met another one on
 * the role's catalog row (the role is cluster-wide, so no advisory lock of one database orders
 * them) is tried again.
 */
export async function prepareAppRole(ownerUrl: string, password: string | undefined): Promise<string> {
  const sql = createSql(ownerUrl, { max: 1, appName: 'mandant-bootstrap' });
  try {
    const [role] = await sql<{ login: boolean }[]>`select rolcanlogin as login from pg_roles where rolname = ${APP_ROLE}`;
    if (password || !role?.login) {
      const statement = password
        ? `ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`
        : `ALTER ROLE ${APP_ROLE} LOGIN`;
      for (let attempt = 1; ; attempt++) {
        try {
          await sql.unsafe(statement);
          break;
        } catch (err) {
          if (attempt >= 10 || !(err instanceof Error && err.message.includes(CONCURRENTLY_UPDATED))) throw err;
          // apart at random, so the ones that met do not meet again
          await new Promise((r) => setTimeout(r, Math.random() * 25 * attempt));
        }
      }
    }
  } finally {
    await sql.end();
  }
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password ? encodeURIComponent(password) : '';
  return url.toString();
}
