import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_TOKEN, OPERATOR, start } from './gateway.fixture.ts';

// /metrics names every tenant (per-tenant request series): the public port serves it only to
// the metrics token or the operator token; the health port, for probes and the in-cluster
// Prometheus scrape, serves it without credentials.
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 40 };

describe('who may scrape /metrics', () => {
  let g: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    g = await start({ metricsToken: METRICS_TOKEN });
    await g.call('GET', '/projects', { token: 'mnd_admin' });
  });
  afterAll(async () => {
    await g?.gateway.close();
  });

  it('answers 401 problem+json on the public port without a token, or with a tenant API key', async () => {
    for (const token of [undefined, 'mnd_admin', 'mnd_auditor']) {
      const res = await g.call('GET', '/metrics', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.body)).not.toContain('mandant_http_requests_total');
    }
  });

  it('answers 401 on the public port to any other bearer token or Authorization header', async () => {
    const header = fc.oneof(
      fc
        .string({ minLength: 1, maxLength: 80 })
        .filter((s) => /^[\x21-\x7e]+$/.test(s))
        .map((t) => `Bearer ${t}`),
      fc.constantFrom(
        `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`,
        `Bearer ${METRICS_TOKEN}x`,
        `Bearer ${METRICS_TOKEN.slice(1)}`,
        METRICS_TOKEN,
        `Bearer  ${OPERATOR} extra`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        fc.pre(authorization !== `Bearer ${METRICS_TOKEN}` && authorization !== `Bearer ${OPERATOR}`);
        expect((await g.call('GET', '/metrics', { headers: { authorization } })).status).toBe(401);
      }),
      runs,
    );
  });

  it('serves the metrics on the public port to the metrics token and to the operator token', async () => {
    for (const token of [METRICS_TOKEN, OPERATOR]) {
      const res = await g.call('GET', '/metrics', { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.body).toMatch(
        /mandant_http_requests_total\{method="GET",route="\/api\/v1\/projects",status="200",tenant="[0-9a-f-]{36}"\} \d+/,
      );
    }
  });

  it('describes /metrics in the OpenAPI document as needing the bearer token, unlike the probes', async () => {
    const doc = (await g.call('GET', '/openapi.json')).body;
    expect(doc.paths['/metrics'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/metrics'].get.responses['401']).toBeDefined();
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('serves /metrics, /healthz and /readyz on the health port without credentials, and nothing else there', async () => {
    const metrics = await fetch(`${g.health}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(
      /mandant_http_requests_total\{method="GET",route="\/api\/v1\/projects",status="200",tenant="[0-9a-f-]{36}"\} \d+/,
    );
    expect(await (await fetch(`${g.health}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${g.health}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: true } });
    for (const path of ['/api/v1/projects', '/api/v1/metrics', '/openapi.json', '/']) {
      expect((await fetch(`${g.health}${path}`, { headers: { authorization: 'Bearer mnd_admin' } })).status).toBe(404);
    }
    expect((await fetch(`${g.health}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('/metrics on the public port without a metrics token configured', () => {
  it('still answers 401 without a token, and 200 to the operator token only', async () => {
    const g = await start();
    try {
      expect((await g.call('GET', '/metrics')).status).toBe(401);
      expect((await g.call('GET', '/metrics', { token: METRICS_TOKEN })).status).toBe(401);
      expect((await g.call('GET', '/metrics', { token: OPERATOR })).status).toBe(200);
      expect((await fetch(`${g.health}/metrics`)).status).toBe(200);
    } finally {
      await g.gateway.close();
    }
  });
});
