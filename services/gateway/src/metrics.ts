import { z } from 'zod';
import { Counter, Gauge, Histogram, Registry } from '@mandant/shared/telemetry';

// The registry is the platform's one (shared/src/telemetry/metrics.ts); the gateway adds its HTTP
// series and the platform figures it fetches on each scrape.
export { Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE, Registry } from '@mandant/shared/telemetry';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter;
  duration: Histogram;
  /** latency per tenant as a sum: with requests_total{tenant} it gives each tenant's mean without a histogram per tenant */
  tenantSeconds: Counter;
  unauthorized: Counter;
}

/** The gateway's own series. One registry per app, so two gateways in one process never mix counts. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(
      new Counter('mandant_http_requests_total', 'HTTP requests answered', ['method', 'route', 'status', 'tenant']),
    ),
    duration: registry.register(
      new Histogram(
        'mandant_http_request_duration_seconds',
        'HTTP request duration in seconds',
        ['method', 'route'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ),
    ),
    tenantSeconds: registry.register(
      new Counter('mandant_http_request_seconds_total', 'Time spent answering HTTP requests, per tenant', ['tenant']),
    ),
    unauthorized: registry.register(new Counter('mandant_http_unauthorized_total', 'Requests refused for missing or invalid credentials')),
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
});
export type OpsMetricsReply = z.infer<typeof OpsMetricsReply>;

/**
 * Platform-wide series fetched on each scrape (the gateway has no database of its own).
 * `up` is 0 when the fetch failed or timed out; the other series are then left out, not zeroed,
 * so a slow service never shows as an empty platform.
 */
export function renderOpsMetrics(ops: OpsMetricsReply | null, fetchSeconds: number): string {
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
  }
  return registry.render();
}
