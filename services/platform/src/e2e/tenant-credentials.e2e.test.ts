import { randomUUID } from 'node:crypto';
import { rpc as patterns, streams } from '@mandant/contracts';
import fc from 'fast-check';
import { type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sql, createSql } from '@mandant/shared/db';
import { type RpcClient, createRpcClient } from '@mandant/shared/rpc';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, JWT_SECRET, OPERATOR, startHarness } from './harness.ts';

// Credentials of tenants that do not exist (never provisioned, or offboarded) answer 401 and
// write nothing; JWTs need exp and a bounded lifetime; a JWT's subject must be a user of its
// tenant unless register-on-first-use is on; /metrics is not public.
const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 6 };
const now = () => Math.floor(Date.now() / 1000);
const jwt = (claims: JWTPayload) =>
  new SignJWT({ roles: [], iat: now(), exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(JWT_SECRET));

/** Reads and writes of every kind a tenant credential can attempt. */
const ROUTES: [string, string, unknown][] = [
  ['GET', '/events?after=0&limit=1000', undefined],
  ['GET', '/events/verify', undefined],
  ['GET', '/projections/status', undefined],
  ['GET', '/tenant', undefined],
  ['GET', '/projects', undefined],
  ['GET', '/users', undefined],
  ['GET', '/me/projects', undefined],
  ['POST', '/projects', { name: 'Phantom work' }],
  ['POST', '/users', { email: 'ghost@phantom.example', name: 'Ghost' }],
  ['PATCH', '/tenant/settings', { settings: { colour: 'grey' } }],
  ['POST', '/api-keys', { name: 'ghost key', role: 'tenant_admin' }],
  ['POST', '/documents', { title: 'Ghost note', content: 'nothing to see' }],
  ['POST', '/chat/conversations', { title: 'Ghost talk' }],
];

async function world(h: Harness, slug: string) {
  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const created = await ok('POST', '/tenants', OPERATOR, { name: `Tenant ${slug}`, slug });
  const admin = created.admin_api_key as string;
  const id = created.tenant.id as string;
  const user = (await ok('POST', '/users', admin, { email: `member@${slug}.example`, name: 'Member' })).id as string;
  const userKey = (await ok('POST', '/api-keys', admin, { name: 'member key', user_id: user })).secret as string;
  const auditorKey = (await ok('POST', '/api-keys', admin, { name: 'audit', role: 'auditor' })).secret as string;
  return { id, admin, user, userKey, auditorKey, ok };
}

describe.skipIf(!pg || natsMissing)('credentials of tenants that do not exist, JWT lifetimes and subjects, /metrics (defaults)', () => {
  let h: Harness;
  let owner: Sql;
  let rpc: RpcClient;
  let t: Awaited<ReturnType<typeof world>>;
  const eventsOf = async (tenant: string) => Number((await owner`select count(*)::int as n from events where tenant_id = ${tenant}`)[0]?.n);
  const positions = async () =>
    (await owner<{ tenant_id: string }[]>`select tenant_id from mandant_tenant_positions()`).map((r) => r.tenant_id);

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    owner = createSql(h.databaseUrl, { max: 2 });
    rpc = await createRpcClient(h.platform.runtime.rpc);
    t = await world(h, `cred-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await rpc?.close();
    await owner?.end();
    await h?.stop();
  });

  it('accepts a JWT of a live tenant naming a registered user, with an exp within the maximum', async () => {
    const token = await jwt({ tenant_id: t.id, sub: t.user });
    expect((await h.call('GET', '/me/projects', { token })).status).toBe(200);
    expect((await h.call('POST', '/projects', { token, body: { name: 'Real work' } })).status).toBe(201);
  });

  it('answers 401 to a correctly signed JWT of a tenant never provisioned, on every route, and starts no log for it', async () => {
    const phantoms: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.uuid({ version: [4, 7] }),
        fc.subarray(['tenant_admin', 'auditor', 'member']),
        fc.uuid(),
        async (tenant, roles, sub) => {
          phantoms.push(tenant);
          const token = await jwt({ tenant_id: tenant, sub, roles, email: `${sub}@phantom.example` });
          for (const [method, path, body] of ROUTES) {
            const res = await h.call(method, path, { token, body });
            expect([method, path, res.status]).toEqual([method, path, 401]);
          }
        },
      ),
      runs,
    );
    const known = await positions();
    for (const tenant of phantoms) {
      expect(await eventsOf(tenant)).toBe(0);
      expect(known).not.toContain(tenant);
    }
    const listed = ((await h.call('GET', '/tenants', { token: OPERATOR })).body.tenants as { id: string }[]).map((x) => x.id);
    expect(listed).toEqual([t.id]);
  });

  it('refuses a phantom tenant below the gateway too: a service asked directly writes nothing (401)', async () => {
    const tenant = randomUUID();
    const principal = { tenant_id: tenant, user_id: null, tenant_role: 'tenant_admin' as const, actor: 'api_key:forged' };
    const reply = await rpc.request(patterns.projectCreate, {
      principal,
      operator: false,
      meta: { correlation_id: 'phantom', traceparent: null },
      input: { name: 'Phantom' },
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(await eventsOf(tenant)).toBe(0);
    expect(await positions()).not.toContain(tenant);
  });

  it('answers 401 to a JWT without exp, or valid for longer than 24 h, and accepts the same within it', async () => {
    const base = { tenant_id: t.id, sub: t.user };
    const noExp = await new SignJWT({ ...base, roles: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await h.call('GET', '/me/projects', { token: noExp })).status).toBe(401);
    expect((await h.call('GET', '/me/projects', { token: await jwt({ ...base, iat: now(), exp: now() + 2 * 86_400 }) })).status).toBe(401);
    expect((await h.call('GET', '/me/projects', { token: await jwt({ ...base, iat: undefined, exp: now() + 2 * 86_400 }) })).status).toBe(
      401,
    );
    expect((await h.call('GET', '/me/projects', { token: await jwt({ ...base, iat: now() - 30 * 86_400, exp: now() + 60 }) })).status).toBe(
      401,
    );
    expect((await h.call('GET', '/me/projects', { token: await jwt({ ...base, iat: now(), exp: now() + 86_000 }) })).status).toBe(200);
  });

  it('answers 401 to a JWT whose subject is not a user of its tenant, and registers nobody', async () => {
    const before = await eventsOf(t.id);
    const sub = randomUUID();
    const token = await jwt({ tenant_id: t.id, sub, roles: ['tenant_admin'], email: `${sub}@idp.example`, name: 'Stranger' });
    for (const [method, path, body] of ROUTES) expect([path, (await h.call(method, path, { token, body })).status]).toEqual([path, 401]);
    expect(await eventsOf(t.id)).toBe(before);
    expect((await owner`select 1 from events where tenant_id = ${t.id} and stream = ${streams.user(sub)}`).length).toBe(0);
  });

  it("answers 401 to an offboarded tenant's API keys and JWTs, on reads and writes, and writes nothing", async () => {
    const gone = await world(h, `gone-${randomUUID().slice(0, 8)}`);
    const credentials = {
      admin: gone.admin,
      auditor: gone.auditorKey,
      member: gone.userKey,
      jwtAdmin: await jwt({ tenant_id: gone.id, sub: gone.user, roles: ['tenant_admin'] }),
      jwtAuditor: await jwt({ tenant_id: gone.id, sub: gone.user, roles: ['auditor'] }),
    };
    for (const token of [credentials.jwtAdmin, credentials.admin])
      expect((await h.call('GET', '/events?after=0&limit=5', { token })).status).toBe(200);
    expect((await h.call('DELETE', `/tenants/${gone.id}`, { token: OPERATOR })).status).toBe(204);
    const head = await eventsOf(gone.id);
    for (const [name, token] of Object.entries(credentials)) {
      for (const [method, path, body] of ROUTES) {
        const res = await h.call(method, path, { token, body });
        expect([name, method, path, res.status]).toEqual([name, method, path, 401]);
      }
    }
    expect(await eventsOf(gone.id)).toBe(head);
    const [last] = await owner<{ type: string }[]>`select type from events where tenant_id = ${gone.id} order by tenant_seq desc limit 1`;
    expect(last?.type).toBe('tenant.offboarded.v1');
  });

  it('does not serve /metrics on the public port without a token; the health port serves the scrape', async () => {
    for (const token of [undefined, t.admin, await jwt({ tenant_id: t.id, sub: t.user, roles: ['tenant_admin'] })]) {
      const res = await h.call('GET', '/metrics', { token });
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(t.id);
    }
    const scrape = await fetch(`${h.platform.healthUrl}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toContain('mandant_ops_up 1');
    expect(text).toContain(`tenant="${t.id}"`);
    expect((await fetch(`${h.platform.healthUrl}/healthz`)).status).toBe(200);
    expect((await h.call('GET', '/metrics', { token: OPERATOR })).status).toBe(200);
  });
});

