import { randomUUID } from 'node:crypto';
import { type RpcReply, rpc as patterns } from '@mandant/contracts';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { RpcUnavailableError } from '@mandant/shared/rpc';
import { type Gateway, createGateway } from './app.ts';
import { JWT_SECRET, OPERATOR, admin, fakeRpc, start } from './gateway.fixture.ts';
import { apiRoutes } from './routes.ts';

describe('gateway over HTTP with a stubbed service boundary', () => {
  let g: Awaited<ReturnType<typeof start>>;
  let gateway: Gateway;
  beforeAll(async () => {
    g = await start();
    gateway = g.gateway;
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => {
    g.rpc.sent.length = 0;
    g.rpc.state.respond = () => ({ ok: true, value: { done: true } });
  });

  it('answers 401 problem+json with WWW-Authenticate when no credentials are sent', async () => {
    const res = await g.call('GET', '/projects');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ type: 'https://mandant.dev/problems/unauthenticated', status: 401, instance: '/api/v1/projects' });
    expect(g.rpc.sent).toEqual([]);
  });

  it('accepts the operator token on /tenants only, as operator without a principal, with 201 on create', async () => {
    const created = await g.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Acme', slug: 'acme' } });
    expect(created.status).toBe(201);
    expect(g.rpc.sent[0]).toMatchObject({
      pattern: patterns.tenantProvision,
      operator: true,
      principal: null,
      input: { name: 'Acme', slug: 'acme', settings: {} },
    });
    expect((await g.call('GET', '/tenants', { token: OPERATOR })).status).toBe(200);
    const inside = await g.call('GET', '/projects', { token: OPERATOR });
    expect(inside.status).toBe(403);
    expect(inside.body.detail).toBe('operator token cannot act inside a tenant');
    expect((await g.call('POST', '/tenants', { token: 'mnd_admin', body: { name: 'X', slug: 'xx' } })).status).toBe(403);
    expect((await g.call('GET', '/tenants', { token: 'not-a-credential' })).status).toBe(401);
  });

  it('refuses a bad body with 400 naming the field, before sending anything', async () => {
    const res = await g.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Acme', slug: 'Not A Slug' } });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('https://mandant.dev/problems/validation-failed');
    expect(res.body.detail).toBe('slug: lowercase letters, digits and single dashes');
    const unknown = await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P', colour: 'red' } });
    expect(unknown.body.detail).toBe('colour: unknown field');
    const fromPath = await g.call('PATCH', `/projects/${randomUUID()}`, { token: 'mnd_admin', body: { project_id: randomUUID() } });
    expect(fromPath.status).toBe(400);
    expect(g.rpc.sent).toEqual([]);
  });

  it('answers 413 to a body over the limit, 400 to malformed JSON and 415 to a non-JSON body', async () => {
    const big = await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'x', description: 'a'.repeat(4096) } });
    expect(big.status).toBe(413);
    expect(big.body.type).toBe('https://mandant.dev/problems/payload-too-large');
    const broken = await g.call('POST', '/projects', {
      token: 'mnd_admin',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.type).toBe('https://mandant.dev/problems/malformed-json');
    const text = await g.call('POST', '/projects', { token: 'mnd_admin', body: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.type).toBe('https://mandant.dev/problems/unsupported-media-type');
    expect(g.rpc.sent).toEqual([]);
  });

  it('answers 404 problems for an unknown route and for a project reference that is neither an id nor a slug', async () => {
    const route = await g.call('GET', '/nowhere', { token: 'mnd_admin' });
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(route.body.type).toBe('https://mandant.dev/problems/not-found');
    for (const ref of ['Not_A_Project', 'x', '-leading-dash', 'a'.repeat(64)]) {
      const id = await g.call('GET', `/projects/${ref}`, { token: 'mnd_admin' });
      expect(id.status).toBe(404);
      expect(id.body.type).toBe('https://mandant.dev/problems/not-found');
    }
    expect(g.rpc.sent).toEqual([]);
  });

  it('asks the project service for a slug in the path, and answers 404 for a slug it does not know', async () => {
    const before = g.rpc.state.respond;
    g.rpc.state.respond = (pattern) =>
      pattern === patterns.projectResolveSlug
        ? { ok: false, error: { code: 'not_found', message: 'project not found', details: {} } }
        : before(pattern, undefined);
    try {
      const slug = await g.call('GET', '/projects/not-a-project', { token: 'mnd_admin' });
      expect(slug.status).toBe(404);
      expect(slug.body.type).toBe('https://mandant.dev/problems/not-found');
      expect(g.rpc.sent.map((s) => s.pattern)).toEqual([patterns.projectResolveSlug]);
      expect(g.rpc.sent[0]?.input).toEqual({ slug: 'not-a-project' });
    } finally {
      g.rpc.state.respond = before;
    }
  });

  it('maps path, body and query to the use case input and success to 200, 201 and 204', async () => {
    const [p, u] = [randomUUID(), randomUUID()];
    expect((await g.call('PUT', `/projects/${p}/members/${u}`, { token: 'mnd_admin', body: { role: 'editor' } })).status).toBe(200);
    expect(g.rpc.sent.at(-1)).toMatchObject({
      pattern: patterns.memberPut,
      principal: admin,
      input: { project_id: p, user_id: u, role: 'editor' },
    });
    const gone = await g.call('DELETE', `/api-keys/${u}`, { token: 'mnd_admin' });
    expect([gone.status, gone.body]).toEqual([204, '']);
    expect(g.rpc.sent.at(-1)).toMatchObject({ pattern: patterns.apiKeyRevoke, input: { key_id: u } });
    expect((await g.call('POST', '/users', { token: 'mnd_admin', body: { email: 'a@b.example', name: 'A' } })).status).toBe(201);
    expect((await g.call('POST', `/projects/${p}/archive`, { token: 'mnd_admin' })).status).toBe(200);
    await g.call('GET', '/events?after=5&limit=10', { token: 'mnd_admin' });
    expect(g.rpc.sent.at(-1)).toMatchObject({ pattern: patterns.eventsList, input: { after: 5, limit: 10 } });
  });

  it('accepts an HS256 JWT and sends its claims as the principal', async () => {
    const [t, sub] = [randomUUID(), randomUUID()];
    const jwt = await new SignJWT({ tenant_id: t, roles: ['editor'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('test-idp')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await g.call('GET', '/me/projects', { token: jwt })).status).toBe(200);
    expect(g.rpc.sent.at(-1)?.principal).toEqual({ tenant_id: t, user_id: sub, tenant_role: 'member', actor: `user:${sub}` });
    const forged = await new SignJWT({ tenant_id: t })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('test-idp')
      .sign(new TextEncoder().encode('another-secret-0123456789abcdef0123456789'));
    expect((await g.call('GET', '/me/projects', { token: forged })).status).toBe(401);
    const otherIssuer = await new SignJWT({ tenant_id: t })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('elsewhere')
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await g.call('GET', '/me/projects', { token: otherIssuer })).status).toBe(401);
  });

  it('lets an auditor read the event log but answers 403 on /projects', async () => {
    const res = await g.call('GET', '/projects', { token: 'mnd_auditor' });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe('https://mandant.dev/problems/forbidden');
    expect((await g.call('GET', '/events/verify', { token: 'mnd_auditor' })).status).toBe(200);
    expect((await g.call('GET', '/projections/status', { token: 'mnd_auditor' })).status).toBe(200);
  });

  it("maps a service's refusal through the problem table, keeping its details", async () => {
    g.rpc.state.respond = () => ({
      ok: false,
      error: { code: 'project.archived', message: 'project is archived', details: { project_id: 'p' } },
    });
    const res = await g.call('PATCH', `/projects/${randomUUID()}`, { token: 'mnd_admin', body: { name: 'x' } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      type: 'https://mandant.dev/problems/project-archived',
      detail: 'project is archived',
      project_id: 'p',
    });
    g.rpc.state.respond = () => ({
      ok: false,
      error: { code: 'internal', message: 'relation "x" does not exist', details: { sql: 'select' } },
    });
    const internal = await g.call('GET', '/tenant', { token: 'mnd_admin' });
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toMatch(/does not exist|sql/);
  });

  it('answers 500 when something other than an RpcReply comes back', async () => {
    g.rpc.state.respond = () => ({ stream: 'EVENTS', seq: 3 }) as unknown as RpcReply;
    const res = await g.call('GET', '/events', { token: 'mnd_admin' });
    expect(res.status).toBe(500);
    expect(res.body.type).toBe('https://mandant.dev/problems/internal-error');
  });

  it('answers 503 when the service boundary is unreachable', async () => {
    g.rpc.state.respond = () => {
      throw new RpcUnavailableError('request project.list failed');
    };
    const res = await g.call('GET', '/projects', { token: 'mnd_admin' });
    expect(res.status).toBe(503);
    expect(res.body.type).toBe('https://mandant.dev/problems/service-unavailable');
  });

  it('echoes the correlation id and passes it and the traceparent to the service', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await g.call('GET', '/tenant', { token: 'mnd_admin', headers: { 'x-correlation-id': 'corr-123', traceparent } });
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    expect(g.rpc.sent.at(-1)?.meta).toEqual({ correlation_id: 'corr-123', traceparent });
    const fresh = await g.call('GET', '/projects');
    expect(fresh.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.body.correlation_id).toBe(fresh.headers.get('x-correlation-id'));
  });

  it('describes every route in openapi.json with request bodies from the contracts', async () => {
    const res = await g.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const route of apiRoutes) {
      const op = res.body.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(op?.operationId).toBe(route.name);
    }
    const body = res.body.paths['/tenants'].post.requestBody.content['application/json'].schema;
    expect(body.properties.slug.pattern).toBe('^[a-z0-9]+(?:-[a-z0-9]+)*$');
    expect(res.body.paths['/projects/{id}'].patch.requestBody.content['application/json'].schema.properties.project_id).toBeUndefined();
    expect(res.body.components.securitySchemes.bearer.scheme).toBe('bearer');
  });

  it('serves health and readiness without credentials, and Prometheus metrics to the operator token', async () => {
    expect((await g.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await g.call('GET', '/readyz')).body).toEqual({ status: 'ready', checks: { database: true } });
    await g.call('GET', '/projects');
    const res = await g.call('GET', '/metrics', { token: OPERATOR });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/mandant_http_requests_total\{method="GET",route="\/api\/v1\/projects",status="401",tenant="none"\} \d+/);
    expect(res.body).toMatch(/mandant_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/projects",le="\+Inf"\} \d+/);
    expect(res.body).toMatch(/mandant_http_unauthorized_total [1-9]\d*/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('gateway in single-tenant mode', () => {
  it('acts as the configured principal without credentials, while /tenants still needs the operator token', async () => {
    const g = await start({ singleTenantPrincipal: admin });
    try {
      expect((await g.call('GET', '/projects')).status).toBe(200);
      expect(g.rpc.sent.at(-1)?.principal).toEqual(admin);
      expect((await g.call('GET', '/tenants')).status).toBe(401);
      expect((await g.call('GET', '/tenants', { token: OPERATOR })).status).toBe(200);
    } finally {
      await g.gateway.close();
    }
  });

  it('reports 503 from /readyz when a check fails', async () => {
    const gateway = await createGateway({
      config: { operatorToken: OPERATOR, jwt: {}, singleTenantPrincipal: null, bodyLimitBytes: 1024 },
      rpc: fakeRpc().client,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: false, checks: { database: false } }),
    });
    try {
      const res = await fetch(`${await gateway.listen(0, '127.0.0.1')}/api/v1/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', checks: { database: false } });
    } finally {
      await gateway.close();
    }
  });
});
