import { z } from 'zod';
import { Counter, Gauge, Histogram, Registry } from '@mandant/shared/telemetry';

// The registry is the platform's one (shared/src/telemetry/metrics.ts); the gateway adds its HTTP
// series and the platform figures it fetches on each scrape.
export { Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE, Registry } from '@mandant/shared/telemetry';

/** How many tenants get series of their own by default (MANDANT_METRICS_TOP_TENANTS in a deployment that wires it). */
export const TOP_TENANTS = 20;
/** The label value every tenant past the cap is counted under. */
export const OTHER_TENANTS = 'other';
/** Label values in the tenant label that are not tenants: always their own series. */
const NOT_TENANTS = new Set(['operator', 'none']);

/**
 * Bounds the tenant label of the gateway's counters: the first `limit` tenants a process sees
 * keep a series of their own, every later one is counted under tenant="other". Admission is for
 * the life of the process on purpose: a ranking that changed between scrapes would move counts
 * from one series to another, and Prometheus would read the drop as a counter reset (a false
 * spike in `rate`). The busiest tenants are the ones likely seen first; `topk` over the recording
 * rules ranks them, and "other" shows how much traffic is not broken down.
 */
export class TenantLabels {
  private readonly admitted = new Set<string>();
  constructor(readonly limit: number = TOP_TENANTS) {}

  /** The label value to count `tenant` under (admitting it while there is room). */
  label(tenant: string): string {
    if (NOT_TENANTS.has(tenant) || this.admitted.has(tenant)) return tenant;
    if (this.admitted.size < this.limit) {
      this.admitted.add(tenant);
      return tenant;
    }
    return OTHER_TENANTS;
  }

  /** The label value `tenant` is counted under, without admitting it. */
  peek(tenant: string): string {
    return NOT_TENANTS.has(tenant) || this.admitted.has(tenant) ? tenant : OTHER_TENANTS;
  }
}

/** A counter whose `tenant` label goes through a shared TenantLabels cap. */
export class TenantCounter extends Counter {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly tenants: TenantLabels,
  ) {
    super(name, help, labelNames);
  }

  override inc(labels: Record<string, string> = {}, by = 1): void {
    super.inc(labels.tenant === undefined ? labels : { ...labels, tenant: this.tenants.label(labels.tenant) }, by);
  }

  override get(labels: Record<string, string> = {}): number {
    return super.get(labels.tenant === undefined ? labels : { ...labels, tenant: this.tenants.peek(labels.tenant) });
  }
}

/**
 * The request counter. Each answered request also counts, by its status, into the refusals the
 * alerts watch: 401 and 403 by status (no tenant: a 401 has none, and an attack spreads over
 * many), 429 per tenant (under the same cap).
 */
export class RequestCounter extends TenantCounter {
  constructor(
    tenants: TenantLabels,
    private readonly refused: Counter,
    private readonly rateLimited: TenantCounter,
  ) {
    super('mandant_http_requests_total', 'HTTP requests answered', ['method', 'route', 'status', 'tenant'], tenants);
  }

  override inc(labels: Record<string, string> = {}, by = 1): void {
    super.inc(labels, by);
    if (labels.status === '401' || labels.status === '403') this.refused.inc({ status: labels.status }, by);
    if (labels.status === '429') this.rateLimited.inc({ tenant: labels.tenant ?? 'none' }, by);
  }
}

export interface HttpMetrics {
  registry: Registry;
  /** the cap shared by every per-tenant series of this gateway */
  tenants: TenantLabels;
  requests: RequestCounter;
  duration: Histogram;
  /** latency per tenant as a sum: with requests_total{tenant} it gives each tenant's mean without a histogram per tenant */
  tenantSeconds: TenantCounter;
  unauthorized: Counter;
  /** answers 401 or 403, by status */
  refused: Counter;
  /** answers 429, per tenant (capped) */
  rateLimited: TenantCounter;
}

