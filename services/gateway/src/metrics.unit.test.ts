import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Counter,
  Gauge,
  Histogram,
  OTHER_TENANTS,
  OpsMetricsReply,
  Registry,
  TOP_TENANTS,
  createHttpMetrics,
  renderOpsMetrics,
} from './metrics.ts';

describe('metrics registry', () => {
  it('renders labelled counters with escaped values and zero-valued unlabelled ones', () => {
    const registry = new Registry();
    const c = registry.register(new Counter('c_total', 'help', ['route']));
    const u = registry.register(new Counter('u_total', 'help'));
    c.inc({ route: '/a"b' });
    c.inc({ route: '/a"b' }, 2);
    const text = registry.render();
    expect(text).toContain('# TYPE c_total counter\nc_total{route="/a\\"b"} 3');
    expect(text).toContain('u_total 0');
    u.inc();
    expect(registry.render()).toContain('u_total 1');
  });

  it('renders cumulative histogram buckets, +Inf, sum and count', () => {
    const h = new Histogram('d_seconds', 'help', ['m'], [0.1, 1]);
    h.observe({ m: 'GET' }, 0.05);
    h.observe({ m: 'GET' }, 0.5);
    h.observe({ m: 'GET' }, 5);
    expect(h.render()).toEqual([
      '# HELP d_seconds help',
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{m="GET",le="0.1"} 1',
      'd_seconds_bucket{m="GET",le="1"} 2',
      'd_seconds_bucket{m="GET",le="+Inf"} 3',
      'd_seconds_sum{m="GET"} 5.55',
      'd_seconds_count{m="GET"} 3',
    ]);
  });
});

describe('operational metrics text', () => {
  const ops: OpsMetricsReply = {
    tenants: 2,
    projects: { active: 3, archived: 1 },
    events_total: 57,
    events_by_tenant: [
      { tenant_id: 't-1', events: 40 },
      { tenant_id: 't-2', events: 17 },
    ],
    projectors: [{ name: 'vectors', tenants: 2, max_lag: 4, total_lag: 5, dead_letters: 0 }],
  };

  it('renders tenant and project gauges, events as counters and lag per projector', () => {
    const text = renderOpsMetrics(ops, 0.012);
    expect(text).toContain('# TYPE mandant_ops_up gauge\nmandant_ops_up 1');
    expect(text).toContain('mandant_ops_scrape_duration_seconds 0.012');
    expect(text).toContain('# TYPE mandant_tenants gauge\nmandant_tenants 2');
    expect(text).toContain('mandant_projects{status="active"} 3\nmandant_projects{status="archived"} 1');
    expect(text).toContain('# TYPE mandant_events_appended_total counter\nmandant_events_appended_total 57');
    expect(text).toContain('mandant_tenant_events_appended_total{tenant="t-1"} 40\nmandant_tenant_events_appended_total{tenant="t-2"} 17');
    expect(text).toContain('mandant_projector_lag_max_events{projector="vectors"} 4');
    expect(text).toContain('mandant_projector_lag_events{projector="vectors"} 5');
    expect(text).toContain('mandant_projector_dead_letters{projector="vectors"} 0');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves out the per-tenant series when the service withholds them (many tenants)', () => {
    const text = renderOpsMetrics({ ...ops, events_by_tenant: null }, 0);
    expect(text).toContain('mandant_events_appended_total 57');
    expect(text).not.toContain('mandant_tenant_events_appended_total');
  });

  it('renders dead letters per tenant while the service sends them, and none when it withholds them or predates them', () => {
    const dead = [
      { tenant_id: 't-1', dead_letters: 2 },
      { tenant_id: 't-2', dead_letters: 0 },
    ];
    const text = renderOpsMetrics({ ...ops, dead_letters_by_tenant: dead }, 0);
    expect(text).toContain(
      '# TYPE mandant_tenant_dead_letters gauge\nmandant_tenant_dead_letters{tenant="t-1"} 2\nmandant_tenant_dead_letters{tenant="t-2"} 0',
    );
    expect(renderOpsMetrics({ ...ops, dead_letters_by_tenant: null }, 0)).not.toContain('mandant_tenant_dead_letters');
    expect(renderOpsMetrics(OpsMetricsReply.parse(ops), 0)).not.toContain('mandant_tenant_dead_letters');
  });

  it('reports up 0 and no platform figures when they could not be fetched, rather than zeros', () => {
    const text = renderOpsMetrics(null, 1.5);
    expect(text).toContain('mandant_ops_up 0');
    expect(text).not.toMatch(/mandant_tenants|mandant_projects|mandant_events_appended_total|mandant_projector_/);
  });

  it('renders a gauge only once it has series, replacing them on each set', () => {
    const g = new Gauge('g', 'help', ['k']);
    expect(g.render()).toEqual([]);
    g.set([{ labels: { k: 'a' }, value: 1 }]);
    g.set([{ labels: { k: 'b' }, value: 2 }]);
    expect(g.render()).toEqual(['# HELP g help', '# TYPE g gauge', 'g{k="b"} 2']);
  });
});

