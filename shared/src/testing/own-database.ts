import { randomBytes } from 'node:crypto';
import { createSql } from '../db/connect.ts';

/**
 * A database of its own on the run's server, for a suite that runs a whole platform: its outbox
 * relay, sweeps and ingestion worker act on every tenant of their database, so sharing the run's
 * database would let them handle other suites' tenants. Migrated by whatever starts on it (the
 * platform does). `drop` removes it.
 */
export async function ownDatabase(ownerUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mandant_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = createSql(ownerUrl, { max: 1, appName: 'mandant-test-setup' });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(ownerUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}
