import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, OpsMetricsReply, Registry, renderOpsMetrics } from './metrics.ts';

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
