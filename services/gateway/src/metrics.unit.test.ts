import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from './metrics.ts';

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
