import { createSql } from '@mandant/shared/db';
import { migrate, prepareAppRole } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { ownDatabase } from '@mandant/shared/testing';
import { seededRandom as mulberry32 } from '@mandant/shared/testing';

export { SETTLE_MS } from '@mandant/shared/testing';

/**
 * Polls `condition` until it holds; fails after `timeoutMs`. Fault tests wait on conditions
 * with generous deadlines (a loaded two-core CI machine), never on fixed sleeps.
 */
export async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A seeded generator (mulberry32): the fault schedule of a run is printed and replayable with
 * `FAULT_SEED=<seed>`.
 */
export function seededRandom(label: string): {
  seed: number;
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
} {
  const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stderr.write(`fault seed for ${label}: ${seed}\n`);
  const next = mulberry32(seed);
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)), chance: (p) => next() < p };
}

export interface FaultDatabase {
  ownerUrl: string;
  appUrl: string;
  drop(): Promise<void>;
}

/**
 * A migrated database of the suite's own: relays, sweeps and projectors act on every tenant of
 * their database, so a fault suite never shares one with other suites (nor they with it).
 */
export async function faultDatabase(runOwnerUrl: string, label: string, log: Logger): Promise<FaultDatabase> {
  const db = await ownDatabase(runOwnerUrl, label);
  await migrate(db.url, log);
  const appUrl = await prepareAppRole(db.url, undefined);
  return { ownerUrl: db.url, appUrl, drop: () => db.drop() };
}

/** A test table the runtime role may use, under the same forced row-level security as the real ones. */
export async function createTenantTable(ownerUrl: string, name: string, columns: string): Promise<void> {
  const owner = createSql(ownerUrl, { max: 1, appName: 'mandant-fault-setup' });
  try {
    await owner.unsafe(`create table ${name} (${columns});
      select mandant_isolate_tenant_table('${name}');`);
  } finally {
    await owner.end();
  }
}