describe('per-tenant series stay bounded', () => {
  const tenantIds = Array.from({ length: 10_000 }, (_, i) => `t-${String(i).padStart(5, '0')}`);
  const seriesOf = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

  it('10,000 tenants make at most the top 20 tenant series (plus "other") per label set, and no count is lost', () => {
    const metrics = createHttpMetrics();
    for (const tenant of tenantIds) {
      metrics.requests.inc({ method: 'GET', route: '/api/v1/documents/:id', status: '200', tenant });
      metrics.requests.inc({ method: 'POST', route: '/api/v1/projects/:id/search', status: '429', tenant });
      metrics.tenantSeconds.inc({ tenant }, 0.5);
    }
    metrics.requests.inc({ method: 'GET', route: '/api/v1/documents/:id', status: '401', tenant: 'none' });
    metrics.requests.inc({ method: 'GET', route: '/api/v1/tenants', status: '403', tenant: 'operator' });
    const text = metrics.registry.render();
    const requests = seriesOf(text, 'mandant_http_requests_total');
    const tenantsIn = (lines: string[]) => new Set(lines.map((l) => /tenant="([^"]*)"/.exec(l)?.[1]));
    expect(tenantsIn(requests).size).toBe(TOP_TENANTS + 3); // 20 tenants, other, none, operator
    expect(requests.length).toBe(2 * (TOP_TENANTS + 1) + 2);
    expect(seriesOf(text, 'mandant_http_request_seconds_total').length).toBe(TOP_TENANTS + 1);
    expect(seriesOf(text, 'mandant_http_rate_limited_total').length).toBe(TOP_TENANTS + 1);
    // every request is still counted: the cap moves counts into "other", it drops none
    const sum = (lines: string[]) => lines.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    expect(sum(requests)).toBe(2 * tenantIds.length + 2);
    expect(sum(seriesOf(text, 'mandant_http_rate_limited_total'))).toBe(tenantIds.length);
    expect(metrics.rateLimited.get({ tenant: OTHER_TENANTS })).toBe(tenantIds.length - TOP_TENANTS);
    expect(metrics.rateLimited.get({ tenant: 't-00000' })).toBe(1);
    expect(text).toContain('mandant_http_refused_total{status="401"} 1');
    expect(text).toContain('mandant_http_refused_total{status="403"} 1');
    // a tenant admitted stays admitted: its counter only grows (no series moves into "other" later)
    metrics.requests.inc({ method: 'GET', route: '/api/v1/documents/:id', status: '200', tenant: 't-00003' });
    expect(metrics.requests.get({ method: 'GET', route: '/api/v1/documents/:id', status: '200', tenant: 't-00003' })).toBe(2);
  });

  it('the cap is configurable', () => {
    const metrics = createHttpMetrics({ topTenants: 3 });
    for (const tenant of tenantIds.slice(0, 50)) metrics.tenantSeconds.inc({ tenant }, 1);
    const lines = seriesOf(metrics.registry.render(), 'mandant_http_request_seconds_total');
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe('mandant_http_request_seconds_total{tenant="other"} 47');
  });

  it('projector lag per tenant: the 20 tenants lagging most per projector, the rest summed under "other"', () => {
    const lag = tenantIds.map((tenant_id, i) => ({ tenant_id, lag: (i * 7919) % 1000 }));
    const total = lag.reduce((n, l) => n + l.lag, 0);
    const reply: OpsMetricsReply = {
      tenants: tenantIds.length,
      projects: { active: 0, archived: 0 },
      events_total: total,
      events_by_tenant: null,
      dead_letters_by_tenant: null,
      projectors: ['vectors@v1', 'graph@v1'].map((name) => ({
        name,
        tenants: tenantIds.length,
        max_lag: 999,
        total_lag: total,
        dead_letters: 0,
      })),
      // the tenant service sends at most its own limit; the gateway keeps its top of them
      lag_by_tenant: ['vectors@v1', 'graph@v1'].flatMap((projector) =>
        [...lag]
          .sort((a, b) => b.lag - a.lag)
          .slice(0, 100)
          .map((l) => ({ projector, ...l })),
      ),
      outbox: { unrelayed: 12, oldest_seconds: 3.5 },
    };
    const text = renderOpsMetrics(reply, 0.01);
    const lines = seriesOf(text, 'mandant_projector_tenant_lag_events');
    expect(lines).toHaveLength(2 * (TOP_TENANTS + 1));
    for (const projector of ['vectors@v1', 'graph@v1']) {
      const mine = lines.filter((l) => l.includes(`projector="${projector}"`));
      expect(mine.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBe(total);
      expect(mine.filter((l) => l.includes('tenant="other"'))).toHaveLength(1);
      expect(Number(mine[0]?.split(' ').at(-1))).toBe(999);
    }
    expect(text).toContain('mandant_outbox_unrelayed 12');
    expect(text).toContain('mandant_outbox_oldest_seconds 3.5');
    // no other series names a tenant once the platform is large
    expect(text).not.toContain('mandant_tenant_events_appended_total{');
  });
});

describe('hostile figures from the tenant service', () => {
  const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 200 };
  // a sample line: name, optional labels with escaped values, a number
  const SAMPLE = /^[a-z_:]+(\{([a-z_]+="(?:[^"\\\n]|\\["\\n])*",?)*\})? -?[0-9.e+-]+$/;

  it('any reply shape is parsed or refused, never thrown past the parse', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = OpsMetricsReply.safeParse(value);
        expect(typeof parsed.success).toBe('boolean');
      }),
      runs,
    );
  });

  it('tenant ids of any text render as escaped labels, one line per series, bounded per projector', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tenant_id: fc.string({ maxLength: 40 }), lag: fc.nat({ max: 1e6 }) }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 30 }),
        (rows, top) => {
          const total = rows.reduce((n, r) => n + r.lag, 0);
          const text = renderOpsMetrics(
            {
              tenants: rows.length,
              projects: { active: 0, archived: 0 },
              events_total: total,
              events_by_tenant: null,
              projectors: [{ name: 'text@v1', tenants: rows.length, max_lag: 0, total_lag: total, dead_letters: 0 }],
              lag_by_tenant: rows.map((r) => ({ projector: 'text@v1', ...r })),
            },
            0,
            top,
          );
          const lines = text.split('\n').filter((l) => l.startsWith('mandant_projector_tenant_lag_events{'));
          expect(lines.length).toBeLessThanOrEqual(top + 1);
          for (const line of lines) expect(line).toMatch(SAMPLE);
          expect(lines.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBe(total);
        },
      ),
      runs,
    );
  });
});
