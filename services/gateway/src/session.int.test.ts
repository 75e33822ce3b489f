import { randomUUID } from 'node:crypto';
import { type Principal, type RequestMeta, type RpcReply, authRpc, limitsRpc, rpc as patterns } from '@mandant/contracts';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import { type Gateway, createGateway } from './app.ts';
import { JWT_SECRET, OPERATOR } from './gateway.fixture.ts';
import { SESSION_COOKIE, createSealer } from './session.ts';

// Console sign-in over real HTTP, the services replaced by a stub whose API keys can be revoked
// mid-session. Generated cases are seeded: FC_SEED replays a failure.
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });

const tenantA = randomUUID();
const tenantB = randomUUID();
const adminA: Principal = { tenant_id: tenantA, user_id: null, tenant_role: 'tenant_admin', actor: 'api_key:a' };
const auditorA: Principal = { tenant_id: tenantA, user_id: null, tenant_role: 'auditor', actor: 'api_key:aa' };
const adminB: Principal = { tenant_id: tenantB, user_id: null, tenant_role: 'tenant_admin', actor: 'api_key:b' };

interface Sent {
  pattern: string;
  principal: Principal | null;
  input: unknown;
}

function stubRpc() {
  const keys = new Map<string, Principal>([
    ['mnd_admin_a', adminA],
    ['mnd_auditor_a', auditorA],
    ['mnd_admin_b', adminB],
  ]);
  const sent: Sent[] = [];
  const leases: string[] = [];
  const client: RpcClient = {
    async request<T>(pattern: string, req: { principal: Principal | null; meta: RequestMeta; input: unknown }) {
      if (pattern === patterns.authApiKey) {
        const principal = keys.get((req.input as { secret: string }).secret);
        return (principal
          ? { ok: true, value: principal }
          : { ok: false, error: { code: 'unauthenticated', message: 'invalid', details: {} } }) as unknown as RpcReply<T>;
      }
      if (pattern === authRpc.authJwt) return { ok: true, value: { user_registered: true } } as RpcReply<T>;
      if (pattern === limitsRpc.rateLease) {
        leases.push((req.input as { tenant_id: string }).tenant_id);
        return {
          ok: true,
          value: { granted: 100, tokens_left: 1000, rate: 1000, burst: 1000, retry_after_ms: 0 },
        } as unknown as RpcReply<T>;
      }
      if (pattern === limitsRpc.usageRecord) return { ok: true, value: {} } as RpcReply<T>;
      sent.push({ pattern, principal: req.principal, input: req.input });
      return { ok: true, value: { done: true } } as RpcReply<T>;
    },
    async close() {},
  };
  return { client, keys, sent, leases };
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  cookie: string | null;
}

