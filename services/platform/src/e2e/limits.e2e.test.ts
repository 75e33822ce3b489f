import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitsRpc } from '@mandant/contracts';
import { createSql } from '@mandant/shared/db';
import { createRpcClient } from '@mandant/shared/rpc';
import { findNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, backendMissing, eventually, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const PROBLEMS = 'https://mandant.dev/problems/';
const FLUSH_MS = 100;

describe.skipIf(!pg || natsMissing)('per-tenant rate limits, quotas and usage over HTTP', () => {
  let h: Harness;
  const tenants: Record<'limited' | 'neighbour' | 'quota' | 'counted', { id: string; admin: string }> = {
    limited: { id: '', admin: '' },
    neighbour: { id: '', admin: '' },
    quota: { id: '', admin: '' },
    counted: { id: '', admin: '' },
  };

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** Reads until `done` holds, with the shared generous deadline; a failure names the last value read. */
  const waitUntil = async <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    let last: T | undefined;
    return eventually(
      async () => {
        const v = await read();
        last = v;
        return done(v) ? { v } : false;
      },
      what,
      SETTLE_MS,
      25,
    ).then(
      ({ v }) => v,
      (err: unknown) => {
        throw new Error(`${what}: still ${JSON.stringify(last)}`, { cause: err });
      },
    );
  };
  const usageOf = (id: string) => ok('GET', `/tenants/${id}/usage`, OPERATOR);

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { USAGE_FLUSH_MS: String(FLUSH_MS) } });
    for (const name of Object.keys(tenants) as (keyof typeof tenants)[]) {
      const t = await ok('POST', '/tenants', OPERATOR, { name: `Limits ${name}`, slug: `${name}-${randomUUID().slice(0, 6)}` });
      tenants[name] = { id: t.tenant.id, admin: t.admin_api_key };
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 429 with Retry-After and RateLimit headers once a tenant is past its limit, while another tenant is served', async () => {
    const { id, admin } = tenants.limited;
    const set = await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { requests_per_second: 0.2, burst: 4 });
    expect(set).toMatchObject({
      requests_per_second: 0.2,
      burst: 4,
      overrides: { requests_per_second: 0.2, burst: 4, max_documents: null },
    });
    const started = Date.now();
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await h.call('GET', '/tenant', { token: admin }));
    const elapsed = (Date.now() - started) / 1000;
    const admitted = answers.filter((a) => a.status === 200);
    expect(admitted.length).toBeGreaterThanOrEqual(4);
    expect(admitted.length).toBeLessThanOrEqual(Math.floor(4 + 0.2 * elapsed));
    expect(admitted[0]?.headers.get('ratelimit-limit')).toBe('4');
    expect(admitted[0]?.headers.get('ratelimit-policy')).toBe('4;w=20');

    const refused = answers.find((a) => a.status === 429);
    expect(refused?.body).toMatchObject({ type: `${PROBLEMS}rate-limited`, status: 429, bucket: 'api' });
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(refused?.headers.get('ratelimit-limit')).toBe('4');
    expect(refused?.headers.get('ratelimit-remaining')).toBe('0');
    // draft -06: with Retry-After, RateLimit-Reset names the same instant
    expect(Number(refused?.headers.get('ratelimit-reset'))).toBe(retryAfter);

    // the neighbour is served as usual, at its own (default) limit
    const neighbour = await h.call('GET', '/tenant', { token: tenants.neighbour.admin });
    expect(neighbour.status).toBe(200);
    expect(neighbour.headers.get('ratelimit-limit')).toBe('100000');
    // the operator is never limited per tenant
    expect((await h.call('GET', '/tenants', { token: OPERATOR })).status).toBe(200);
  });

  it('limits search, chat messages and uploads by a stricter bucket of their own, leaving other calls alone', async () => {
    const { id, admin } = tenants.neighbour;
    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { expensive_requests_per_second: 0.05, expensive_burst: 2 });
    const searches = [];
    for (let i = 0; i < 4; i++) searches.push(await h.call('POST', '/search', { token: admin, body: { query: `acme ${i}` } }));
    expect(searches.map((r) => r.status)).toEqual([200, 200, 429, 429]);
    expect(searches[1]?.headers.get('ratelimit-limit')).toBe('2');
    expect(searches[2]?.body).toMatchObject({ type: `${PROBLEMS}rate-limited`, bucket: 'expensive' });
    expect(Number(searches[2]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const upload = await h.call('POST', '/documents', { token: admin, body: { title: 'Memo', content: 'Acme' } });
    expect(upload.status).toBe(429);
    // the tenant's other calls take from its api bucket only
    const plain = await h.call('GET', '/projects', { token: admin });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('ratelimit-limit')).toBe('100000');
  });

  it('takes an operator override into effect, recorded as an event of the tenant with the operator as actor', async () => {
    const { id, admin } = tenants.limited;
    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { requests_per_second: 1000, burst: 1000 });
    // the replica's refusal stands until its Retry-After; after that the new limit holds
    await waitUntil(
      'limited tenant served again',
      () => h.call('GET', '/tenant', { token: admin }).then((r) => r.status),
      (s) => s === 200,
    );
    const burst = await Promise.all(Array.from({ length: 30 }, () => h.call('GET', '/projects', { token: admin })));
    expect(burst.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const log = await ok('GET', '/events?after=0&limit=100', admin);
    const set = log.events.filter((e: { type: string }) => e.type === 'tenant.limits_set.v1');
    expect(set).toHaveLength(2);
    expect(set[1]).toMatchObject({
      actor: 'operator',
      project_id: null,
      data: { limits: { requests_per_second: 1000, burst: 1000, max_stored_bytes: null } },
    });
    // setting the same limits again records nothing
    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { requests_per_second: 1000, burst: 1000 });
    expect(
      (await ok('GET', '/events?after=0&limit=100', admin)).events.filter((e: { type: string }) => e.type === 'tenant.limits_set.v1'),
    ).toHaveLength(2);
  });

  it('refuses uploads past the documents or stored-bytes quota with 403 naming the quota, appending nothing', async () => {
    const { id, admin } = tenants.quota;
    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { max_documents: 1 });
    expect(
      (await h.call('POST', '/documents', { token: admin, body: { title: 'First', content: 'Acme Holdings paid the invoice.' } })).status,
    ).toBe(202);
    // the ingestion worker appends the first document's results meanwhile: count uploads, not events
    const uploads = async () =>
      (await ok('GET', '/events?after=0&limit=1000', admin)).events.filter((e: { type: string }) => e.type === 'document.uploaded.v1')
        .length;
    const second = await h.call('POST', '/documents', { token: admin, body: { title: 'Second', content: 'Another memo about Acme.' } });
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ type: `${PROBLEMS}quota-documents`, status: 403, quota: 'documents', limit: 1, used: 1 });
    expect(await uploads()).toBe(1);
    expect((await usageOf(id)).documents).toBe(1);

    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, { max_stored_bytes: 40 });
    const big = await h.call('POST', '/documents', { token: admin, body: { title: 'Big', content: 'x'.repeat(64) } });
    expect(big.status).toBe(403);
    expect(big.body).toMatchObject({ type: `${PROBLEMS}quota-stored-bytes`, quota: 'stored_bytes', limit: 40 });
    expect(await uploads()).toBe(1);
    // under both quotas again (null: back to the defaults), the upload goes through
    await ok('PUT', `/tenants/${id}/limits`, OPERATOR, {});
    expect((await h.call('POST', '/documents', { token: admin, body: { title: 'Big', content: 'x'.repeat(64) } })).status).toBe(202);
  });

  it('shows exact usage after a flush: calls by kind, refusals, stored bytes, documents and events', async () => {
    const { id, admin } = tenants.counted;
    const content = 'Usage counting memo: Acme Holdings, Berlin.';
    const calls: [string, string, unknown?][] = [
      ['GET', '/tenant'],
      ['GET', '/projects'],
      ['GET', '/documents'],
      ['POST', '/search', { query: 'acme' }],
      ['POST', '/search', { query: 'berlin' }],
      ['POST', '/documents', { title: 'Memo', content }],
      ['GET', '/tenant/usage'],
    ];
    for (const [method, path, body] of calls) await ok(method, path, admin, body);
    const usage = await waitUntil(
      'usage flushed',
      () => usageOf(id),
      (u) => u.api_calls >= calls.length,
    );
    expect(usage).toMatchObject({
      tenant_id: id,
      api_calls: calls.length,
      search_calls: 2,
      upload_calls: 1,
      chat_calls: 0,
      rate_limited: 0,
      documents: 1,
      stored_bytes: Buffer.byteLength(content),
    });
    // events: the log's head, which the ingestion worker may still be moving
    const headBefore = (await ok('GET', '/events?after=0&limit=1', admin)).head;
    const events = (await usageOf(id)).events;
    expect(events).toBeGreaterThanOrEqual(headBefore);
    expect(events).toBeLessThanOrEqual((await ok('GET', '/events?after=0&limit=1', admin)).head);
    expect(usage.days).toEqual([
      {
        day: new Date().toISOString().slice(0, 10),
        api_calls: calls.length,
        search_calls: 2,
        chat_calls: 0,
        upload_calls: 1,
        rate_limited: 0,
      },
    ]);
    expect(usage.limits).toMatchObject({ requests_per_second: 100000, max_documents: 100000, max_stored_bytes: 10 * 1024 ** 3 });

    // the limited tenant's refusals were counted too
    expect(
      (
        await waitUntil(
          'refusals flushed',
          () => usageOf(tenants.limited.id),
          (u) => u.rate_limited > 0,
        )
      ).rate_limited,
    ).toBeGreaterThan(0);
  });

  it('lets tenant admins and auditors read their usage, not members; the operator reads every tenant', async () => {
    const { admin } = tenants.counted;
    const auditor = (await ok('POST', '/api-keys', admin, { name: 'audit', role: 'auditor' })).secret;
    const user = await ok('POST', '/users', admin, { email: `m-${randomUUID().slice(0, 6)}@example.org`, name: 'Member' });
    const member = (await ok('POST', '/api-keys', admin, { name: 'member', user_id: user.id })).secret;
    expect((await h.call('GET', '/tenant/usage', { token: admin })).status).toBe(200);
    const audited = await h.call('GET', '/tenant/usage?from=2026-01-01&to=2026-01-31', { token: auditor });
    expect(audited.status).toBe(200);
    expect(audited.body).toMatchObject({ from: '2026-01-01', to: '2026-01-31', api_calls: 0, days: [] });
    const refused = await h.call('GET', '/tenant/usage', { token: member });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(`${PROBLEMS}forbidden`);
    expect((await h.call('GET', '/tenant/usage?from=2026-02-01&to=2026-01-01', { token: admin })).status).toBe(400);

    // operator routes: tenant credentials get 403, the operator sees every tenant
    expect((await h.call('GET', '/tenants/usage', { token: admin })).status).toBe(403);
    expect((await h.call('PUT', `/tenants/${tenants.counted.id}/limits`, { token: admin, body: { burst: 1 } })).status).toBe(403);
    const all = await ok('GET', '/tenants/usage', OPERATOR);
    expect(all.tenants.map((t: { tenant_id: string }) => t.tenant_id)).toEqual(
      expect.arrayContaining(Object.values(tenants).map((t) => t.id)),
    );
    expect(all.tenants.find((t: { tenant_id: string }) => t.tenant_id === tenants.counted.id)).toMatchObject({
      documents: 1,
      search_calls: 2,
    });
    expect((await h.call('GET', `/tenants/${randomUUID()}/usage`, { token: OPERATOR })).status).toBe(404);
    expect((await h.call('PUT', `/tenants/${randomUUID()}/limits`, { token: OPERATOR, body: { burst: 5 } })).status).toBe(404);
    expect((await h.call('PUT', `/tenants/${tenants.counted.id}/limits`, { token: OPERATOR, body: { burst: 0 } })).status).toBe(400);
  });

  it("drops an offboarded tenant's limits, bucket and usage with it; a later flush or lease writes none back", async () => {
    const { id, admin } = tenants.limited;
    await waitUntil(
      'limited tenant usage flushed',
      () => usageOf(id),
      (u) => u.api_calls > 0,
    );
    expect((await h.call('DELETE', `/tenants/${id}`, { token: OPERATOR })).status).toBe(204);
    expect((await h.call('GET', '/tenant', { token: admin })).status).toBe(401);
    expect((await h.call('GET', `/tenants/${id}/usage`, { token: OPERATOR })).status).toBe(404);
    expect((await ok('GET', '/tenants/usage', OPERATOR)).tenants.map((t: { tenant_id: string }) => t.tenant_id)).not.toContain(id);
    const owner = createSql(h.databaseUrl, { max: 1 });
    const rpc = await createRpcClient(h.platform.runtime.rpc);
    try {
      // a gateway flushing counts from before the offboarding, and leasing: both are dropped
      const meta = { correlation_id: randomUUID(), traceparent: null };
      const day = new Date().toISOString().slice(0, 10);
      const flushed = await rpc.request<unknown>(limitsRpc.usageRecord, {
        principal: null,
        operator: true,
        meta,
        input: {
          increments: [{ tenant_id: id, day, api_calls: 3, search_calls: 0, chat_calls: 0, upload_calls: 0, rate_limited: 0 }],
        },
      });
      expect(flushed.ok).toBe(true);
      const leased = await rpc.request<{ granted: number }>(limitsRpc.rateLease, {
        principal: null,
        operator: true,
        meta,
        input: { tenant_id: id, bucket: 'api', want: 5 },
      });
      expect(leased).toMatchObject({ ok: true, value: { granted: 0 } });
      const rows = await owner`select (select count(*) from tenant_limits_view where tenant_id = ${id})::int as limits,
        (select count(*) from rate_buckets where tenant_id = ${id})::int as buckets, (select count(*) from tenant_usage where tenant_id = ${id})::int as usage`;
      expect(rows[0]).toEqual({ limits: 0, buckets: 0, usage: 0 });
    } finally {
      await owner.end();
      await rpc.close();
    }
  });

  it('describes the new routes in the OpenAPI document', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/tenants/{id}/limits', '/tenants/usage', '/tenants/{id}/usage', '/tenant/usage']),
    );
    expect(doc.paths['/tenants/{id}/limits'].put.requestBody).toBeDefined();
  });
});