/**
 * The gateway's own series. One registry per app, so two gateways in one process never mix counts.
 * `topTenants` bounds the tenant label: at most that many tenants (plus "other", "operator" and
 * "none") appear, however many the platform serves.
 */
export function createHttpMetrics(opts: { topTenants?: number } = {}): HttpMetrics {
  const registry = new Registry();
  const tenants = new TenantLabels(opts.topTenants ?? TOP_TENANTS);
  const refused = new Counter('mandant_http_refused_total', 'Requests answered 401 (no valid credentials) or 403 (not allowed)', [
    'status',
  ]);
  const rateLimited = new TenantCounter(
    'mandant_http_rate_limited_total',
    'Requests refused with 429 (rate limit, too many streams or uploads), per tenant (top tenants, the rest as "other")',
    ['tenant'],
    tenants,
  );
  // 0 from the start: an alert on rate() sees the series before the first refusal
  refused.inc({ status: '401' }, 0);
  refused.inc({ status: '403' }, 0);
  return {
    registry,
    tenants,
    requests: registry.register(new RequestCounter(tenants, refused, rateLimited)),
    duration: registry.register(
      new Histogram(
        'mandant_http_request_duration_seconds',
        'HTTP request duration in seconds',
        ['method', 'route'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ),
    ),
    tenantSeconds: registry.register(
      new TenantCounter('mandant_http_request_seconds_total', 'Time spent answering HTTP requests, per tenant', ['tenant'], tenants),
    ),
    unauthorized: registry.register(new Counter('mandant_http_unauthorized_total', 'Requests refused for missing or invalid credentials')),
    refused: registry.register(refused),
    rateLimited: registry.register(rateLimited),
  };
}

/**
 * The tenant service's `ops.metrics` reply as the gateway reads it. (Its shape would belong in
 * contracts/ next to the pattern; it is parsed here so a mismatch costs the scrape those series,
 * never the scrape.)
 */
export const OpsMetricsReply = z.object({
  tenants: z.number(),
  projects: z.object({ active: z.number(), archived: z.number() }),
  events_total: z.number(),
  events_by_tenant: z.array(z.object({ tenant_id: z.string(), events: z.number() })).nullable(),
  projectors: z.array(
    z.object({ name: z.string(), tenants: z.number(), max_lag: z.number(), total_lag: z.number(), dead_letters: z.number() }),
  ),
  /** absent from a tenant service that predates it; null above the per-tenant series limit */
  dead_letters_by_tenant: z
    .array(z.object({ tenant_id: z.string(), dead_letters: z.number() }))
    .nullable()
    .optional(),
  /** the tenants lagging most per projector (lag > 0 only, at most the service's limit); absent from an older tenant service */
  lag_by_tenant: z.array(z.object({ projector: z.string(), tenant_id: z.string(), lag: z.number() })).optional(),
  /** events appended but not yet published by the outbox relay; absent from an older tenant service */
  outbox: z.object({ unrelayed: z.number(), oldest_seconds: z.number() }).optional(),
});
export type OpsMetricsReply = z.infer<typeof OpsMetricsReply>;

/**
 * Platform-wide series fetched on each scrape (the gateway has no database of its own).
 * `up` is 0 when the fetch failed or timed out; the other series are then left out, not zeroed,
 * so a slow service never shows as an empty platform.
 */
export function renderOpsMetrics(ops: OpsMetricsReply | null, fetchSeconds: number, topTenants: number = TOP_TENANTS): string {
  const registry = new Registry();
  const up = registry.register(
    new Gauge('mandant_ops_up', 'Whether the operational figures could be fetched from the tenant service on this scrape'),
  );
  const took = registry.register(new Gauge('mandant_ops_scrape_duration_seconds', 'Time the operational figures took to fetch'));
  up.set([{ value: ops ? 1 : 0 }]);
  took.set([{ value: fetchSeconds }]);
  if (ops) {
    registry.register(new Gauge('mandant_tenants', 'Tenants on the platform')).set([{ value: ops.tenants }]);
    registry.register(new Gauge('mandant_projects', 'Projects on the platform, by status', ['status'])).set([
      { labels: { status: 'active' }, value: ops.projects.active },
      { labels: { status: 'archived' }, value: ops.projects.archived },
    ]);
    // Counters by nature (heads only grow), read whole from the log: a tenant offboarded makes them drop, which Prometheus treats as a reset.
    registry
      .register(new Gauge('mandant_events_appended_total', 'Events appended to the log (sum of every tenant head)', [], 'counter'))
      .set([{ value: ops.events_total }]);
    if (ops.events_by_tenant) {
      registry
        .register(
          new Gauge(
            'mandant_tenant_events_appended_total',
            'Events appended per tenant (only while the tenant count is small)',
            ['tenant'],
            'counter',
          ),
        )
        .set(ops.events_by_tenant.map((t) => ({ labels: { tenant: t.tenant_id }, value: t.events })));
    }
    const byProjector = (pick: (p: OpsMetricsReply['projectors'][number]) => number) =>
      ops.projectors.map((p) => ({ labels: { projector: p.name }, value: pick(p) }));
    registry
      .register(
        new Gauge('mandant_projector_lag_max_events', 'Largest lag of a projector behind any tenant head, in events', ['projector']),
      )
      .set(byProjector((p) => p.max_lag));
    registry
      .register(new Gauge('mandant_projector_lag_events', 'Total lag of a projector behind all tenant heads, in events', ['projector']))
      .set(byProjector((p) => p.total_lag));
    registry
      .register(new Gauge('mandant_projector_dead_letters', 'Events a projector gave up on', ['projector']))
      .set(byProjector((p) => p.dead_letters));
    if (ops.dead_letters_by_tenant) {
      registry
        .register(
          new Gauge('mandant_tenant_dead_letters', 'Events any projector gave up on, per tenant (only while the tenant count is small)', [
            'tenant',
          ]),
        )
        .set(ops.dead_letters_by_tenant.map((t) => ({ labels: { tenant: t.tenant_id }, value: t.dead_letters })));
    }
    if (ops.lag_by_tenant) {
      registry
        .register(
          new Gauge(
            'mandant_projector_tenant_lag_events',
            'Lag of a projector behind the tenants lagging most, in events (top tenants per projector, the rest summed as "other")',
            ['projector', 'tenant'],
          ),
        )
        .set(lagByTenant(ops, topTenants));
    }
    if (ops.outbox) {
      registry
        .register(new Gauge('mandant_outbox_unrelayed', 'Events appended but not yet published by the outbox relay'))
        .set([{ value: ops.outbox.unrelayed }]);
      registry
        .register(new Gauge('mandant_outbox_oldest_seconds', 'Age of the oldest event the outbox relay has not published (0 when none)'))
        .set([{ value: ops.outbox.oldest_seconds }]);
    }
  }
  return registry.render();
}

/**
 * Per projector, the `top` tenants lagging most keep their own series; the rest of the projector's
 * total lag is one series, tenant="other" (present, at 0, whenever the projector is listed), so
 * 10,000 tenants make at most top + 1 series per projector. A gauge may change its members on each
 * scrape: it has no reset to confuse.
 */
function lagByTenant(ops: OpsMetricsReply, top: number): { labels: Record<string, string>; value: number }[] {
  const rows: { labels: Record<string, string>; value: number }[] = [];
  for (const p of ops.projectors) {
    const lagging = (ops.lag_by_tenant ?? [])
      .filter((l) => l.projector === p.name && l.lag > 0)
      .sort((a, b) => b.lag - a.lag || a.tenant_id.localeCompare(b.tenant_id))
      .slice(0, Math.max(0, top));
    for (const l of lagging) rows.push({ labels: { projector: p.name, tenant: l.tenant_id }, value: l.lag });
    const shown = lagging.reduce((n, l) => n + l.lag, 0);
    rows.push({ labels: { projector: p.name, tenant: OTHER_TENANTS }, value: Math.max(0, p.total_lag - shown) });
  }
  return rows;
}
