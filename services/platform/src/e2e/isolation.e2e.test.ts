import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql } from '@mandant/shared/db/connect.ts';
import { findNatsServer } from '@mandant/shared/runtime/nats-server.ts';
import { backendMissing, postgresUrls } from '@mandant/shared/testing/backends.ts';
import { SignJWT } from 'jose';
import { type Harness, JWT_SECRET, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

interface TenantFixture {
  id: string;
  slug: string;
  admin: string;
  auditor: string;
  projects: [string, string];
  users: Record<'padmin' | 'editor' | 'viewer' | 'outsider', { id: string; key: string }>;
}

describe.skipIf(!pg || natsMissing)('tenant isolation and roles over HTTP', () => {
  let h: Harness;
  const t: Record<'a' | 'b', TenantFixture> = {} as never;

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const head = async (f: TenantFixture) => (await ok('GET', '/events?after=0&limit=1', f.admin)).head as number;

  async function tenant(slug: string): Promise<TenantFixture> {
    const created = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: `Tenant ${slug}`, slug } });
    expect(created.status).toBe(201);
    const admin = created.body.admin_api_key as string;
    const auditor = (await ok('POST', '/api-keys', admin, { name: 'audit', role: 'auditor' })).secret;
    const users = {} as TenantFixture['users'];
    for (const role of ['padmin', 'editor', 'viewer', 'outsider'] as const) {
      const u = await ok('POST', '/users', admin, { email: `${role}@${slug}.example`, name: role });
      users[role] = { id: u.id, key: (await ok('POST', '/api-keys', admin, { name: role, user_id: u.id })).secret };
    }
    const p1 = (await ok('POST', '/projects', admin, { name: 'Offshore leaks' })).id as string;
    const p2 = (await ok('POST', '/projects', admin, { name: 'Procurement' })).id as string;
    await ok('PUT', `/projects/${p1}/members/${users.padmin.id}`, admin, { role: 'admin' });
    await ok('PUT', `/projects/${p1}/members/${users.editor.id}`, admin, { role: 'editor' });
    await ok('PUT', `/projects/${p1}/members/${users.viewer.id}`, admin, { role: 'viewer' });
    await ok('PUT', `/projects/${p2}/members/${users.viewer.id}`, admin, { role: 'viewer' });
    return { id: created.body.tenant.id, slug, admin, auditor, projects: [p1, p2], users };
  }

  beforeAll(async () => {
    if (!pg) return;
    // a JWT's subject must be a user of its tenant: the forged one below registers on first use
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { JWT_REGISTER_ON_FIRST_USE: 'true' } });
    const suffix = randomUUID().slice(0, 6);
    t.a = await tenant(`alpha-${suffix}`);
    t.b = await tenant(`beta-${suffix}`);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  /** Every project-scoped route, as (method, path, body) for a given project and user id. */
  const projectRoutes = (p: string, u: string): [string, string, unknown?][] => [
    ['GET', `/projects/${p}`],
    ['PATCH', `/projects/${p}`, { name: 'renamed' }],
    ['DELETE', `/projects/${p}`],
    ['POST', `/projects/${p}/archive`],
    ['POST', `/projects/${p}/unarchive`],
    ['GET', `/projects/${p}/members`],
    ['GET', `/projects/${p}/members/${u}`],
    ['PUT', `/projects/${p}/members/${u}`, { role: 'admin' }],
    ['DELETE', `/projects/${p}/members/${u}`],
    ['GET', `/projects/${p}/members/${u}/profile`],
    ['PUT', `/projects/${p}/members/${u}/profile`, { display_name: 'x' }],
  ];

  it("answers 404 to every route given another tenant's ids, exactly as for missing ones, and changes nothing", async () => {
    const before = await head(t.a);
    const missing = randomUUID();
    const aKey = ((await ok('GET', '/api-keys', t.a.admin)).api_keys as { id: string }[])[0]?.id ?? missing;
    for (const caller of [t.b.admin, t.b.users.padmin.key]) {
      for (const [method, path, body] of [
        ...projectRoutes(t.a.projects[0], t.a.users.viewer.id),
        // own project, other tenant's user
        ...projectRoutes(t.b.projects[0], t.a.users.viewer.id).filter(([, path]) => path.includes('/members/') && caller === t.b.admin),
        // a tenant-level key has no user to switch (403 whatever the id); a user gets the 404
        ...(caller === t.b.admin ? [] : [['POST', '/me/switch-project', { project_id: t.a.projects[0] }] as [string, string, unknown]]),
        ...(caller === t.b.admin ? [['DELETE', `/api-keys/${aKey}`] as [string, string]] : []),
      ]) {
        const res = await h.call(method, path, { token: caller, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
        const twin = await h.call(method, path.replace(t.a.projects[0], missing).replace(aKey, missing), { token: caller, body });
        expect(twin.status).toBe(404);
        expect(twin.body.type).toBe(res.body.type);
      }
    }
    expect(await head(t.a)).toBe(before);
  });

  it("never lists another tenant's projects, users, keys or events", async () => {
    const projects = (await ok('GET', '/projects', t.b.admin)).projects as { id: string }[];
    expect(projects.map((p) => p.id).sort()).toEqual([...t.b.projects].sort());
    const users = (await ok('GET', '/users', t.b.admin)).users as { id: string }[];
    expect(users.map((u) => u.id)).not.toContain(t.a.users.viewer.id);
    const events = (await ok('GET', '/events?after=0&limit=1000', t.b.auditor)).events as { tenant_id: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.tenant_id))).toEqual(new Set([t.b.id]));
  });

  it('refuses actions above the caller role with 403 and hides non-member projects with 404, changing nothing', async () => {
    const [p1, p2] = t.a.projects;
    const { viewer, editor, outsider, padmin } = t.a.users;
    const before = await head(t.a);
    const cases: [string, string, string, unknown, number][] = [
      [viewer.key, 'PATCH', `/projects/${p1}`, { name: 'x' }, 403],
      [viewer.key, 'POST', `/projects/${p1}/archive`, undefined, 403],
      [viewer.key, 'PUT', `/projects/${p1}/members/${outsider.id}`, { role: 'viewer' }, 403],
      [viewer.key, 'DELETE', `/projects/${p1}`, undefined, 403],
      [viewer.key, 'GET', `/projects/${p1}/members/${editor.id}/profile`, undefined, 403],
      [editor.key, 'PATCH', `/projects/${p1}`, { description: 'x' }, 403],
      [editor.key, 'DELETE', `/projects/${p1}/members/${viewer.id}`, undefined, 403],
      [padmin.key, 'PATCH', `/projects/${p2}`, { name: 'x' }, 404],
      [outsider.key, 'GET', `/projects/${p1}`, undefined, 404],
      [outsider.key, 'POST', '/me/switch-project', { project_id: p1 }, 404],
      [padmin.key, 'POST', '/users', { email: 'x@y.example', name: 'x' }, 403],
      [padmin.key, 'GET', '/api-keys', undefined, 403],
      [padmin.key, 'PATCH', '/tenant/settings', { settings: { a: 1 } }, 403],
      [padmin.key, 'GET', '/events', undefined, 403],
      [padmin.key, 'POST', '/tenants', { name: 'x', slug: 'xx' }, 403],
      [t.a.auditor, 'GET', '/projects', undefined, 403],
      [t.a.auditor, 'POST', '/projects', { name: 'x' }, 403],
      [OPERATOR, 'GET', '/projects', undefined, 403],
      [OPERATOR, 'GET', '/tenant', undefined, 403],
    ];
    for (const [token, method, path, body, status] of cases) {
      const res = await h.call(method, path, { token, body });
      expect([method, path, res.status]).toEqual([method, path, status]);
    }
    expect((await h.call('GET', '/projects', {})).status).toBe(401);
    expect((await ok('GET', '/projects', outsider.key)).projects).toEqual([]);
    expect(await head(t.a)).toBe(before);
  });

  it('lets each role do what it may', async () => {
    const [p1] = t.a.projects;
    const { viewer, padmin } = t.a.users;
    expect((await ok('GET', `/projects/${p1}`, viewer.key)).id).toBe(p1);
    const renamed = await ok('PATCH', `/projects/${p1}`, padmin.key, { description: 'Shell companies' });
    expect(renamed.description).toBe('Shell companies');
    expect((await ok('GET', `/projects/${p1}`, viewer.key)).description).toBe('Shell companies');
    expect((await ok('GET', '/events/verify', t.a.auditor)).ok).toBe(true);
    const mine = (await ok('GET', '/me/projects', viewer.key)).projects as { id: string; role: string }[];
    expect(mine.map((p) => p.role)).toEqual(['viewer', 'viewer']);
  });

  it("restores the user's saved state when switching back to a project", async () => {
    const [p1, p2] = t.b.projects;
    const key = t.b.users.viewer.key;
    await ok('POST', '/me/switch-project', key, { project_id: p1 });
    const inP2 = await ok('POST', '/me/switch-project', key, { project_id: p2, save_state: { open_document: 'doc-7', query: 'acme' } });
    expect(inP2.project.id).toBe(p2);
    expect(inP2.state).toEqual({});
    const back = await ok('POST', '/me/switch-project', key, { project_id: p1, save_state: { tab: 'graph' } });
    expect(back.project.id).toBe(p1);
    expect(back.role).toBe('viewer');
    expect(back.state).toEqual({ open_document: 'doc-7', query: 'acme' });
    const again = await ok('POST', '/me/switch-project', key, { project_id: p2 });
    expect(again.state).toEqual({ tab: 'graph' });
  });

  it('refuses writes to an archived project until it is unarchived', async () => {
    const [, p2] = t.b.projects;
    await ok('POST', `/projects/${p2}/archive`, t.b.admin);
    const res = await h.call('PATCH', `/projects/${p2}`, { token: t.b.admin, body: { name: 'x' } });
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/project-archived/);
    await ok('POST', `/projects/${p2}/unarchive`, t.b.admin);
    expect((await ok('PATCH', `/projects/${p2}`, t.b.admin, { name: 'Procurement 2' })).name).toBe('Procurement 2');
  });

  it('accepts a signed JWT as the user it names, within its own tenant only', async () => {
    const jwt = (tenantId: string, sub: string) =>
      new SignJWT({ tenant_id: tenantId, roles: [], email: `${sub}@jwt.example` }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
    const viewer = await jwt(t.a.id, t.a.users.viewer.id);
    expect((await ok('GET', `/projects/${t.a.projects[0]}`, viewer)).id).toBe(t.a.projects[0]);
    expect((await h.call('PATCH', `/projects/${t.a.projects[0]}`, { token: viewer, body: { name: 'x' } })).status).toBe(403);
    // the same user id claimed in the other tenant is nobody there (registered there on first use, with no role)
    const forged = await jwt(t.b.id, t.a.users.viewer.id);
    expect((await h.call('GET', `/projects/${t.a.projects[0]}`, { token: forged })).status).toBe(404);
    expect((await ok('GET', '/projects', forged)).projects).toEqual([]);
  });

  it('answers bad input with a 4xx problem naming the field and changes nothing', async () => {
    const before = await head(t.a);
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/projects', { name: '' }, 400, /name/],
      ['POST', '/projects', { name: 'x', slug: 'Not A Slug' }, 400, /slug/],
      ['POST', '/projects', { name: 'x', colour: 'red' }, 400, /colour/],
      ['POST', '/users', { email: 'not-an-email', name: 'x' }, 400, /email/],
      ['PUT', `/projects/${t.a.projects[0]}/members/${t.a.users.outsider.id}`, { role: 'owner' }, 400, /role/],
      ['POST', '/api-keys', { name: 'k', role: 'tenant_admin', user_id: t.a.users.viewer.id }, 400, /role|user_id/],
      ['POST', '/projects', '{"name": ', 400, /JSON/i],
      ['POST', '/projects', { name: 'x'.repeat(2_000_000) }, 413, /large/i],
    ];
    for (const [method, path, body, status, detail] of cases) {
      const res = await h.call(method, path, { token: t.a.admin, body });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(`${res.body.title} ${res.body.detail}`).toMatch(detail);
    }
    const taken = await h.call('POST', '/users', { token: t.a.admin, body: { email: 'VIEWER@' + t.a.slug + '.example', name: 'dup' } });
    expect(taken.status).toBe(409);
    expect(await head(t.a)).toBe(before);
  });

  it('verifies the hash chain and names the first altered position', async () => {
    const before = await ok('GET', '/events/verify', t.b.auditor);
    expect(before).toMatchObject({ ok: true, first_broken: null });
    const owner = createSql(h.databaseUrl, { max: 1 });
    try {
      await owner`update events set data = data || '{"name": "forged"}' where tenant_id = ${t.b.id} and tenant_seq = 5`;
    } finally {
      await owner.end();
    }
    const after = await ok('GET', '/events/verify', t.b.auditor);
    expect(after.ok).toBe(false);
    expect(after.first_broken.tenant_seq).toBe(5);
    expect((await ok('GET', '/events/verify', t.a.auditor)).ok).toBe(true);
  });
});
