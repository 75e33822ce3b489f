import { rpc as patterns } from '@mandant/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OPS_METRICS_TIMEOUT_MS } from './endpoints.ts';
import { OPERATOR, admin, start } from './gateway.fixture.ts';
import type { OpsMetricsReply } from './metrics.ts';

const ops: OpsMetricsReply = {
  tenants: 4,
  projects: { active: 7, archived: 2 },
  events_total: 123,
  events_by_tenant: null,
  projectors: [{ name: 'text', tenants: 4, max_lag: 0, total_lag: 0, dead_letters: 1 }],
};

describe('GET /metrics with the platform figures behind it', () => {
  let g: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    g = await start({ singleTenantPrincipal: admin });
  });
  afterAll(async () => {
    await g?.gateway.close();
  });
  beforeEach(() => {
    g.rpc.sent.length = 0;
    g.rpc.state.respond = (pattern) => (pattern === patterns.opsMetrics ? { ok: true, value: ops } : { ok: true, value: { done: true } });
  });

  it('asks the tenant service as the operator, with no principal, and renders its figures after the request series', async () => {
    await g.call('GET', '/projects');
    const res = await g.call('GET', '/metrics', { token: OPERATOR });
    expect(res.status).toBe(200);
    const asked = g.rpc.sent.filter((s) => s.pattern === patterns.opsMetrics);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ principal: null, operator: true, input: {} });
    expect(res.body).toMatch(
      new RegExp(`mandant_http_requests_total\\{method="GET",route="/api/v1/projects",status="200",tenant="${admin.tenant_id}"\\} 1`),
    );
    expect(res.body).toMatch(new RegExp(`mandant_http_request_seconds_total\\{tenant="${admin.tenant_id}"\\} \\d`));
    expect(res.body).toContain('mandant_ops_up 1');
    expect(res.body).toContain('mandant_tenants 4');
    expect(res.body).toContain('mandant_projects{status="active"} 7');
    expect(res.body).toContain('mandant_events_appended_total 123');
    expect(res.body).toContain('mandant_projector_dead_letters{projector="text"} 1');
  });

  it('answers within the ops timeout with its own series when the tenant service hangs', async () => {
    g.rpc.state.respond = (pattern) => (pattern === patterns.opsMetrics ? new Promise(() => {}) : { ok: true, value: { done: true } });
    const started = Date.now();
    const res = await g.call('GET', '/metrics', { token: OPERATOR });
    expect(Date.now() - started).toBeLessThan(OPS_METRICS_TIMEOUT_MS + 1_000);
    expect(res.status).toBe(200);
    expect(res.body).toContain('mandant_ops_up 0');
    expect(res.body).toContain('mandant_http_requests_total');
    expect(res.body).not.toContain('mandant_tenants ');
  });

  it('keeps the scrape whole when the service refuses or answers an unexpected shape', async () => {
    for (const reply of [
      { ok: false as const, error: { code: 'forbidden', message: 'no', details: {} } },
      { ok: true as const, value: { tenants: 'many' } },
    ]) {
      g.rpc.state.respond = (pattern) => (pattern === patterns.opsMetrics ? reply : { ok: true, value: { done: true } });
      const res = await g.call('GET', '/metrics', { token: OPERATOR });
      expect(res.status).toBe(200);
      expect(res.body).toContain('mandant_ops_up 0');
    }
  });
});
