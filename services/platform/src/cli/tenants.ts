import { randomBytes } from 'node:crypto';
import { rpc } from '@mandant/contracts';
import { documentTotals, documentViews } from '@mandant/documents';
import { membershipViews } from '@mandant/membership';
import { projectViews } from '@mandant/project';
import { createKeyring } from '@mandant/shared/stores/crypto';
import { createMemoryKeyStore } from '@mandant/shared/stores/crypto';
import type { Env } from '@mandant/shared/env';
import { DomainError } from '@mandant/shared/errors';
import { createEventStore } from '@mandant/shared/eventstore';
import { uuidv7 } from '@mandant/shared/ids';
import type { Logger } from '@mandant/shared/log';
import { startProjector } from '@mandant/shared/projection';
import { systemClock } from '@mandant/shared/service';
import { tenantService } from '@mandant/tenant';
import { ZodError } from 'zod';
import { CliError, openContext } from './context.ts';
import { VIEW_PROJECTORS, platformViewsWait } from '../views.ts';

/**
 * `mandant tenants provision --name <n> --slug <s>`: the very use case `POST /tenants` runs (the
 * tenant service's `tenant.provision` handler, as the operator), so the slug claim, the events and
 * the first admin key are the same. The handler waits for the relational views: this process
 * projects them itself right after each append (a running platform may do it too; checkpoints
 * make that exactly-once), so it answers at once with or without a platform running.
 */
export async function provisionTenant(env: Env, log: Logger, opts: { name: string; slug: string; json: boolean }): Promise<number> {
  const ctx = await openContext(env, log, { readStores: false });
  const store = createEventStore(ctx.sql);
  const service = tenantService({
    sql: ctx.sql,
    store,
    clock: systemClock,
    log,
    waitForViews: platformViewsWait(ctx.sql, log),
    documents: { totals: documentTotals },
  });
  // A new tenant has no document events: the document views only move their checkpoint, so a
  // throw-away keyring stands in for the real one (which would need the master key here).
  const keyring = createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() });
  const views = [...service.projections, projectViews, membershipViews(keyring), documentViews(keyring)];
  const projectors = views
    .filter((p) => VIEW_PROJECTORS.includes(`${p.name}@v${p.version}`))
    .map((projection) => startProjector({ sql: ctx.sql, projection, log, sweepMs: 2 ** 30 }));
  const unsubscribe = store.onAppended((tenantId, position) => {
    for (const p of projectors)
      void p.catchUp(tenantId, position).catch((err: unknown) => log.warn({ err, tenant_id: tenantId }, 'view catch-up failed'));
  });
  try {
    const handler = service.handlers[rpc.tenantProvision];
    if (!handler) throw new Error('the tenant service has no provision handler');
    const result = (await handler(
      { name: opts.name, slug: opts.slug },
      { principal: null, operator: true, meta: { correlation_id: `cli-${uuidv7()}`, traceparent: null } },
    ).catch((err: unknown) => {
      if (err instanceof ZodError)
        throw new CliError(`invalid tenant: ${err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`, 2);
      if (err instanceof DomainError) throw new CliError(err.message);
      throw err;
    })) as { tenant: { id: string; slug: string; name: string }; admin_api_key: string };
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`tenant ${result.tenant.slug} provisioned: ${result.tenant.id}\n`);
      process.stdout.write(`admin API key (shown once, store it now): ${result.admin_api_key}\n`);
    }
    return 0;
  } finally {
    unsubscribe();
    for (const p of projectors) await p.stop();
    await ctx.close();
  }
}
