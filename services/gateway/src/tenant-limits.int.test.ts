import { type ActivityIncrement, type RpcReply, type UsageIncrement, limitsRpc, rpc as patterns } from '@mandant/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { type Gateway, createGateway } from './app.ts';
import { OPERATOR, admin, auditor, fakeRpc } from './gateway.fixture.ts';

// The gateway's side of per-tenant limits over real HTTP, with the tenant service replaced by a
// stub that answers leases as told and records the usage flushes.

describe('per-tenant limits at the gateway, over HTTP', () => {
  const rpc = fakeRpc();
  let gateway: Gateway;
  let base = '';
  const lease = { granted: 1, tokens_left: 9, rate: 2, burst: 10, retry_after_ms: 0 };
  const state: { lease: RpcReply | null; flushed: UsageIncrement[]; minutes: ActivityIncrement[] } = {
    lease: null,
    flushed: [],
    minutes: [],
  };

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const leases = () => rpc.sent.filter((s) => s.pattern === limitsRpc.rateLease);

  beforeAll(async () => {
    rpc.state.respond = (pattern, input) => {
      if (pattern === limitsRpc.rateLease) return state.lease ?? { ok: true, value: lease };
      if (pattern === limitsRpc.usageRecord) {
        state.flushed.push(...(input as { increments: UsageIncrement[] }).increments);
        state.minutes.push(...(input as { minutes: ActivityIncrement[] }).minutes);
        return { ok: true, value: { tenants: 1 } };
      }
      return { ok: true, value: { done: true } };
    };
    gateway = await createGateway({
      config: {
        operatorToken: OPERATOR,
        jwt: {},
        singleTenantPrincipal: null,
        bodyLimitBytes: 2048,
        limits: { leaseMs: 60_000, usageFlushMs: 60_000 },
      },
      rpc: rpc.client,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: true, checks: {} }),
    });
    base = `${await gateway.listen(0, '127.0.0.1')}/api/v1`;
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => {
    rpc.sent.length = 0;
    state.lease = null;
  });

  it('asks the tenant service for a lease as the gateway itself and sends RateLimit headers on an admitted call', async () => {
    const res = await call('GET', '/projects', 'mnd_admin');
    expect(res.status).toBe(200);
    expect(leases()).toEqual([
      expect.objectContaining({ principal: null, operator: true, input: { tenant_id: admin.tenant_id, bucket: 'api', want: 1 } }),
    ]);
    expect(res.headers.get('ratelimit-limit')).toBe('10');
    expect(res.headers.get('ratelimit-remaining')).toBe('9');
    expect(res.headers.get('ratelimit-reset')).toBe('1');
    expect(res.headers.get('ratelimit-policy')).toBe('10;w=5');
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('answers 429 rate-limited with Retry-After when the bucket is dry, without forwarding the call', async () => {
    state.lease = { ok: true, value: { granted: 0, tokens_left: 0, rate: 2, burst: 10, retry_after_ms: 1500 } };
    // the lease the first test took may still hold tokens: spend them
    let res = await call('GET', '/projects', 'mnd_admin');
    for (let i = 0; i < 5 && res.status === 200; i++) res = await call('GET', '/projects', 'mnd_admin');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'https://mandant.dev/problems/rate-limited', status: 429, bucket: 'api', retry_after: 2 });
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('ratelimit-reset')).toBe('2');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    const forwarded = rpc.sent.filter((s) => s.pattern === patterns.projectList).length;
    // refused again at once: locally, no new lease, nothing forwarded
    const sentBefore = rpc.sent.length;
    expect((await call('GET', '/projects', 'mnd_admin')).status).toBe(429);
    expect(rpc.sent.length).toBe(sentBefore);
    expect(rpc.sent.filter((s) => s.pattern === patterns.projectList).length).toBe(forwarded);
  });

  it('never limits the operator or unauthenticated requests, and asks no lease for them', async () => {
    expect((await call('GET', '/tenants', OPERATOR)).status).toBe(200);
    expect((await call('GET', '/projects')).status).toBe(401);
    expect(leases()).toEqual([]);
  });

  it('lets calls pass when the lease fails (the tenant service refuses or is down), without headers', async () => {
    state.lease = { ok: false, error: { code: 'internal', message: 'down', details: {} } };
    // a replica of its own: this one's slot of the tenant is dry from the test above
    const fresh = await createGateway({
      config: {
        operatorToken: OPERATOR,
        jwt: {},
        singleTenantPrincipal: null,
        bodyLimitBytes: 2048,
        limits: { leaseMs: 60_000, usageFlushMs: 60_000 },
      },
      rpc: rpc.client,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: true, checks: {} }),
    });
    try {
      const url = `${await fresh.listen(0, '127.0.0.1')}/api/v1/events`;
      const res = await fetch(url, { headers: { authorization: 'Bearer mnd_auditor' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
      expect(leases()).toHaveLength(1);
      expect(leases()[0]?.input).toMatchObject({ tenant_id: auditor.tenant_id, bucket: 'api' });
    } finally {
      await fresh.close();
    }
  });

  it('flushes the counted calls per tenant and day: admitted, by kind, and refused', async () => {
    await gateway.close();
    const today = new Date().toISOString().slice(0, 10);
    const mine = state.flushed.filter((i) => i.tenant_id === admin.tenant_id && i.day === today);
    const sum = (k: keyof Omit<UsageIncrement, 'tenant_id' | 'day'>) => mine.reduce((n, i) => n + i[k], 0);
    // admitted: the first test's call and the fresh replica's (it flushed on close); refused: two
    expect(sum('api_calls')).toBe(2);
    expect(sum('rate_limited')).toBe(2);
    expect(sum('search_calls')).toBe(0);
    // the same answers per minute by status class: every admitted call answered 200, the refusals 429
    const minutes = state.minutes.filter((m) => m.tenant_id === admin.tenant_id);
    const count = (k: keyof Omit<ActivityIncrement, 'tenant_id' | 'minute'>) => minutes.reduce((n, m) => n + m[k], 0);
    expect(minutes.every((m) => m.minute.slice(0, 10) === today && m.minute.endsWith(':00.000Z'))).toBe(true);
    expect([count('requests'), count('rate_limited'), count('client_errors'), count('server_errors')]).toEqual([4, 2, 0, 0]);
    // the operator and unauthenticated callers are no tenant's activity
    expect(state.minutes.every((m) => m.tenant_id === admin.tenant_id || m.tenant_id === auditor.tenant_id)).toBe(true);
  });
});
