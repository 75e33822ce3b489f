import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { ownDatabase } from '@mandant/shared/testing';
import { SignJWT } from 'jose';
import { JWT_SECRET, OPERATOR } from '../e2e/harness.ts';
import { type Platform, startPlatform } from '../platform.ts';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');

// Words that exist only in the document, its title and the questions asked about it.
const TITLE = 'Glimmerquartz dossier';
const CONTENT = 'Ottoline Wrenfield of Snarkwell Holdings paid the harbour master 40000 euros through a Plumbago account.';
const QUERY = 'plumbago glimmerquartz payments';
const QUESTION = 'Who received the Plumbago payments from Snarkwell?';
const FORBIDDEN = [
  'Glimmerquartz',
  'glimmerquartz',
  'Ottoline',
  'Wrenfield',
  'Snarkwell',
  'Plumbago',
  'plumbago',
  'harbour master',
  QUERY,
  QUESTION,
];

/**
 * The platform's own pino output, captured at debug level during an upload, a search and a chat:
 * no line carries the document's text, title or the queries, and each request line names its
 * tenant and correlation id. Then /metrics after that traffic.
 */
describe.skipIf(!pg || natsMissing)('logs and metrics of a working platform', () => {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let platform: Platform;
  let stopNats: (() => Promise<void>) | null = null;
  let dropDb: (() => Promise<void>) | null = null;
  let dir = '';
  let api = '';
  let admin = '';
  let tenantId = '';
  let projectId = '';

  const call = async (method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
    return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  };

  beforeAll(async () => {
    if (!pg) return;
    dir = await mkdtemp(join(tmpdir(), 'mandant-obs-'));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          raw.push(line);
          try {
            lines.push(JSON.parse(line));
          } catch {
            lines.push({ unparsed: line });
          }
        }
        done();
      },
    });
    const log = createLogger({ level: 'debug', destination: sink });
    const binary = findNatsServer();
    if (!binary) throw new Error('no nats-server on PATH');
    const nats = await startNatsServer({ binary, storeDir: join(dir, 'nats'), log: createLogger({ level: 'silent' }) });
    stopNats = () => nats.stop();
    const db = await ownDatabase(pg.ownerUrl, 'obs');
    dropDb = () => db.drop();
    const env = readEnv({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      PORT: '0',
      HEALTH_PORT: '0',
      HOST: '127.0.0.1',
      MANDANT_DATA_DIR: dir,
      MANDANT_OPERATOR_TOKEN: OPERATOR,
      JWT_HS256_SECRET: JWT_SECRET,
      LOG_LEVEL: 'debug',
      EMBEDDING_MODEL: 'local-hashing-v1-384',
    });
    platform = await startPlatform(env, log);
    api = `${platform.url}/api/v1`;
    const created = await call('POST', '/tenants', OPERATOR, { name: 'Observed', slug: `obs-${Date.now().toString(36)}` });
    admin = created.admin_api_key;
    tenantId = created.tenant.id;
    projectId = (await call('POST', '/projects', admin, { name: 'Watched' })).id;
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    await stopNats?.();
    await dropDb?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs no document text, title, query or question through an upload, a search and a chat; request lines carry tenant and correlation ids', async () => {
    const from = raw.length;
    const doc = await call(
      'POST',
      `/projects/${projectId}/documents`,
      admin,
      { title: TITLE, content: CONTENT },
      { 'x-correlation-id': 'obs-upload-1' },
    );
    await eventually(
      async () => (await call('GET', `/documents/${doc.id}`, admin)).status === 'processed',
      `document ${doc.id} to be processed`,
    );
    const head = (await call('GET', '/events?after=0&limit=1', admin)).head as number;
    await Promise.all(platform.storeProjectors.map((p) => p.waitFor(tenantId, head, SETTLE_MS)));
    const search = await call('POST', `/projects/${projectId}/search`, admin, { query: QUERY }, { 'x-correlation-id': 'obs-search-1' });
    expect(search.hits.length).toBeGreaterThan(0);
    await call('POST', '/search', admin, { query: QUERY, mode: 'keyword' });
    await call('GET', `/entities?query=${encodeURIComponent('Wrenfield')}`, admin);
    const conv = await call('POST', `/projects/${projectId}/chat/conversations`, admin, { title: 'Plumbago questions' });
    const answer = await call(
      'POST',
      `/chat/conversations/${conv.id}/messages`,
      admin,
      { content: QUESTION },
      { 'x-correlation-id': 'obs-chat-1' },
    );
    expect(JSON.stringify(answer)).toContain('Snarkwell');
    // a failing request too: problem lines must not echo the body either
    await call(
      'POST',
      `/projects/${projectId}/search`,
      admin,
      { query: QUERY, mode: 'nonsense' },
      { 'x-correlation-id': 'obs-refused-1' },
    ).catch(() => {});
    // its request line is written once the answer is sent: wait for it, not for a pace
    await eventually(
      () => lines.some((l) => l.msg === 'request' && l.correlation_id === 'obs-refused-1'),
      "the refused search's request line",
    );

    const logged = raw.slice(from);
    expect(logged.length).toBeGreaterThan(10);
    const offending = logged.filter((l) => FORBIDDEN.some((w) => l.includes(w)) || l.includes('Plumbago questions'));
    expect(offending).toEqual([]);

    const requests = lines.slice(from).filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(8);
    for (const r of requests.filter((l) => typeof l.route === 'string' && l.route.startsWith('/api/v1/projects/:id'))) {
      expect(r).toMatchObject({ tenant_id: tenantId, project_id: projectId });
    }
    for (const r of requests) {
      expect(typeof r.correlation_id).toBe('string');
      expect(r).toHaveProperty('tenant_id');
    }
    const tagged = requests.filter((r) => ['obs-upload-1', 'obs-search-1', 'obs-chat-1'].includes(r.correlation_id as string));
    expect(tagged.map((r) => r.correlation_id).sort()).toEqual(['obs-chat-1', 'obs-search-1', 'obs-upload-1']);
    for (const r of tagged) expect(r.tenant_id).toBe(tenantId);
  }, 300_000);

  it('logs no API key, token, sealed personal data or document text: through a user, a membership, a profile, a JWT and refused requests carrying the key', async () => {
    const from = raw.length;
    const EMAIL = 'quillon.marrowby@sealed-mail.example';
    const NAME = 'Quillon Marrowby';
    const DISPLAY = 'Zephyrine Oakhollow';
    const user = await call('POST', '/users', admin, { email: EMAIL, name: NAME }, { 'x-correlation-id': 'redact-user-1' });
    await call('PUT', `/projects/${projectId}/members/${user.id}`, admin, { role: 'editor' });
    await call(
      'PUT',
      `/projects/${projectId}/members/${user.id}/profile`,
      admin,
      { display_name: DISPLAY },
      { 'x-correlation-id': 'redact-profile-1' },
    );
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tenant_id: tenantId, roles: [], email: EMAIL, name: NAME, iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id as string)
      .sign(new TextEncoder().encode(JWT_SECRET));
    await call('GET', `/projects/${projectId}/members/${user.id}/profile`, token, undefined, { 'x-correlation-id': 'redact-jwt-1' });
    await call('POST', `/projects/${projectId}/documents`, token, { title: 'Redaction note', content: `${CONTENT} Quillon's copy.` });
    // refused requests that carry the key: a forged one, the real one in the wrong place, the real one with a bad body
    const forged = `${admin.slice(0, -6)}zzzzzz`;
    const refused: [string, string, Record<string, string>, unknown][] = [
      ['GET', '/projects', { authorization: `Bearer ${forged}`, 'x-correlation-id': 'redact-refused-1' }, undefined],
      ['GET', `/projects?api_key=${encodeURIComponent(admin)}`, { 'x-api-key': admin, 'x-correlation-id': 'redact-refused-2' }, undefined],
      [
        'POST',
        '/projects',
        { authorization: `Bearer ${admin}`, 'x-correlation-id': 'redact-refused-3', 'content-type': 'application/json' },
        { name: admin, extra: token },
      ],
      ['GET', '/projects', { authorization: `Bearer ${token}x`, 'x-correlation-id': 'redact-refused-4' }, undefined],
      [
        'GET',
        '/projects',
        { authorization: `Basic ${Buffer.from(`${EMAIL}:${admin}`).toString('base64')}`, 'x-correlation-id': 'redact-refused-5' },
        undefined,
      ],
    ];
    for (const [method, path, headers, body] of refused) {
      const res = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
      await res.text();
    }
    await eventually(
      () =>
        ['redact-refused-1', 'redact-refused-2', 'redact-refused-3', 'redact-refused-4', 'redact-refused-5'].every((c) =>
          lines.some((l) => l.msg === 'request' && l.correlation_id === c),
        ),
      "the refused requests' lines",
    );
    expect(raw.length - from).toBeGreaterThan(5);
    // every line this platform wrote, from its start: the tenant's creation (which answered the key) included
    const secrets = [admin, admin.slice(-16), forged, token, token.split('.')[2] ?? token, EMAIL, NAME, DISPLAY, 'Quillon', CONTENT, TITLE];
    const leaks = raw.flatMap((line) =>
      secrets.filter((s) => line.includes(s)).map((s) => ({ secret: s.slice(0, 12), line: line.slice(0, 300) })),
    );
    expect(leaks).toEqual([]);
  }, 300_000);

  it('scrapes /metrics after that traffic: requests per tenant, events appended, projector lag, tenant and project counts', async () => {
    const headNow = async () => (await call('GET', '/events?after=0&limit=1', admin)).head as number;
    // a scrape taken while no event was appended (work the earlier requests started, entity
    // extraction say, may still append one): the projectors are waited for up to the head, and
    // the scrape is taken again if the head moved meanwhile
    const { head, text } = await eventually(async () => {
      const before = await headNow();
      await Promise.all(platform.storeProjectors.map((p) => p.waitFor(tenantId, before, SETTLE_MS)));
      // scraped as Prometheus does, on the health port (the public port wants a token)
      const scraped = await (await fetch(`${platform.healthUrl}/metrics`)).text();
      return (await headNow()) === before && { head: before, text: scraped };
    }, 'a scrape with the head unchanged');
    const value = (series: string): number | null => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : null;
    };
    expect(value('mandant_ops_up')).toBe(1);
    expect(value('mandant_tenants')).toBe(1);
    expect(value('mandant_projects{status="active"}')).toBe(1);
    expect(value('mandant_projects{status="archived"}')).toBe(0);
    expect(value('mandant_events_appended_total')).toBeGreaterThanOrEqual(head);
    expect(value(`mandant_tenant_events_appended_total{tenant="${tenantId}"}`)).toBeGreaterThanOrEqual(head);
    expect(text).toMatch(
      new RegExp(`mandant_http_requests_total\\{method="POST",route="/api/v1/projects/:id/search",status="200",tenant="${tenantId}"\\} 1`),
    );
    expect(value(`mandant_http_request_seconds_total{tenant="${tenantId}"}`)).toBeGreaterThan(0);
    expect(value('mandant_ops_scrape_duration_seconds')).toBeLessThan(1.5);
    // the document stores' projectors caught up with the head just waited for: they lag by nothing
    const lags = text.split('\n').filter((l) => l.startsWith('mandant_projector_lag_max_events{'));
    expect(lags.length).toBeGreaterThanOrEqual(4);
    for (const p of platform.storeProjectors)
      expect([p.key, value(`mandant_projector_lag_max_events{projector="${p.key}"}`)]).toEqual([p.key, 0]);
    for (const l of lags) expect(Number(l.split(' ').at(-1))).toBeGreaterThanOrEqual(0);
    expect(text).not.toMatch(/Glimmerquartz|Snarkwell|Plumbago/);
  }, 300_000);
});
