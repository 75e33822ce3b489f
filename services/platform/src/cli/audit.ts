import { createWriteStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Env } from '@mandant/shared/env';
import { createEventStore } from '@mandant/shared/eventstore';
import type { Logger } from '@mandant/shared/log';
import { exportTenantLog } from '../audit/export.ts';
import { ReplayError, replayTenant } from '../audit/replay.ts';
import { type LogReport, createLogVerifier, verifyFile } from '../audit/verify.ts';
import { CliError, appPassword, openContext, tenantBySlug } from './context.ts';
import { type ProgressBar, progressBar } from './progress.ts';

const PAGE = 2_000;

/** `mandant audit export --tenant <slug> [--out <file>]`: the tenant's log as NDJSON on stdout or into a file. */
export async function auditExport(env: Env, log: Logger, opts: { tenant: string; out?: string }): Promise<number> {
  const ctx = await openContext(env, log, { readStores: false });
  try {
    const tenantId = await tenantBySlug(ctx.sql, opts.tenant);
    const store = createEventStore(ctx.sql);
    let out: Writable = process.stdout;
    if (opts.out) {
      const file = createWriteStream(opts.out);
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', (err) => reject(new CliError(`cannot write ${opts.out}: ${err.message}`)));
      });
      out = file;
    }
    // heard for the whole export, so a write that fails later (EPIPE when piped into `head`,
    // a full disk) ends the export through exportTenantLog instead of the process
    out.on('error', () => undefined);
    let bar: ProgressBar | null = null;
    const { written } = await exportTenantLog(store, tenantId, out, (done, head) => {
      bar ??= progressBar(`export ${opts.tenant}`, head);
      bar.update(done);
    });
    (bar ?? progressBar(`export ${opts.tenant}`, written)).finish(written);
    if (out !== process.stdout) {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      process.stderr.write(`exported ${written} events of ${opts.tenant} to ${opts.out}\n`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

function printReport(report: LogReport, source: string, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify({ source, ...report }, null, 2)}\n`);
  else if (report.ok) {
    process.stdout.write(
      `ok: ${report.checked} events of tenant ${report.tenant_id}, tenant_seq 1..${report.head_seq}, head hash ${report.head_hash}\n`,
    );
  } else {
    const b = report.broken;
    process.stdout.write(
      `BROKEN (${b?.kind}): ${b?.message}\n${report.checked} events verified before it; last good hash ${report.head_hash}\n`,
    );
  }
  return report.ok ? 0 : 1;
}

/** `mandant audit verify <file>`: order, shape and hash chain of an export, without any database. */
export async function auditVerifyFile(path: string, opts: { json: boolean }): Promise<number> {
  await access(path, constants.R_OK).catch((err: unknown) => {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  });
  const started = Date.now();
  const report = await verifyFile(path, (lines) => {
    if (process.stderr.isTTY) process.stderr.write(`\rverify ${path}: ${lines} lines`);
  }).catch((err: unknown) => {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  if (!opts.json)
    process.stderr.write(
      `verified ${report.checked} events in ${seconds.toFixed(1)} s (${Math.round(report.checked / Math.max(seconds, 0.001))} ev/s)\n`,
    );
  return printReport(report, path, opts.json);
}

/** `mandant audit verify --tenant <slug>`: the same checks on the live log, up to the tenant's head. */
export async function auditVerifyTenant(env: Env, log: Logger, opts: { tenant: string; json: boolean }): Promise<number> {
  const ctx = await openContext(env, log, { readStores: false });
  try {
    const tenantId = await tenantBySlug(ctx.sql, opts.tenant);
    const store = createEventStore(ctx.sql);
    const head = await store.head(tenantId);
    const verifier = createLogVerifier(tenantId);
    const bar = progressBar(`verify ${opts.tenant}`, head);
    let after = 0;
    while (after < head) {
      const page = await store.readTenant(tenantId, after, Math.min(PAGE, head - after));
      if (page.length === 0) break;
      if (!page.every((e) => verifier.push(e))) break;
      after = page.at(-1)?.tenant_seq ?? head;
      bar.update(after);
    }
    bar.finish(after);
    return printReport(verifier.report(head), `tenant ${opts.tenant}`, opts.json);
  } finally {
    await ctx.close();
  }
}

const short = (hash: string) => (hash ? hash.slice(0, 16) : '-');

/** `mandant audit replay --tenant <slug> --into <database url>`: rebuild from the log alone and compare every store. */
export async function auditReplay(env: Env, log: Logger, opts: { tenant: string; into: string; json: boolean }): Promise<number> {
  try {
    new URL(opts.into);
  } catch {
    throw new CliError(`--into must be a database URL (postgres://…), got "${opts.into}"`, 2);
  }
  const ctx = await openContext(env, log);
  try {
    const tenantId = await tenantBySlug(ctx.sql, opts.tenant);
    const bars: Partial<Record<'copy' | 'project', ProgressBar>> = {};
    const result = await replayTenant({
      live: ctx,
      env,
      log,
      tenantId,
      targetUrl: opts.into,
      appPassword: appPassword(env),
      onPhase(phase, done, total) {
        const bar = (bars[phase] ??= progressBar(phase === 'copy' ? `copy log ${opts.tenant}` : `replay ${opts.tenant}`, total));
        if (done >= total) bar.finish(done);
        else bar.update(done);
      },
    }).catch((err: unknown) => {
      if (err instanceof ReplayError) throw new CliError(err.message);
      throw err;
    });
    const equal = result.comparisons.every((c) => c.equal) && result.dead_letters.length === 0;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ tenant: opts.tenant, tenant_id: tenantId, equal, ...result }, null, 2)}\n`);
      return equal ? 0 : 1;
    }
    const w = Math.max(5, ...result.comparisons.map((c) => c.store.length));
    process.stdout.write(
      `${'store'.padEnd(w)}  ${'items live/replay'.padStart(17)}  ${'live hash'.padEnd(16)}  ${'replay hash'.padEnd(16)}  equal\n`,
    );
    for (const c of result.comparisons) {
      const items = `${c.live.items}/${c.replay.items}`;
      process.stdout.write(
        `${c.store.padEnd(w)}  ${items.padStart(17)}  ${short(c.live.hash)}  ${short(c.replay.hash)}  ${c.equal ? 'yes' : 'NO'}\n`,
      );
    }
    for (const d of result.dead_letters) process.stdout.write(`dead letter: ${d.projector} at tenant_seq ${d.tenant_seq}: ${d.error}\n`);
    process.stdout.write(
      equal
        ? `replayed ${result.events} events: every store equals the live one\n`
        : `replayed ${result.events} events: ${result.comparisons.filter((c) => !c.equal).length} store(s) differ, ${result.dead_letters.length} dead letter(s)\n`,
    );
    return equal ? 0 : 1;
  } finally {
    await ctx.close();
  }
}
