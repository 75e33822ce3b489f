import { parseArgs } from 'node:util';
import { readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { CliError, openContext, tenantsOf } from './context.ts';
import { auditExport, auditReplay, auditVerifyFile, auditVerifyTenant } from './audit.ts';
import { projectionStatus, rebuildProjections, retryProjections, verifyProjections } from './projections.ts';
import { backup, exportErasures, restore } from './backup.ts';
import { keysRotate, keysStatus } from './keys.ts';
import { provisionTenant } from './tenants.ts';

const USAGE = `usage: mandant <command>

  projections status  [--tenant <slug>] [--json]     position, lag and dead letters of every projector
  projections retry   [<projector>… | all] --tenant <slug|id> [--seq <tenant_seq>] [--json]
                                                     apply dead-lettered events again after a fix (exit 1 if some fail again)
  projections rebuild [<projector>… | all] [--tenant <slug>]
                                                     empty a read model and replay the log into it
  projections verify  [--tenant <slug>] [--repair] [--json]
                                                     compare every document store with the log (exit 1 on drift)
  tenants list        [--json]
  tenants provision   --name <name> --slug <slug> [--json]
                                                     provision a tenant (as POST /tenants); prints its id and admin API key once
  audit export        --tenant <slug> [--out <file>]
                                                     the tenant's whole log as NDJSON (stdout unless --out), progress on stderr
  audit verify        <file> | --tenant <slug> [--json]
                                                     order, envelope shape and hash chain; names the first broken position
                                                     (exit 0 ok, 1 broken)
  audit replay        --tenant <slug> --into <database url> [--json]
                                                     rebuild the tenant from its log alone in a fresh database and compare
                                                     every store with the live one by content hash (exit 1 on a difference)
  keys status         [--tenant <slug>] [--json]     data keys counted by the master key that wraps them
  keys rotate         [--tenant <slug>] [--batch <n>] [--json]
                                                     re-wrap every data key under MANDANT_MASTER_KEY, a batch per transaction;
                                                     MANDANT_MASTER_KEY_PREVIOUS names the old key(s); rerun after a crash
  keys erasures       --out <file>                   the erasure journal: every destroyed key scope as NDJSON (keep it apart from backups)
  backup create       --to <dir> [--json]            pg_dump of the database, every tenant's blobs and manifest.json (never the master key)
  backup restore      --from <dir> [--erasures <file>] [--json]
                                                     into an empty DATABASE_URL: the dump, the blobs, then the journal's erasures again

The database is DATABASE_URL, else the embedded one in MANDANT_DATA_DIR (default .mandant).`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        seq: { type: 'string' },
        out: { type: 'string' },
        into: { type: 'string' },
        name: { type: 'string' },
        slug: { type: 'string' },
        batch: { type: 'string' },
        to: { type: 'string' },
        from: { type: 'string' },
        erasures: { type: 'string' },
        repair: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const [group, command, ...rest] = positionals;
  if (values.help || !group) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const known = {
    projections: ['status', 'rebuild', 'verify', 'retry'],
    tenants: ['list', 'provision'],
    audit: ['export', 'verify', 'replay'],
    keys: ['status', 'rotate', 'erasures'],
    backup: ['create', 'restore'],
  } as Record<string, string[]>;
  if (!known[group]?.includes(command ?? ''))
    throw new CliError(`unknown command "${[group, command].filter(Boolean).join(' ')}"\n\n${USAGE}`, 2);
  const usage = (message: string) => new CliError(`${group} ${command}: ${message}\n\n${USAGE}`, 2);
  const required = (name: 'tenant' | 'into' | 'name' | 'slug' | 'to' | 'from' | 'out'): string => {
    const v = values[name];
    if (v === undefined || v === '') throw usage(`--${name} is required`);
    return v;
  };
  if (group === 'audit' && command === 'verify') {
    if (rest.length > 1 || (rest.length === 1) === (values.tenant !== undefined)) throw usage('give either one <file> or --tenant <slug>');
    const [file] = rest;
    if (file !== undefined) return auditVerifyFile(file, { json: values.json });
  } else if (group === 'audit' || group === 'keys' || group === 'backup' || (group === 'tenants' && command === 'provision')) {
    if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
  }
  let env;
  try {
    env = readEnv();
  } catch (err) {
    throw new CliError(`invalid environment: ${(err as Error).message}`, 2);
  }
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'mandant-cli' });
  if (group === 'audit') {
    const tenant = required('tenant');
    if (command === 'export') return auditExport(env, log, { tenant, out: values.out });
    if (command === 'verify') return auditVerifyTenant(env, log, { tenant, json: values.json });
    return auditReplay(env, log, { tenant, into: required('into'), json: values.json });
  }
  if (group === 'backup') {
    if (command === 'create') return backup(env, log, { to: required('to'), json: values.json });
    return restore(env, log, { from: required('from'), erasures: values.erasures, json: values.json });
  }
  if (group === 'keys' && command === 'erasures') return exportErasures(env, log, { out: required('out') });
  if (group === 'keys') {
    const batch = values.batch === undefined ? undefined : Number(values.batch);
    if (batch !== undefined && !(Number.isSafeInteger(batch) && batch > 0 && batch <= 10_000))
      throw usage('--batch must be a whole number from 1 to 10000');
    if (command === 'status') return keysStatus(env, log, { tenant: values.tenant, json: values.json });
    return keysRotate(env, log, { tenant: values.tenant, batch, json: values.json });
  }
  if (group === 'tenants' && command === 'provision')
    return provisionTenant(env, log, { name: required('name'), slug: required('slug'), json: values.json });
  const seq = values.seq === undefined ? undefined : Number(values.seq);
  if (seq !== undefined && !(Number.isSafeInteger(seq) && seq > 0)) throw usage('--seq must be a positive tenant_seq');
  if (command === 'retry') required('tenant');
  const ctx = await openContext(env, log);
  try {
    const tenant = values.tenant;
    if (group === 'tenants') {
      const tenants = await tenantsOf(ctx.sql, undefined);
      process.stdout.write(
        values.json ? `${JSON.stringify(tenants, null, 2)}\n` : tenants.map((t) => `${t.slug}\t${t.tenant_id}\n`).join(''),
      );
      return 0;
    }
    if (command === 'status') return await projectionStatus(ctx, { tenant, json: values.json });
    if (command === 'rebuild') return await rebuildProjections(ctx, log, { names: rest, tenant });
    if (command === 'retry') return await retryProjections(ctx, { names: rest, tenant: required('tenant'), seq, json: values.json });
    return await verifyProjections(ctx, log, { tenant, repair: values.repair, json: values.json });
  } finally {
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mandant: ${err instanceof CliError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
