import { parseArgs } from 'node:util';
import { readEnv } from '@mandant/shared/env.ts';
import { createLogger } from '@mandant/shared/log.ts';
import { CliError, openContext, tenantsOf } from './context.ts';
import { projectionStatus, rebuildProjections, verifyProjections } from './projections.ts';

const USAGE = `usage: mandant <command>

  projections status  [--tenant <slug>] [--json]     position, lag and dead letters of every projector
  projections rebuild [<projector>… | all] [--tenant <slug>]
                                                     empty a read model and replay the log into it
  projections verify  [--tenant <slug>] [--repair] [--json]
                                                     compare every document store with the log (exit 1 on drift)
  tenants list        [--json]

The database is DATABASE_URL, else the embedded one in MANDANT_DATA_DIR (default .mandant).`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { tenant: { type: 'string' }, repair: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const [group, command, ...rest] = positionals;
  if (values.help || !group) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const known = { projections: ['status', 'rebuild', 'verify'], tenants: ['list'] } as Record<string, string[]>;
  if (!known[group]?.includes(command ?? '')) throw new CliError(`unknown command "${[group, command].filter(Boolean).join(' ')}"\n\n${USAGE}`, 2);
  const env = readEnv();
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'mandant-cli' });
  const ctx = await openContext(env, log);
  try {
    const tenant = values.tenant;
    if (group === 'tenants') {
      const tenants = await tenantsOf(ctx.sql, undefined);
      process.stdout.write(values.json ? `${JSON.stringify(tenants, null, 2)}\n` : tenants.map((t) => `${t.slug}\t${t.tenant_id}\n`).join(''));
      return 0;
    }
    if (command === 'status') return await projectionStatus(ctx, { tenant, json: values.json });
    if (command === 'rebuild') return await rebuildProjections(ctx, log, { names: rest, tenant });
    return await verifyProjections(ctx, log, { tenant, repair: values.repair, json: values.json });
  } finally {
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mandant: ${err instanceof CliError ? err.message : (err as Error).stack ?? String(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
