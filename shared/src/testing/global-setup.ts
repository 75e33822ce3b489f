import type { TestProject } from 'vitest/node';
import './backends.ts';
import { createSql } from '../db/connect.ts';
import { migrate, prepareAppRole } from '../db/migrate.ts';
import { createLogger } from '../log.ts';
import { provideQdrant } from './qdrant.ts';
import { provideMeilisearch } from './meilisearch.ts';

/**
 * Creates one fresh database for the whole run, migrated, so test files share nothing with
 * other runs; inside it every test uses its own tenant ids. Dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // processes that tests start inherit this: word hashing, not EMBEDDING_MODEL=auto's real model
  // (fast and the same on every machine); a test about the real model sets its own
  process.env.EMBEDDING_MODEL ??= 'local-hashing-v1-384';
  const stopQdrant = await provideQdrant(project);
  const stopMeilisearch = await provideMeilisearch(project);
  const stopPostgres = await setupPostgres(project);
  return async () => {
    await stopPostgres();
    await stopMeilisearch();
    await stopQdrant();
  };
}

async function setupPostgres(project: TestProject): Promise<() => Promise<void>> {
  const server = process.env.MANDANT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = createSql(server, { max: 1, appName: 'mandant-test-setup' });
  const name = `mandant_test_${process.pid}_${Date.now().toString(36)}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {});
    project.provide('pg', { ownerUrl: null, appUrl: null, reason: `no Postgres at ${redact(server)}: ${(err as Error).message}` });
    return async () => {};
  }
  const ownerUrl = withDatabase(server, name);
  await migrate(ownerUrl, createLogger({ level: 'warn' }));
  const appUrl = await prepareAppRole(ownerUrl, undefined);
  project.provide('pg', { ownerUrl, appUrl, reason: null });
  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end({ timeout: 5 });
  };
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function redact(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}