async function startGateway(o: { singleTenantPrincipal?: Principal | null; secret?: string } = {}) {
  const rpc = stubRpc();
  const gateway = await createGateway({
    config: {
      operatorToken: OPERATOR,
      jwt: { hs256Secret: JWT_SECRET, issuer: 'test-idp' },
      singleTenantPrincipal: o.singleTenantPrincipal ?? null,
      bodyLimitBytes: 16 * 1024,
      session: o.secret ? { secret: o.secret } : undefined,
      limits: { leaseMs: 60_000, usageFlushMs: 60_000 },
    },
    rpc: rpc.client,
    log: createLogger({ level: 'silent' }),
    ready: async () => ({ ok: true, checks: {} }),
  });
  const origin = await gateway.listen(0, '127.0.0.1');
  const call = async (
    method: string,
    path: string,
    h: { cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...h.headers };
    if (h.cookie !== undefined) headers.cookie = `${SESSION_COOKIE}=${h.cookie}`;
    if (h.csrf !== undefined) headers['x-csrf-token'] = h.csrf;
    if (h.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${origin}/api/v1${path}`, {
      method,
      headers,
      body: h.body === undefined ? undefined : JSON.stringify(h.body),
    });
    const text = await res.text();
    const body = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? null;
    return { status: res.status, headers: res.headers, body, cookie: setCookie };
  };
  const valueOf = (setCookie: string | null) => setCookie?.split(';')[0]?.slice(SESSION_COOKIE.length + 1) ?? '';
  const signIn = async (credential: string) => {
    const res = await call('POST', '/session', { body: { credential } });
    expect(res.status).toBe(200);
    return { cookie: valueOf(res.cookie), csrf: res.body.csrf_token as string, res };
  };
  return { gateway, rpc, call, signIn, valueOf, origin };
}

const isCleared = (setCookie: string | null) => setCookie !== null && /^mandant_session=;/.test(setCookie) && /Max-Age=0/.test(setCookie);

describe('console sessions', () => {
  let g: Awaited<ReturnType<typeof startGateway>>;
  let gateway: Gateway;
  beforeAll(async () => {
    g = await startGateway();
    gateway = g.gateway;
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => {
    g.rpc.sent.length = 0;
    g.rpc.keys.set('mnd_admin_a', adminA);
  });

  it('signs in with an API key: an HttpOnly, SameSite=Strict cookie for 12 hours, and the session with its CSRF token', async () => {
    const { res, csrf } = await g.signIn('mnd_admin_a');
    expect(res.cookie).toMatch(/^mandant_session=[A-Za-z0-9_-]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(res.cookie).not.toContain('mnd_admin_a');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ principal: adminA, single_tenant: false });
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(res.body.expires_at);
    expect(expires - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
  });

  it('reads with the cookie alone, and answers GET /session with the same CSRF token', async () => {
    const { cookie, csrf } = await g.signIn('mnd_admin_a');
    const projects = await g.call('GET', '/projects', { cookie });
    expect(projects.status).toBe(200);
    expect(g.rpc.sent.at(-1)).toMatchObject({ pattern: patterns.projectList, principal: adminA });
    const session = await g.call('GET', '/session', { cookie });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ principal: adminA, csrf_token: csrf, single_tenant: false });
  });

  it('takes a rate token of the signed-in tenant for the sign-in and for reads of the session', async () => {
    const before = g.rpc.leases.length;
    const { cookie } = await g.signIn('mnd_admin_b');
    const read = await g.call('GET', '/session', { cookie });
    expect(read.headers.get('ratelimit-limit')).not.toBeNull();
    expect(g.rpc.leases.slice(before)).toContain(tenantB);
  });

  it('refuses a write by cookie without the CSRF token, or with a wrong one, or from another origin (403 csrf), and sends nothing', async () => {
    const { cookie, csrf } = await g.signIn('mnd_admin_a');
    for (const h of [
      {},
      { csrf: 'x'.repeat(43) },
      { csrf: csrf.slice(1) },
      { csrf, headers: { origin: 'https://evil.example' } },
      { csrf, headers: { origin: 'null' } },
    ]) {
      const res = await g.call('POST', '/projects', { cookie, body: { name: 'P' }, ...h });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: 'https://mandant.dev/problems/csrf', status: 403 });
    }
    expect(g.rpc.sent).toEqual([]);
  });

  it('accepts a write by cookie with its CSRF token, from the same origin or without an Origin', async () => {
    const { cookie, csrf } = await g.signIn('mnd_admin_a');
    const plain = await g.call('POST', '/projects', { cookie, csrf, body: { name: 'P' } });
    expect(plain.status).toBe(201);
    const sameOrigin = await g.call('POST', '/projects', { cookie, csrf, body: { name: 'Q' }, headers: { origin: g.origin } });
    expect(sameOrigin.status).toBe(201);
    expect(g.rpc.sent.map((s) => s.principal)).toEqual([adminA, adminA]);
  });

  it('needs no CSRF token with an Authorization header, which takes precedence over the cookie', async () => {
    const { cookie } = await g.signIn('mnd_admin_a');
    const res = await g.call('POST', '/projects', { cookie, body: { name: 'P' }, headers: { authorization: 'Bearer mnd_admin_b' } });
    expect(res.status).toBe(201);
    expect(g.rpc.sent.at(-1)?.principal).toEqual(adminB);
  });

  it('ends the session at once when its API key is revoked: 401 and the cookie cleared', async () => {
    const { cookie } = await g.signIn('mnd_admin_a');
    expect((await g.call('GET', '/projects', { cookie })).status).toBe(200);
    g.rpc.keys.delete('mnd_admin_a');
    const after = await g.call('GET', '/projects', { cookie });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ type: 'https://mandant.dev/problems/unauthenticated' });
    expect(isCleared(after.cookie)).toBe(true);
    expect(g.rpc.sent.filter((s) => s.pattern === patterns.projectList)).toHaveLength(1);
  });

  it('signs out: 204 and the cookie cleared, with or without a valid session', async () => {
    const { cookie } = await g.signIn('mnd_admin_a');
    const out = await g.call('DELETE', '/session', { cookie });
    expect(out.status).toBe(204);
    expect(isCleared(out.cookie)).toBe(true);
    const again = await g.call('DELETE', '/session', { cookie: 'garbage' });
    expect(again.status).toBe(204);
    expect(isCleared(again.cookie)).toBe(true);
    expect((await g.call('GET', '/session')).status).toBe(401);
  });

  it('signs in with a JWT, and an auditor may sign in and read the session', async () => {
    const sub = randomUUID();
    const jwt = await new SignJWT({ tenant_id: tenantA, roles: ['editor'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('test-idp')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const { cookie, res } = await g.signIn(jwt);
    const principal = { tenant_id: tenantA, user_id: sub, tenant_role: 'member', actor: `user:${sub}` };
    expect(res.body.principal).toEqual(principal);
    expect((await g.call('GET', '/me/projects', { cookie })).status).toBe(200);
    expect(g.rpc.sent.at(-1)?.principal).toEqual(principal);
    const auditor = await g.signIn('mnd_auditor_a');
    expect((await g.call('GET', '/session', { cookie: auditor.cookie })).body.principal).toEqual(auditorA);
  });

  it('answers every refused credential with the same 401, sets no cookie, and refuses the operator token 403', async () => {
    const expired = await new SignJWT({ tenant_id: tenantA, roles: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer('test-idp')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const forged = await new SignJWT({ tenant_id: tenantA, roles: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer('test-idp')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-0123456789abcdef0123456789'));
    const details = new Set<string>();
    for (const credential of ['mnd_unknown', 'not-a-token', expired, forged, 'a.b.c']) {
      const res = await g.call('POST', '/session', { body: { credential } });
      expect(res.status).toBe(401);
      expect(res.cookie).toBeNull();
      details.add(res.body.detail);
    }
    expect([...details]).toEqual(['invalid API key or token']);
    const operator = await g.call('POST', '/session', { body: { credential: OPERATOR } });
    expect(operator.status).toBe(403);
    expect(operator.cookie).toBeNull();
  });

  it('refuses a malformed sign-in body with 400 problem+json, and a sign-in from another origin with 403', async () => {
    for (const body of [
      {},
      { credential: '' },
      { credential: 'x'.repeat(3000) },
      { credential: 'a b' },
      { credential: 1 },
      { credential: 'mnd_admin_a', extra: 1 },
    ]) {
      const res = await g.call('POST', '/session', { body });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('https://mandant.dev/problems/validation-failed');
      expect(res.cookie).toBeNull();
    }
    const cross = await g.call('POST', '/session', { body: { credential: 'mnd_admin_a' }, headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    expect(cross.cookie).toBeNull();
  });

  it('answers any sign-in body with 400 or 401 problem+json, sets no cookie and sends nothing', async () => {
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ credential: fc.string({ maxLength: 300, unit: 'binary' }) }),
      fc.record({ credential: fc.stringMatching(/^[\x21-\x7E]{1,80}$/) }),
      fc.record({ credential: fc.stringMatching(/^mnd_[A-Za-z0-9_-]{0,60}$/) }, { noNullPrototype: true }),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const res = await g.call('POST', '/session', { body });
        expect([400, 401]).toContain(res.status);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.cookie).toBeNull();
      }),
      runs(120),
    );
    expect(g.rpc.sent).toEqual([]);
  });

  it('answers 401 and clears the cookie for any forged value, never a 500, and sends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{0,300}$/), fc.constantFrom('GET', 'POST'), async (value, method) => {
        const res = await g.call(method, '/projects', { cookie: value, csrf: 'x', body: method === 'POST' ? { name: 'P' } : undefined });
        expect(res.status).toBe(401);
        expect(res.body.type).toBe('https://mandant.dev/problems/unauthenticated');
        expect(isCleared(res.cookie)).toBe(true);
      }),
      runs(60),
    );
    expect(g.rpc.sent).toEqual([]);
  });

  it('answers 401 for a sealed value with any byte flipped, cut or extended', async () => {
    const { cookie, csrf } = await g.signIn('mnd_admin_a');
    const bytes = Buffer.from(cookie, 'base64url');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ at: fc.nat(bytes.length - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
            const copy = Buffer.from(bytes);
            copy[at] = (copy[at] ?? 0) ^ xor;
            return copy;
          }),
          fc.nat(bytes.length - 1).map((n) => bytes.subarray(0, n)),
          fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => Buffer.concat([bytes, Buffer.from(tail)])),
        ),
        async (tampered) => {
          const res = await g.call('GET', '/projects', { cookie: tampered.toString('base64url'), csrf });
          expect(res.status).toBe(401);
          expect(isCleared(res.cookie)).toBe(true);
        },
      ),
      runs(60),
    );
    expect(g.rpc.sent).toEqual([]);
  });

  it("never accepts one session's CSRF token with another's cookie (the other tenant's included)", async () => {
    const sessions = [
      await g.signIn('mnd_admin_a'),
      await g.signIn('mnd_admin_a'),
      await g.signIn('mnd_admin_b'),
      await g.signIn('mnd_auditor_a'),
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(sessions.length - 1), fc.nat(sessions.length - 1), async (i, j) => {
        fc.pre(i !== j);
        const res = await g.call('POST', '/projects', { cookie: sessions[i]!.cookie, csrf: sessions[j]!.csrf, body: { name: 'P' } });
        expect(res.status).toBe(403);
        expect(res.body.type).toBe('https://mandant.dev/problems/csrf');
      }),
      runs(30),
    );
    expect(g.rpc.sent).toEqual([]);
  });

  it('does not open a cookie sealed by a gateway with another secret, nor one sealed here past its expiry', async () => {
    const other = createSealer('another-session-secret-0123456789abcdef');
    const csrf = 'c'.repeat(43);
    const foreign = other.seal({ credential: 'mnd_admin_b', csrf, expiresAt: Date.now() + 3600_000 });
    expect((await g.call('GET', '/projects', { cookie: foreign })).status).toBe(401);
    // the gateway above seals with a key derived from the operator token
    const local = createSealer(OPERATOR, () => Date.now() - 13 * 3600_000);
    const stale = local.seal({ credential: 'mnd_admin_a', csrf, expiresAt: Date.now() - 1000 });
    const res = await g.call('GET', '/projects', { cookie: stale });
    expect(res.status).toBe(401);
    expect(isCleared(res.cookie)).toBe(true);
    const fresh = local.seal({ credential: 'mnd_admin_a', csrf, expiresAt: Date.now() + 60_000 });
    expect((await g.call('GET', '/projects', { cookie: fresh })).status).toBe(200);
  });

  it('refuses two session cookies at once (one planted by another site of the domain) with 401', async () => {
    const { cookie } = await g.signIn('mnd_admin_a');
    const res = await fetch(`${g.origin}/api/v1/projects`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie}; ${SESSION_COOKIE}=${cookie}` },
    });
    expect(res.status).toBe(401);
  });
});