describe.skipIf(!pg || natsMissing)('JWT subjects with JWT_REGISTER_ON_FIRST_USE=true', () => {
  let h: Harness;
  let owner: Sql;
  let t: Awaited<ReturnType<typeof world>>;
  const registrations = async (tenant: string, sub: string) =>
    owner<
      { type: string; actor: string }[]
    >`select type, actor from events where tenant_id = ${tenant} and stream = ${streams.user(sub)} order by version`;

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { JWT_REGISTER_ON_FIRST_USE: 'true' } });
    owner = createSql(h.databaseUrl, { max: 2 });
    t = await world(h, `reg-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await owner?.end();
    await h?.stop();
  });

  it('registers the subject once from its email and name claims, as an ordinary registration, then it works', async () => {
    const sub = randomUUID();
    const token = await jwt({ tenant_id: t.id, sub, email: `Ada.${sub.slice(0, 8)}@IdP.example`, name: 'Ada Lovelace' });
    expect((await h.call('GET', '/me/projects', { token })).status).toBe(200);
    expect((await h.call('POST', '/projects', { token, body: { name: 'Ada work' } })).status).toBe(201);
    expect(await registrations(t.id, sub)).toEqual([{ type: 'user.registered.v2', actor: `user:${sub}` }]);
    const users = (await t.ok('GET', '/users', t.admin)).users as { id: string; email: string; name: string }[];
    expect(users.find((u) => u.id === sub)).toMatchObject({ email: `ada.${sub.slice(0, 8)}@idp.example`, name: 'Ada Lovelace' });
  });

  it('registers a subject once when its first requests arrive together', async () => {
    for (let round = 0; round < 3; round++) {
      const sub = randomUUID();
      const token = await jwt({ tenant_id: t.id, sub, email: `${sub}@idp.example` });
      const statuses = await Promise.all(Array.from({ length: 6 }, () => h.call('GET', '/me/projects', { token }).then((r) => r.status)));
      expect(statuses).toEqual(Array(6).fill(200));
      expect((await registrations(t.id, sub)).map((e) => e.type)).toEqual(['user.registered.v2']);
    }
  });

  it('still answers 401 to a subject without an email claim, and to a tenant never provisioned, writing nothing', async () => {
    const sub = randomUUID();
    expect((await h.call('GET', '/me/projects', { token: await jwt({ tenant_id: t.id, sub, name: 'No Mail' }) })).status).toBe(401);
    expect(await registrations(t.id, sub)).toEqual([]);
    const phantom = randomUUID();
    const token = await jwt({ tenant_id: phantom, sub, email: `${sub}@idp.example`, roles: ['tenant_admin'] });
    for (const [method, path, body] of ROUTES) expect([path, (await h.call(method, path, { token, body })).status]).toEqual([path, 401]);
    expect((await owner`select count(*)::int as n from events where tenant_id = ${phantom}`)[0]?.n).toBe(0);
  });

  it("answers 409 to a subject whose email is another user's, and registers nothing", async () => {
    const sub = randomUUID();
    const res = await h.call('GET', '/me/projects', {
      token: await jwt({ tenant_id: t.id, sub, email: `member@${(await t.ok('GET', '/tenant', t.admin)).slug}.example` }),
    });
    expect(res.status).toBe(409);
    expect(await registrations(t.id, sub)).toEqual([]);
  });
});
