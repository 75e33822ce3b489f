import { type Sql, withTenant } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { type DeadLetter, listDeadLetters, retryDeadLetters } from '@mandant/shared/projection';
import { type Projection, type Projector, startProjector } from '@mandant/shared/projection';
import { checkConsistency, hasDrift, repairConsistency } from '@mandant/projectors';
import type { DocumentProjectionName } from '@mandant/projectors';
import { type CliContext, CliError, tenantsOf } from './context.ts';
import { progressBar } from './progress.ts';

const keyOf = (p: Projection) => `${p.name}@v${p.version}`;
const headOf = async (sql: Sql, tenantId: string) =>
  (await withTenant(sql, tenantId, (tx) => tx<{ last_seq: number }[]>`select last_seq from tenant_heads where tenant_id = ${tenantId}`))[0]
    ?.last_seq ?? 0;

/**
 * `mandant projections status`: every projector's position, lag and dead letters, per tenant,
 * then each dead letter (which event, why, how often, when). In JSON each row carries its own.
 */
export async function projectionStatus(ctx: CliContext, opts: { tenant?: string; json: boolean }): Promise<number> {
  const rows: {
    tenant: string;
    projector: string;
    position: number;
    head: number;
    lag: number;
    dead_letters: number;
    dead_lettered: Omit<DeadLetter, 'projector'>[];
  }[] = [];
  for (const t of await tenantsOf(ctx.sql, opts.tenant)) {
    const head = await headOf(ctx.sql, t.tenant_id);
    const [cps, dead] = await withTenant(
      ctx.sql,
      t.tenant_id,
      async (tx) =>
        [
          await tx<
            { projector: string; position: number }[]
          >`select projector, position from projection_checkpoints where tenant_id = ${t.tenant_id}`,
          await listDeadLetters(tx, t.tenant_id),
        ] as const,
    );
    for (const p of ctx.projections) {
      const cp = cps.find((c) => c.projector === keyOf(p));
      const position = cp?.position ?? 0;
      const mine = dead.filter((d) => d.projector === keyOf(p)).map(({ projector: _, ...d }) => d);
      rows.push({
        tenant: t.slug,
        projector: keyOf(p),
        position,
        head,
        lag: Math.max(0, head - position),
        dead_letters: mine.length,
        dead_lettered: mine,
      });
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    process.stdout.write(
      `${'tenant'.padEnd(24)} ${'projector'.padEnd(24)} ${'position'.padStart(9)} ${'head'.padStart(9)} ${'lag'.padStart(7)} ${'dead'.padStart(5)}\n`,
    );
    for (const r of rows)
      process.stdout.write(
        `${r.tenant.padEnd(24)} ${r.projector.padEnd(24)} ${String(r.position).padStart(9)} ${String(r.head).padStart(9)} ${String(r.lag).padStart(7)} ${String(r.dead_letters).padStart(5)}\n`,
      );
    const dead = rows.flatMap((r) => r.dead_lettered.map((d) => ({ tenant: r.tenant, projector: r.projector, ...d })));
    if (dead.length > 0) {
      process.stdout.write(`\ndead letters (retry after a fix: mandant projections retry <projector|all> --tenant <slug> [--seq N])\n`);
      for (const d of dead) {
        process.stdout.write(
          `${d.tenant.padEnd(24)} ${d.projector.padEnd(24)} seq ${d.tenant_seq} ${d.type} ${d.event_id} attempts ${d.attempts} since ${d.created_at} last ${d.last_failed_at}\n    ${d.error}\n`,
        );
      }
    }
  }
  return 0;
}

/** A tenant named by slug or id. */
async function tenantByRef(ctx: CliContext, ref: string): Promise<{ tenant_id: string; slug: string }> {
  const found = (await tenantsOf(ctx.sql, undefined)).find((t) => t.slug === ref || t.tenant_id === ref);
  if (!found) throw new CliError(`no tenant with slug or id "${ref}"`);
  return found;
}

/**
 * `mandant projections retry [<projector>… | all] --tenant <slug|id> [--seq N]`: applies the
 * tenant's dead-lettered events again (after a fix), in log order, on top of the current read
 * model (see retryDeadLetters for why that is sound). Exit 1 when some failed again (they stay).
 */
export async function retryProjections(
  ctx: CliContext,
  opts: { names: string[]; tenant: string; seq?: number; json: boolean },
): Promise<number> {
  const tenant = await tenantByRef(ctx, opts.tenant);
  const outcomes = [];
  for (const projection of pick(ctx, opts.names)) {
    outcomes.push(await retryDeadLetters({ sql: ctx.sql, projection, tenantId: tenant.tenant_id, seq: opts.seq }));
  }
  const tried = outcomes.filter((o) => o.applied.length + o.failed.length > 0);
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify(
        tried.map((o) => ({ tenant: tenant.slug, ...o })),
        null,
        2,
      )}\n`,
    );
  else if (tried.length === 0) process.stdout.write(`${tenant.slug}: no dead letters to retry\n`);
  else {
    for (const o of tried) {
      for (const seq of o.applied) process.stdout.write(`${tenant.slug.padEnd(24)} ${o.projector.padEnd(24)} seq ${seq} applied\n`);
      for (const f of o.failed)
        process.stdout.write(`${tenant.slug.padEnd(24)} ${o.projector.padEnd(24)} seq ${f.tenant_seq} failed again: ${f.error}\n`);
    }
  }
  return tried.some((o) => o.failed.length > 0) ? 1 : 0;
}

function pick(ctx: CliContext, names: string[]): Projection[] {
  if (names.length === 0 || names.includes('all')) return ctx.projections;
  return names.map((n) => {
    const found = ctx.projections.find((p) => p.name === n);
    if (!found) throw new CliError(`unknown projector "${n}"; known: ${ctx.projections.map((p) => p.name).join(', ')}, all`, 2);
    return found;
  });
}

/** `mandant projections rebuild [name…|all]`: empties each store for the tenant and replays the log into it, with a progress bar. */
export async function rebuildProjections(ctx: CliContext, log: Logger, opts: { names: string[]; tenant?: string }): Promise<number> {
  const chosen = pick(ctx, opts.names);
  const tenants = await tenantsOf(ctx.sql, opts.tenant);
  for (const projection of chosen) {
    const projector = startProjector({ sql: ctx.sql, projection, log, sweepMs: 2 ** 30 });
    try {
      for (const t of tenants) {
        const head = await headOf(ctx.sql, t.tenant_id);
        const bar = progressBar(`${projection.name} ${t.slug}`, head);
        const key = keyOf(projection);
        const poll = setInterval(() => {
          void withTenant(
            ctx.sql,
            t.tenant_id,
            (tx) => tx<{ position: number }[]>`
            select position from projection_checkpoints where tenant_id = ${t.tenant_id} and projector = ${key}`,
          ).then(
            ([row]) => bar.update(row?.position ?? 0),
            () => {},
          );
        }, 200);
        try {
          const reached = await projector.rebuild(t.tenant_id);
          bar.finish(reached);
        } finally {
          clearInterval(poll);
        }
      }
    } finally {
      await projector.stop();
    }
  }
  return 0;
}

/**
 * `mandant projections verify [--repair]`: compares each document store with what the log
 * implies, per tenant; exit 1 when drift remains. `--repair` rebuilds each drifted store.
 */
export async function verifyProjections(
  ctx: CliContext,
  log: Logger,
  opts: { tenant?: string; repair: boolean; json: boolean },
): Promise<number> {
  let drifted = 0;
  const report: unknown[] = [];
  for (const t of await tenantsOf(ctx.sql, opts.tenant)) {
    let drift = await checkConsistency({ sql: ctx.sql, stores: ctx.stores, tenantId: t.tenant_id });
    let rebuilt: DocumentProjectionName[] = [];
    if (opts.repair && drift.some(hasDrift)) {
      const projectors: Partial<Record<DocumentProjectionName, Projector>> = {};
      for (const d of drift.filter(hasDrift)) {
        const projection = ctx.projections.find((p) => p.name === d.store);
        if (projection) projectors[d.store] = startProjector({ sql: ctx.sql, projection, log, sweepMs: 2 ** 30 });
      }
      try {
        ({ rebuilt, drift } = await repairConsistency({ sql: ctx.sql, stores: ctx.stores, tenantId: t.tenant_id, projectors }));
      } finally {
        for (const p of Object.values(projectors)) await p.stop();
      }
    }
    for (const d of drift) {
      if (hasDrift(d)) drifted++;
      report.push({ tenant: t.slug, ...d, repaired: rebuilt.includes(d.store) });
      if (!opts.json) {
        const state = hasDrift(d)
          ? `DRIFT missing=${d.missing.length} stale=${d.stale.length} wrong_projects=${d.wrong_projects.length}`
          : 'ok';
        process.stdout.write(`${t.slug.padEnd(24)} ${d.store.padEnd(8)} ${state}${rebuilt.includes(d.store) ? ' (rebuilt)' : ''}\n`);
        for (const id of [...d.missing, ...d.stale, ...d.wrong_projects].slice(0, 5)) process.stdout.write(`    ${id}\n`);
      }
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return drifted > 0 ? 1 : 0;
}