describe('console sessions behind a proxy, with their own secret', () => {
  it('marks the cookie Secure over https, and reads the forwarded host, only when the proxy is trusted', async () => {
    for (const [trustProxy, secure] of [
      [true, true],
      [false, false],
    ] as const) {
      const rpc = stubRpc();
      const gateway = await createGateway({
        config: {
          operatorToken: OPERATOR,
          jwt: {},
          singleTenantPrincipal: null,
          bodyLimitBytes: 4096,
          session: { secret: 'session-secret-0123456789abcdef0123456789', trustProxy },
        },
        rpc: rpc.client,
        log: createLogger({ level: 'silent' }),
        ready: async () => ({ ok: true, checks: {} }),
      });
      try {
        const origin = await gateway.listen(0, '127.0.0.1');
        const res = await fetch(`${origin}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
          body: JSON.stringify({ credential: 'mnd_admin_a' }),
        });
        expect(res.status).toBe(200);
        const cookie = res.headers.getSetCookie()[0] ?? '';
        expect(cookie.endsWith('; Secure')).toBe(secure);
        // sealed with the configured secret, not the operator token
        const value = cookie.split(';')[0]!.slice(SESSION_COOKIE.length + 1);
        expect(createSealer('session-secret-0123456789abcdef0123456789').open(value)?.credential).toBe('mnd_admin_a');
        expect(createSealer(OPERATOR).open(value)).toBeNull();
        // a proxy that rewrites Host: the origin the browser saw is in X-Forwarded-Host, believed only from a trusted proxy
        const proxied = await fetch(`${origin}/api/v1/session`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: 'https://console.example',
            'x-forwarded-host': 'console.example',
            'x-forwarded-proto': 'https',
          },
          body: JSON.stringify({ credential: 'mnd_admin_a' }),
        });
        expect(proxied.status).toBe(trustProxy ? 200 : 403);
      } finally {
        await gateway.close();
      }
    }
  });
});

describe('console sessions in single-tenant mode', () => {
  let g: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    g = await startGateway({ singleTenantPrincipal: adminA });
  });
  afterAll(async () => {
    await g?.gateway.close();
  });

  it('answers GET /session with the default principal, no CSRF token and single_tenant', async () => {
    const res = await g.call('GET', '/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ principal: adminA, csrf_token: null, single_tenant: true, expires_at: null });
  });

  it('refuses a sign-in with 409', async () => {
    const res = await g.call('POST', '/session', { body: { credential: 'mnd_admin_a' } });
    expect(res.status).toBe(409);
    expect(res.cookie).toBeNull();
  });

  it('refuses a write from another origin with 403 csrf, and accepts one from this origin or without Origin', async () => {
    const cross = await g.call('POST', '/projects', { body: { name: 'P' }, headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    expect(cross.body.type).toBe('https://mandant.dev/problems/csrf');
    expect(g.rpc.sent).toEqual([]);
    expect((await g.call('POST', '/projects', { body: { name: 'P' }, headers: { origin: g.origin } })).status).toBe(201);
    expect((await g.call('POST', '/projects', { body: { name: 'P' } })).status).toBe(201);
    // reads from anywhere are as before: the browser does not let another origin read the answer
    expect((await g.call('GET', '/projects', { headers: { origin: 'https://evil.example' } })).status).toBe(200);
  });
});
