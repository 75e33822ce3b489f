import { z } from 'zod';

/**
 * A deliberately tiny Prometheus registry (counters, gauges and histograms, text format 0.0.4):
 * the gateway needs a handful of series, not a client library. Label values are escaped; the
 * caller keeps their cardinality bounded (route templates, never raw paths).
 */
type Labels = Record<string, string>;

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

interface Metric { render(): string[] }

export class Counter implements Metric {
  private readonly series = new Map<string, { values: string[]; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = JSON.stringify(values);
    const s = this.series.get(key) ?? { values, count: 0 };
    s.count += by;
    this.series.set(key, s);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    // An unlabelled counter is exported at 0 before its first increment, so alerts can see it.
    if (this.labelNames.length === 0 && this.series.size === 0) lines.push(`${this.name} 0`);
    for (const s of this.series.values()) lines.push(`${this.name}${renderLabels(this.labelNames, s.values)} ${s.count}`);
    return lines;
  }
}

/**
 * A value set wholesale on each scrape (figures fetched from elsewhere): `set` replaces every
 * series. `type: 'counter'` exports a monotonic figure read whole from its source (a log head).
 */
export class Gauge implements Metric {
  private series: { values: string[]; value: number }[] = [];
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
    private readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  set(rows: { labels?: Labels; value: number }[]): void {
    this.series = rows.map((r) => ({ values: this.labelNames.map((n) => r.labels?.[n] ?? ''), value: r.value }));
  }

  render(): string[] {
    if (this.series.length === 0) return [];
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series) lines.push(`${this.name}${renderLabels(this.labelNames, s.values)} ${s.value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { values: string[]; buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = JSON.stringify(values);
    const s = this.series.get(key) ?? { values, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
    this.bounds.forEach((bound, i) => {
      if (value <= bound) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.bounds.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', String(bound)])} ${s.buckets[i] ?? 0}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, s.values)} ${s.sum}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, s.values)} ${s.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}

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
    requests: registry.register(new Counter('mandant_http_requests_total', 'HTTP requests answered', ['method', 'route', 'status', 'tenant'])),
    duration: registry.register(new Histogram('mandant_http_request_duration_seconds', 'HTTP request duration in seconds', ['method', 'route'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])),
    tenantSeconds: registry.register(new Counter('mandant_http_request_seconds_total', 'Time spent answering HTTP requests, per tenant', ['tenant'])),
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
  projectors: z.array(z.object({ name: z.string(), tenants: z.number(), max_lag: z.number(), total_lag: z.number(), dead_letters: z.number() })),
  /** absent from a tenant service that predates it; null above the per-tenant series limit */
  dead_letters_by_tenant: z.array(z.object({ tenant_id: z.string(), dead_letters: z.number() })).nullable().optional(),
});
export type OpsMetricsReply = z.infer<typeof OpsMetricsReply>;

/**
 * Platform-wide series fetched on each scrape (the gateway has no database of its own).
 * `up` is 0 when the fetch failed or timed out; the other series are then left out, not zeroed,
 * so a slow service never shows as an empty platform.
 */
export function renderOpsMetrics(ops: OpsMetricsReply | null, fetchSeconds: number): string {
  const registry = new Registry();
  const up = registry.register(new Gauge('mandant_ops_up', 'Whether the operational figures could be fetched from the tenant service on this scrape'));
  const took = registry.register(new Gauge('mandant_ops_scrape_duration_seconds', 'Time the operational figures took to fetch'));
  up.set([{ value: ops ? 1 : 0 }]);
  took.set([{ value: fetchSeconds }]);
  if (ops) {
    registry.register(new Gauge('mandant_tenants', 'Tenants on the platform')).set([{ value: ops.tenants }]);
    registry.register(new Gauge('mandant_projects', 'Projects on the platform, by status', ['status']))
      .set([{ labels: { status: 'active' }, value: ops.projects.active }, { labels: { status: 'archived' }, value: ops.projects.archived }]);
    // Counters by nature (heads only grow), read whole from the log: a tenant offboarded makes them drop, which Prometheus treats as a reset.
    registry.register(new Gauge('mandant_events_appended_total', 'Events appended to the log (sum of every tenant head)', [], 'counter'))
      .set([{ value: ops.events_total }]);
    if (ops.events_by_tenant) {
      registry.register(new Gauge('mandant_tenant_events_appended_total', 'Events appended per tenant (only while the tenant count is small)', ['tenant'], 'counter'))
        .set(ops.events_by_tenant.map((t) => ({ labels: { tenant: t.tenant_id }, value: t.events })));
    }
    const byProjector = (pick: (p: OpsMetricsReply['projectors'][number]) => number) => ops.projectors.map((p) => ({ labels: { projector: p.name }, value: pick(p) }));
    registry.register(new Gauge('mandant_projector_lag_max_events', 'Largest lag of a projector behind any tenant head, in events', ['projector'])).set(byProjector((p) => p.max_lag));
    registry.register(new Gauge('mandant_projector_lag_events', 'Total lag of a projector behind all tenant heads, in events', ['projector'])).set(byProjector((p) => p.total_lag));
    registry.register(new Gauge('mandant_projector_dead_letters', 'Events a projector gave up on', ['projector'])).set(byProjector((p) => p.dead_letters));
    if (ops.dead_letters_by_tenant) {
      registry.register(new Gauge('mandant_tenant_dead_letters', 'Events any projector gave up on, per tenant (only while the tenant count is small)', ['tenant']))
        .set(ops.dead_letters_by_tenant.map((t) => ({ labels: { tenant: t.tenant_id }, value: t.dead_letters })));
    }
  }
  return registry.render();
}
