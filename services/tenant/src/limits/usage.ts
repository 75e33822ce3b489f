import type { UsageCounters, UsageView } from '@mandant/contracts';
import { type Sql, type Tx, withTenant } from '@mandant/shared/db';
import { DomainError } from '@mandant/shared/errors';
import type { EventStore } from '@mandant/shared/eventstore';
import { type LimitDefaults, readLimits } from './limits.ts';

export interface Period {
  from: string;
  to: string;
}

/**
 * What the tenant stores now (documents not deleted and their bytes): the documents context's
 * data, which this package cannot import (documents' quotas read the limits from here), so the
 * composition passes in its `documentTotals`. Inside the caller's tenant transaction.
 */
export interface DocumentTotals {
  totals(tx: Tx, tenantId: string): Promise<{ documents: number; stored_bytes: number }>;
}

const DAY_MS = 86_400_000;
export const DEFAULT_PERIOD_DAYS = 30;
export const MAX_PERIOD_DAYS = 366;

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** the first day Postgres can store (it has no year 0) */
const FIRST_DAY = '0001-01-01';
const maxDay = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a);

/** The asked period of whole UTC days (both ends included); by default the last 30 days up to today. */
export function usagePeriod(q: { from?: string; to?: string }, now: Date): Period {
  const to = q.to ?? isoDay(now.getTime());
  const from = q.from ?? maxDay(FIRST_DAY, isoDay(Date.parse(to) - (DEFAULT_PERIOD_DAYS - 1) * DAY_MS));
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new DomainError('validation.failed', 'from: must not be after to', { field: 'from' });
  if (days > MAX_PERIOD_DAYS)
    throw new DomainError('validation.failed', `from: at most ${MAX_PERIOD_DAYS} days at once`, { field: 'from' });
  return { from, to };
}

const COUNTERS = ['api_calls', 'search_calls', 'chat_calls', 'upload_calls', 'rate_limited'] as const;

/**
 * A tenant's usage: the gateways' flushed counters per day of the period, the current document
 * totals, the log's head and the effective limits. Counters trail the requests by at most one
 * flush interval of each gateway (USAGE_FLUSH_MS).
 */
export async function usageOf(
  deps: { sql: Sql; store: EventStore; defaults: LimitDefaults; documents: DocumentTotals },
  tenantId: string,
  period: Period,
): Promise<UsageView> {
  const [{ rows, totals, limits }, events] = await Promise.all([
    withTenant(deps.sql, tenantId, async (tx) => ({
      rows: await tx<(UsageCounters & { day: string })[]>`
        select to_char(day, 'YYYY-MM-DD') as day, api_calls, search_calls, chat_calls, upload_calls, rate_limited from tenant_usage
        where tenant_id = ${tenantId} and day between ${period.from}::date and ${period.to}::date order by day`,
      totals: await deps.documents.totals(tx, tenantId),
      limits: await readLimits(tx, tenantId, deps.defaults),
    })),
    deps.store.head(tenantId),
  ]);
  const days = rows.map(
    (r) => ({ day: r.day, ...Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c])])) }) as UsageCounters & { day: string },
  );
  const sum = Object.fromEntries(COUNTERS.map((c) => [c, days.reduce((n, d) => n + d[c], 0)])) as unknown as UsageCounters;
  return {
    tenant_id: tenantId,
    from: period.from,
    to: period.to,
    ...sum,
    stored_bytes: totals.stored_bytes,
    documents: totals.documents,
    events,
    days,
    limits,
  };
}
