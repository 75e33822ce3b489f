import type { ActivityIncrement, ActivityView } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db';

const MINUTE_MS = 60_000;

/** How long per-minute activity is kept: the console shows at most a day; a few more days help operators look back. */
export const ACTIVITY_RETENTION_DAYS = 3;

const COUNTS = ['requests', 'client_errors', 'server_errors', 'rate_limited'] as const;
type Counts = Pick<ActivityIncrement, (typeof COUNTS)[number]>;

/** The start of the minute `ms` falls in, as an ISO timestamp. */
export const minuteOf = (ms: number): string => new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();

/** Increments of one tenant summed per minute (a flush may carry the same minute from several gateways' retries). */
export function sumMinutes(increments: readonly ActivityIncrement[]): Map<string, Map<string, ActivityIncrement>> {
  const byTenant = new Map<string, Map<string, ActivityIncrement>>();
  for (const inc of increments) {
    const tenantId = inc.tenant_id.toLowerCase();
    const minute = new Date(inc.minute).toISOString();
    const minutes = byTenant.get(tenantId) ?? new Map<string, ActivityIncrement>();
    byTenant.set(tenantId, minutes);
    const had = minutes.get(minute);
    minutes.set(minute, {
      tenant_id: tenantId,
      minute,
      requests: (had?.requests ?? 0) + inc.requests,
      client_errors: (had?.client_errors ?? 0) + inc.client_errors,
      server_errors: (had?.server_errors ?? 0) + inc.server_errors,
      rate_limited: (had?.rate_limited ?? 0) + inc.rate_limited,
    });
  }
  return byTenant;
}

/**
 * Adds one tenant's minutes (one upsert) and deletes its minutes older than the retention, in
 * the tenant's transaction. A tenant that stops calling keeps at most the retention's worth of
 * rows until its next call.
 */
export async function recordActivity(tx: Tx, tenantId: string, minutes: readonly ActivityIncrement[]): Promise<void> {
  if (minutes.length === 0) return;
  await tx`
    insert into tenant_activity ${tx(
      minutes.map((m) => ({ ...m, tenant_id: tenantId })),
      'tenant_id',
      'minute',
      'requests',
      'client_errors',
      'server_errors',
      'rate_limited',
    )}
    on conflict (tenant_id, minute) do update set
      requests = tenant_activity.requests + excluded.requests, client_errors = tenant_activity.client_errors + excluded.client_errors,
      server_errors = tenant_activity.server_errors + excluded.server_errors, rate_limited = tenant_activity.rate_limited + excluded.rate_limited`;
  await tx`delete from tenant_activity where tenant_id = ${tenantId}
           and minute < now() - make_interval(days => ${ACTIVITY_RETENTION_DAYS})`;
}

/** The window of `minutes` whole minutes ending with the current one. */
export function activityWindow(minutes: number, now: Date): { from: Date; to: Date } {
  const to = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  return { from: new Date(to - minutes * MINUTE_MS), to: new Date(to) };
}

/** A tenant's activity over the window, every minute present (zeros where nothing was counted). */
export async function activityOf(tx: Tx, tenantId: string, window: { from: Date; to: Date }): Promise<ActivityView> {
  const rows = await tx<(Record<(typeof COUNTS)[number], string> & { minute: Date })[]>`
    select minute, requests, client_errors, server_errors, rate_limited from tenant_activity
    where tenant_id = ${tenantId} and minute >= ${window.from} and minute < ${window.to} order by minute`;
  const counted = new Map(rows.map((r) => [r.minute.getTime(), r]));
  const out: ActivityView['minutes'] = [];
  for (let at = window.from.getTime(); at < window.to.getTime(); at += MINUTE_MS) {
    const r = counted.get(at);
    const counts = Object.fromEntries(COUNTS.map((c) => [c, r ? Number(r[c]) : 0])) as Counts;
    out.push({ minute: new Date(at).toISOString(), ...counts });
  }
  return { from: window.from.toISOString(), to: window.to.toISOString(), minutes: out };
}
