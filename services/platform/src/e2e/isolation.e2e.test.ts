import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql } from '@mandant/shared/db';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { SignJWT } from 'jose';
import type { MandantClient, Problem } from '@mandant/client';
import { type Harness, JWT_SECRET, OPERATOR, ok, startHarness, statusOf } from './harness.ts';

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

/** One typed call, as a table of cases holds it: a label for the failure message, and the call. */
type Call = [label: string, call: (c: MandantClient) => Promise<{ error?: Problem; response: Response }>];

describe.skipIf(!pg || natsMissing)('tenant isolation and roles over HTTP', () => {
  let h: Harness;
  const t: Record<'a' | 'b', TenantFixture> = {} as never;
  const api = (token: string | null) => h.client(token);
  const head = async (f: TenantFixture) => (await ok(api(f.admin).GET('/events', { params: { query: { after: 0, limit: 1 } } }))).head;

  async function tenant(slug: string): Promise<TenantFixture> {
    const created = await api(OPERATOR).POST('/tenants', { body: { name: `Tenant ${slug}`, slug } });
    expect(created.response.status).toBe(201);
    const { tenant: view, admin_api_key: admin } = await ok(created);
    const c = api(admin);
    const auditor = (await ok(c.POST('/api-keys', { body: { name: 'audit', role: 'auditor' } }))).secret;
    const users = {} as TenantFixture['users'];
    for (const role of ['padmin', 'editor', 'viewer', 'outsider'] as const) {
      const u = await ok(c.POST('/users', { body: { email: `${role}@${slug}.example`, name: role } }));
      users[role] = { id: u.id, key: (await ok(c.POST('/api-keys', { body: { name: role, user_id: u.id } }))).secret };
    }
    const p1 = (await ok(c.POST('/projects', { body: { name: 'Offshore leaks' } }))).id;
    const p2 = (await ok(c.POST('/projects', { body: { name: 'Procurement' } }))).id;
    const member = (id: string, user_id: string, role: 'viewer' | 'editor' | 'admin') =>
      ok(c.PUT('/projects/{id}/members/{user_id}', { params: { path: { id, user_id } }, body: { role } }));
    await member(p1, users.padmin.id, 'admin');
    await member(p1, users.editor.id, 'editor');
    await member(p1, users.viewer.id, 'viewer');
    await member(p2, users.viewer.id, 'viewer');
    return { id: view.id, slug, admin, auditor, projects: [p1, p2], users };
  }

  beforeAll(async () => {
    if (!pg) return;
    // a JWT's subject must be a user of its tenant: the forged one below registers on first use
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { JWT_REGISTER_ON_FIRST_USE: 'true' } });
    const suffix = randomUUID().slice(0, 6);
    t.a = await tenant(`alpha-${suffix}`);
    t.b = await tenant(`beta-${suffix}`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Every project-scoped route, as typed calls for a given project and user id. */
  const projectRoutes = (id: string, user_id: string): Call[] => {
    const project = { params: { path: { id } } };
    const member = { params: { path: { id, user_id } } };
    return [
      [`GET /projects/${id}`, (c) => c.GET('/projects/{id}', project)],
      [`PATCH /projects/${id}`, (c) => c.PATCH('/projects/{id}', { ...project, body: { name: 'renamed' } })],
      [`DELETE /projects/${id}`, (c) => c.DELETE('/projects/{id}', project)],
      [`POST /projects/${id}/archive`, (c) => c.POST('/projects/{id}/archive', project)],
      [`POST /projects/${id}/unarchive`, (c) => c.POST('/projects/{id}/unarchive', project)],
      [`GET /projects/${id}/members`, (c) => c.GET('/projects/{id}/members', project)],
      [`GET /projects/${id}/members/${user_id}`, (c) => c.GET('/projects/{id}/members/{user_id}', member)],
      [`PUT /projects/${id}/members/${user_id}`, (c) => c.PUT('/projects/{id}/members/{user_id}', { ...member, body: { role: 'admin' } })],
      [`DELETE /projects/${id}/members/${user_id}`, (c) => c.DELETE('/projects/{id}/members/{user_id}', member)],
      [`GET /projects/${id}/members/${user_id}/profile`, (c) => c.GET('/projects/{id}/members/{user_id}/profile', member)],
      [
        `PUT /projects/${id}/members/${user_id}/profile`,
        (c) => c.PUT('/projects/{id}/members/{user_id}/profile', { ...member, body: { display_name: 'x' } }),
      ],
    ];
  };

  it("answers 404 to every route given another tenant's ids, exactly as for missing ones, and changes nothing", async () => {
    const before = await head(t.a);
    const missing = randomUUID();
    const aKey = (await ok(api(t.a.admin).GET('/api-keys'))).api_keys[0]?.id ?? missing;
    /** what `caller` of tenant b tries on tenant a's `project` and API `key` */
    const attempts = (caller: string, project: string, key: string): Call[] => [
      ...projectRoutes(project, t.a.users.viewer.id),
      // own project, other tenant's user
      ...(caller === t.b.admin ? projectRoutes(t.b.projects[0], t.a.users.viewer.id).filter(([label]) => label.includes('/members/')) : []),
      // a tenant-level key has no user to switch (403 whatever the id); a user gets the 404
      ...(caller === t.b.admin
        ? []
        : [['POST /me/switch-project', (c) => c.POST('/me/switch-project', { body: { project_id: project } })] satisfies Call]),
      ...(caller === t.b.admin
        ? [[`DELETE /api-keys/${key}`, (c) => c.DELETE('/api-keys/{id}', { params: { path: { id: key } } })] satisfies Call]
        : []),
    ];
    for (const caller of [t.b.admin, t.b.users.padmin.key]) {
      const c = api(caller);
      const twins = attempts(caller, missing, missing);
      for (const [i, [label, call]] of attempts(caller, t.a.projects[0], aKey).entries()) {
        const res = await call(c);
        expect([label, res.response.status]).toEqual([label, 404]);
        expect(res.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        const twin = await twins[i]?.[1](c);
        expect(twin?.response.status).toBe(404);
        expect(twin?.error?.type).toBe(res.error?.type);
      }
    }
    expect(await head(t.a)).toBe(before);
  });

  it("never lists another tenant's projects, users, keys or events", async () => {
    const { projects } = await ok(api(t.b.admin).GET('/projects'));
    expect(projects.map((p) => p.id).sort()).toEqual([...t.b.projects].sort());
    const { users } = await ok(api(t.b.admin).GET('/users'));
    expect(users.map((u) => u.id)).not.toContain(t.a.users.viewer.id);
    const { api_keys: keys } = await ok(api(t.b.admin).GET('/api-keys'));
    const { api_keys: theirs } = await ok(api(t.a.admin).GET('/api-keys'));
    for (const key of theirs) expect(keys.map((k) => k.id)).not.toContain(key.id);
    const { events } = await ok(api(t.b.auditor).GET('/events', { params: { query: { after: 0, limit: 1000 } } }));
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.tenant_id))).toEqual(new Set([t.b.id]));
  });

  it('refuses actions above the caller role with 403 and hides non-member projects with 404, changing nothing', async () => {
    const [p1, p2] = t.a.projects;
    const { viewer, editor, outsider, padmin } = t.a.users;
    const before = await head(t.a);
    const project = (id: string) => ({ params: { path: { id } } });
    const member = (id: string, user_id: string) => ({ params: { path: { id, user_id } } });
    const cases: [token: string, ...Call, status: number][] = [
      [viewer.key, 'PATCH p1', (c) => c.PATCH('/projects/{id}', { ...project(p1), body: { name: 'x' } }), 403],
      [viewer.key, 'archive p1', (c) => c.POST('/projects/{id}/archive', project(p1)), 403],
      [
        viewer.key,
        'PUT member',
        (c) => c.PUT('/projects/{id}/members/{user_id}', { ...member(p1, outsider.id), body: { role: 'viewer' } }),
        403,
      ],
      [viewer.key, 'DELETE p1', (c) => c.DELETE('/projects/{id}', project(p1)), 403],
      [viewer.key, "another's profile", (c) => c.GET('/projects/{id}/members/{user_id}/profile', member(p1, editor.id)), 403],
      [editor.key, 'PATCH p1 as editor', (c) => c.PATCH('/projects/{id}', { ...project(p1), body: { description: 'x' } }), 403],
      [editor.key, 'DELETE member as editor', (c) => c.DELETE('/projects/{id}/members/{user_id}', member(p1, viewer.id)), 403],
      [padmin.key, 'PATCH p2 (not a member)', (c) => c.PATCH('/projects/{id}', { ...project(p2), body: { name: 'x' } }), 404],
      [outsider.key, 'GET p1 as outsider', (c) => c.GET('/projects/{id}', project(p1)), 404],
      [outsider.key, 'switch to p1 as outsider', (c) => c.POST('/me/switch-project', { body: { project_id: p1 } }), 404],
      [padmin.key, 'POST /users', (c) => c.POST('/users', { body: { email: 'x@y.example', name: 'x' } }), 403],
      [padmin.key, 'GET /api-keys', (c) => c.GET('/api-keys'), 403],
      [padmin.key, 'PATCH /tenant/settings', (c) => c.PATCH('/tenant/settings', { body: { settings: { a: 1 } } }), 403],
      [padmin.key, 'GET /events', (c) => c.GET('/events'), 403],
      [padmin.key, 'POST /tenants', (c) => c.POST('/tenants', { body: { name: 'x', slug: 'xx' } }), 403],
      [t.a.auditor, 'GET /projects as auditor', (c) => c.GET('/projects'), 403],
      [t.a.auditor, 'POST /projects as auditor', (c) => c.POST('/projects', { body: { name: 'x' } }), 403],
      [OPERATOR, 'GET /projects as operator', (c) => c.GET('/projects'), 403],
      [OPERATOR, 'GET /tenant as operator', (c) => c.GET('/tenant'), 403],
    ];
    for (const [token, label, call, status] of cases) {
      const res = await call(api(token));
      expect([label, res.response.status]).toEqual([label, status]);
    }
    expect(await statusOf(api(null).GET('/projects'))).toBe(401);
    expect((await ok(api(outsider.key).GET('/projects'))).projects).toEqual([]);
    expect(await head(t.a)).toBe(before);
  });

  it('lets each role do what it may', async () => {
    const [p1] = t.a.projects;
    const { viewer, padmin } = t.a.users;
    const read = () => ok(api(viewer.key).GET('/projects/{id}', { params: { path: { id: p1 } } }));
    expect((await read()).id).toBe(p1);
    const renamed = await ok(
      api(padmin.key).PATCH('/projects/{id}', { params: { path: { id: p1 } }, body: { description: 'Shell companies' } }),
    );
    expect(renamed.description).toBe('Shell companies');
    expect((await read()).description).toBe('Shell companies');
    expect((await read()).role).toBe('viewer');
    expect((await ok(api(t.a.auditor).GET('/events/verify'))).ok).toBe(true);
    const mine = (await ok(api(viewer.key).GET('/me/projects'))).projects;
    expect(mine.map((p) => p.role)).toEqual(['viewer', 'viewer']);
  });

  it("restores the user's saved state when switching back to a project", async () => {
    const [p1, p2] = t.b.projects;
    const c = api(t.b.users.viewer.key);
    const to = (project_id: string, save_state?: Record<string, unknown>) =>
      ok(c.POST('/me/switch-project', { body: { project_id, save_state } }));
    await to(p1);
    const inP2 = await to(p2, { open_document: 'doc-7', query: 'acme' });
    expect(inP2.project.id).toBe(p2);
    expect(inP2.previous_project_id).toBe(p1);
    expect(inP2.state).toEqual({});
    const back = await to(p1, { tab: 'graph' });
    expect(back.project.id).toBe(p1);
    expect(back.role).toBe('viewer');
    expect(back.profile?.user_id).toBe(t.b.users.viewer.id);
    expect(back.state).toEqual({ open_document: 'doc-7', query: 'acme' });
    expect((await to(p2)).state).toEqual({ tab: 'graph' });
  });

  it('refuses writes to an archived project until it is unarchived', async () => {
    const [, p2] = t.b.projects;
    const c = api(t.b.admin);
    const project = { params: { path: { id: p2 } } };
    expect((await ok(c.POST('/projects/{id}/archive', project))).status).toBe('archived');
    const res = await c.PATCH('/projects/{id}', { ...project, body: { name: 'x' } });
    expect(res.response.status).toBe(409);
    expect(res.error?.type).toMatch(/project-archived/);
    expect((await ok(c.POST('/projects/{id}/unarchive', project))).status).toBe('active');
    expect((await ok(c.PATCH('/projects/{id}', { ...project, body: { name: 'Procurement 2' } }))).name).toBe('Procurement 2');
  });

  it('accepts a signed JWT as the user it names, within its own tenant only', async () => {
    const jwt = (tenantId: string, sub: string) =>
      new SignJWT({ tenant_id: tenantId, roles: [], email: `${sub}@jwt.example` })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
    const project = { params: { path: { id: t.a.projects[0] } } };
    const viewer = api(await jwt(t.a.id, t.a.users.viewer.id));
    expect((await ok(viewer.GET('/projects/{id}', project))).id).toBe(t.a.projects[0]);
    expect(await statusOf(viewer.PATCH('/projects/{id}', { ...project, body: { name: 'x' } }))).toBe(403);
    // the same user id claimed in the other tenant is nobody there (registered there on first use, with no role)
    const forged = api(await jwt(t.b.id, t.a.users.viewer.id));
    expect(await statusOf(forged.GET('/projects/{id}', project))).toBe(404);
    expect((await ok(forged.GET('/projects'))).projects).toEqual([]);
  });

  it('answers bad input with a 4xx problem naming the field and changes nothing', async () => {
    const before = await head(t.a);
    // what the contract forbids, the typed client cannot send: these go raw
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
    const taken = await api(t.a.admin).POST('/users', { body: { email: `VIEWER@${t.a.slug}.example`, name: 'dup' } });
    expect([taken.response.status, taken.error?.type]).toEqual([409, 'https://mandant.dev/problems/email-taken']);
    expect(await head(t.a)).toBe(before);
  });

  it('verifies the hash chain and names the first altered position', async () => {
    const verify = (f: TenantFixture) => ok(api(f.auditor).GET('/events/verify'));
    expect(await verify(t.b)).toMatchObject({ ok: true, first_broken: null });
    const owner = createSql(h.databaseUrl, { max: 1 });
    try {
      await owner`update events set data = data || '{"name": "forged"}' where tenant_id = ${t.b.id} and tenant_seq = 5`;
    } finally {
      await owner.end();
    }
    const after = await verify(t.b);
    expect(after.ok).toBe(false);
    expect(after.first_broken?.tenant_seq).toBe(5);
    expect((await verify(t.a)).ok).toBe(true);
  });
});
