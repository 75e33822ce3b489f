import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, JWT_SECRET, OPERATOR, startHarness } from './harness.ts';

// The console's sign-in against the whole platform (real services over NATS): a session cookie
// reads and, with its CSRF token, writes; a revoked key ends its session at once; and the
// console itself is served from MANDANT_CONSOLE_DIR at `/`.
const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';

describe.skipIf(!pg || natsMissing)('console sessions on the platform', () => {
  let h: Harness;
  let dist = '';
  let origin = '';
  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'mandant-console-dist-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("console")\n');
    h = await startHarness({ ownerUrl: pg!.ownerUrl, env: { MANDANT_CONSOLE_DIR: dist } });
    origin = h.platform.url;
  });
  afterAll(async () => {
    await h?.stop();
    await rm(dist, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, o: { cookie?: string; csrf?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (o.cookie) headers.cookie = `mandant_session=${o.cookie}`;
    if (o.csrf) headers['x-csrf-token'] = o.csrf;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${h.api}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('mandant_session=')) ?? null;
    return { status: res.status, body: text ? JSON.parse(text) : null, setCookie };
  };
  const signIn = async (credential: string) => {
    const res = await call('POST', '/session', { body: { credential } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { cookie: res.setCookie!.split(';')[0]!.slice('mandant_session='.length), csrf: res.body.csrf_token as string, body: res.body };
  };

  it('signs in with an API key, reads and writes with the cookie, and ends when the key is revoked', async () => {
    const provisioned = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Console Co', slug: 'console-co' } });
    expect(provisioned.status).toBe(201);
    const admin = provisioned.body.admin_api_key as string;
    const second = await h.call('POST', '/api-keys', { token: admin, body: { name: 'console', role: 'tenant_admin' } });
    expect(second.status).toBe(201);

    const { cookie, csrf, body } = await signIn(second.body.secret);
    expect(body.principal.tenant_id).toBe(provisioned.body.tenant.id);
    expect((await call('GET', '/session', { cookie })).body.csrf_token).toBe(csrf);
    expect((await call('POST', '/projects', { cookie, body: { name: 'Without token' } })).status).toBe(403);
    const created = await call('POST', '/projects', { cookie, csrf, body: { name: 'Signed in' } });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/projects', { cookie });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('Signed in');

    expect((await h.call('DELETE', `/api-keys/${second.body.api_key.id}`, { token: admin })).status).toBe(204);
    const after = await call('GET', '/projects', { cookie });
    expect(after.status).toBe(401);
    expect(after.setCookie).toMatch(/Max-Age=0/);

    const out = await call('DELETE', '/session', { cookie });
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^mandant_session=;.*Max-Age=0/);
  });

  it('signs in with a JWT of a registered user, and refuses the operator token', async () => {
    const provisioned = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Token Co', slug: 'token-co' } });
    const admin = provisioned.body.admin_api_key as string;
    const user = await h.call('POST', '/users', { token: admin, body: { email: 'ana@token-co.example', name: 'Ana' } });
    expect(user.status).toBe(201);
    const jwt = await new SignJWT({ tenant_id: provisioned.body.tenant.id, roles: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.body.id)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const { cookie, body } = await signIn(jwt);
    expect(body.principal).toMatchObject({ tenant_id: provisioned.body.tenant.id, user_id: user.body.id });
    expect((await call('GET', '/me/projects', { cookie })).status).toBe(200);
    expect((await call('POST', '/session', { body: { credential: OPERATOR } })).status).toBe(403);
  });

  it('serves the console from MANDANT_CONSOLE_DIR at / and at the routes of the app, with its CSP', async () => {
    for (const path of ['/', '/signin', '/projects/console-co/files']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toBe(INDEX);
    }
    const asset = await fetch(`${origin}/assets/index-abc123.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${origin}/assets/missing.js`)).status).toBe(404);
  });
});
