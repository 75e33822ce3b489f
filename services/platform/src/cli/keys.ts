import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Env, previousMasterKeys } from '@mandant/shared/env';
import type { Logger } from '@mandant/shared/log';
import { masterKey } from '@mandant/shared/service';
import {
  InvalidMasterKeyError,
  KeyUnwrapError,
  UnknownMasterKeyError,
  createMasterKeys,
  createPostgresKeyStore,
  keyStatus,
  rotateMasterKey,
} from '@mandant/shared/stores/crypto';
import { CliError, openContext, tenantsOf } from './context.ts';

/** The configured master keys: `MANDANT_MASTER_KEY` (or the embedded one) and `MANDANT_MASTER_KEY_PREVIOUS`. */
function configuredKeys(env: Env): { current: string; previous: string[] } {
  if (!env.MANDANT_MASTER_KEY && !existsSync(join(env.MANDANT_DATA_DIR, 'master-key'))) {
    throw new CliError(`no MANDANT_MASTER_KEY and no ${join(env.MANDANT_DATA_DIR, 'master-key')}: there is no master key to rotate to`, 2);
  }
  const previous = previousMasterKeys(env);
  const current = masterKey(env, true);
  try {
    createMasterKeys(current, previous);
  } catch (err) {
    if (err instanceof InvalidMasterKeyError) throw new CliError(`invalid master key configuration: ${err.message}`, 2);
    throw err;
  }
  return { current, previous };
}

/** `mandant keys status [--tenant <slug>] [--json]`: data keys counted by the master key that wraps them. */
export async function keysStatus(env: Env, log: Logger, opts: { tenant?: string; json: boolean }): Promise<number> {
  const { current, previous } = configuredKeys(env);
  const masters = createMasterKeys(current, previous);
  const ctx = await openContext(env, log, { readStores: false });
  try {
    const store = createPostgresKeyStore(ctx.sql);
    const tenants = opts.tenant === undefined ? undefined : (await tenantsOf(ctx.sql, opts.tenant)).map((t) => t.tenant_id);
    const status = await keyStatus(store, masters, tenants);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...status, previousIds: masters.ids.slice(1) }, null, 2)}\n`);
    else {
      const role = (id: string) =>
        id === masters.currentId
          ? 'current'
          : masters.ids.includes(id)
            ? 'previous'
            : id === 'unnamed'
              ? 'older form, no id'
              : 'NOT CONFIGURED';
      for (const [id, n] of Object.entries(status.byMasterKey)) process.stdout.write(`${id}\t${n}\t${role(id)}\n`);
      process.stdout.write(`${status.left} data keys left to re-wrap under ${masters.currentId}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

/**
 * `mandant keys rotate [--tenant <slug>] [--batch <n>]`: re-wraps every data key not yet under
 * MANDANT_MASTER_KEY, a batch per transaction. Safe to stop and rerun at any point.
 */
export async function keysRotate(env: Env, log: Logger, opts: { tenant?: string; batch?: number; json: boolean }): Promise<number> {
  const { current, previous } = configuredKeys(env);
  const ctx = await openContext(env, log, { readStores: false });
  try {
    const store = createPostgresKeyStore(ctx.sql);
    const tenants = opts.tenant === undefined ? undefined : (await tenantsOf(ctx.sql, opts.tenant)).map((t) => t.tenant_id);
    const started = Date.now();
    const result = await rotateMasterKey({
      store,
      masterKey: current,
      previousMasterKeys: previous,
      batchSize: opts.batch,
      tenants,
      onProgress: (done, total) => process.stderr.write(`re-wrapped ${done}/${total} data keys\n`),
    }).catch((err: unknown) => {
      if (err instanceof UnknownMasterKeyError || err instanceof KeyUnwrapError) throw new CliError(err.message);
      throw err;
    });
    const summary = { ...result, master_key_id: createMasterKeys(current).currentId, ms: Date.now() - started };
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(`re-wrapped ${result.rewrapped} data keys under ${summary.master_key_id}; ${result.left} left\n`);
    return result.left === 0 ? 0 : 1;
  } finally {
    await ctx.close();
  }
}
