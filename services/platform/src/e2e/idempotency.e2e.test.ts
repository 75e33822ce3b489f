import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from '@mandant/gateway/testing';
import { type Sql, createSql } from '@mandant/shared/db';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const PROBLEMS = 'https://mandant.dev/problems/';

// Idempotency-Key over HTTP, through the gateway, NATS and the services: a retried POST is applied once.
describe.skipIf(!pg || natsMissing)('Idempotency-Key on POST', () => {
  let h: Harness;
  let owner: Sql;
  let key = '';
  let tenantId = '';

  const tenant = async (slug: string) => {
    const res = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: slug, slug } });
    expect(res.status).toBe(201);
    return { id: res.body.tenant.id as string, key: res.body.admin_api_key as string };
  };
  const post = (path: string, token: string, body: unknown, idem?: string) =>
    h.call('POST', path, { token, body, headers: idem === undefined ? {} : { 'idempotency-key': idem } });
  const projectsNamed = async (token: string, name: string) =>
    ((await h.call('GET', '/projects', { token })).body.projects as { name: string }[]).filter((p) => p.name === name);

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl });
    owner = createSql(h.databaseUrl, { max: 2 });
    ({ id: tenantId, key } = await tenant('idem-a'));
  });
  afterAll(async () => {
    await owner?.end();
    await h?.stop();
  });

  it('answers a retried POST /projects with the first answer, replayed, and creates one project', async () => {
    const idem = randomUUID();
    const first = await post('/projects', key, { name: 'Once' }, idem);
    const again = await post('/projects', key, { name: 'Once' }, idem);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('x-correlation-id')).toMatch(/^idem-[0-9a-f]{32}$/);
    expect(again.headers.get('x-correlation-id')).toBe(first.headers.get('x-correlation-id'));
    expect(await projectsNamed(key, 'Once')).toHaveLength(1);
    // every event of the request carries the correlation id derived from the key
    const events = (await h.call('GET', '/events?after=0&limit=1000', { token: key })).body.events as {
      correlation_id: string;
      data: { name?: string };
    }[];
    expect(events.filter((e) => e.data.name === 'Once').map((e) => e.correlation_id)).toEqual([first.headers.get('x-correlation-id')]);
  });

  it('refuses the same key with another body (422) and creates nothing for it', async () => {
    const idem = randomUUID();
    expect((await post('/projects', key, { name: 'Reuse A' }, idem)).status).toBe(201);
    const other = await post('/projects', key, { name: 'Reuse B' }, idem);
    expect(other.status).toBe(422);
    expect(other.body.type).toBe(`${PROBLEMS}idempotency-key-reused`);
    expect(await projectsNamed(key, 'Reuse B')).toHaveLength(0);
  });

  it('applies five concurrent duplicates once: the others replay or answer 409 in progress', async () => {
    const idem = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/projects', key, { name: 'Concurrent' }, idem)));
    const created = answers.filter((a) => a.status === 201);
    expect(created.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const a of created) expect(a.body).toEqual(created[0]?.body);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      expect(a.body.type).toBe(`${PROBLEMS}idempotency-in-progress`);
      expect(a.headers.get('retry-after')).toBe('1');
    }
    expect(await projectsNamed(key, 'Concurrent')).toHaveLength(1);
  });

  it('keeps two tenants sending the same key string apart', async () => {
    const other = await tenant('idem-b');
    const idem = 'shared-key-1';
    const a = await post('/projects', key, { name: 'Same key' }, idem);
    const b = await post('/projects', other.key, { name: 'Same key' }, idem);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
    expect(await projectsNamed(other.key, 'Same key')).toHaveLength(1);
  });

  it('gives a retried upload the same document id, and records it once', async () => {
    const idem = randomUUID();
    const body = { title: 'Memo', content: `An idempotent memo ${idem}.` };
    const first = await post('/documents', key, body, idem);
    const again = await post('/documents', key, body, idem);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/v1/documents/${first.body.id}`);
    const listed = (await h.call('GET', '/documents?limit=100', { token: key })).body.documents as { id: string }[];
    expect(listed.filter((d) => d.id === first.body.id)).toHaveLength(1);
  });

  it('replays POST /tenants to the operator, admin API key included', async () => {
    const idem = randomUUID();
    const first = await h.call('POST', '/tenants', {
      token: OPERATOR,
      body: { name: 'Retried', slug: 'idem-retried' },
      headers: { 'idempotency-key': idem },
    });
    const again = await h.call('POST', '/tenants', {
      token: OPERATOR,
      body: { name: 'Retried', slug: 'idem-retried' },
      headers: { 'idempotency-key': idem },
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.admin_api_key).toBe(first.body.admin_api_key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await h.call('GET', '/tenant', { token: again.body.admin_api_key })).status).toBe(200);
  });

  it('answers 409 reply_lost when the first run was applied but its executor died before answering, and creates nothing twice', async () => {
    const idem = randomUUID();
    const first = await post('/projects', key, { name: 'Lost reply' }, idem);
    expect(first.status).toBe(201);
    // as if the process had died after the append: the claim still running, its lease lapsed
    const lookupPrefix = (first.headers.get('x-correlation-id') ?? '').slice('idem-'.length);
    const lapsed = await owner`update idempotent_requests set state = 'running', reply = null, lease_until = now() - interval '1 second'
                                where tenant_id = ${tenantId} and key like ${`${lookupPrefix}%`} returning 1`;
    expect(lapsed).toHaveLength(1);
    const retry = await post('/projects', key, { name: 'Lost reply' }, idem);
    expect(retry.status).toBe(409);
    expect(retry.body.type).toBe(`${PROBLEMS}idempotency-reply-lost`);
    expect(retry.body.detail).toMatch(/WAS applied/);
    expect(await projectsNamed(key, 'Lost reply')).toHaveLength(1);
  });

  it("purges a tenant's idempotency claims when it is offboarded", async () => {
    const gone = await tenant('idem-gone');
    expect((await post('/projects', gone.key, { name: 'Before' }, randomUUID())).status).toBe(201);
    expect(await owner`select 1 from idempotent_requests where tenant_id = ${gone.id}`).toHaveLength(1);
    expect((await h.call('DELETE', `/tenants/${gone.id}`, { token: OPERATOR })).status).toBe(204);
    expect(await owner`select 1 from idempotent_requests where tenant_id = ${gone.id}`).toHaveLength(0);
  });

  it('ignores the header on GET, PUT, PATCH and DELETE', async () => {
    const res = await h.call('PATCH', '/tenant/settings', {
      token: key,
      body: { settings: { colour: 'blue' } },
      headers: { 'idempotency-key': 'not valid here either' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect((await h.call('GET', '/projects', { token: key, headers: { 'idempotency-key': ' ' } })).status).toBe(200);
  });

  it('answers 400 naming the header, or the normal answer, to any header value: never a 5xx, and the platform keeps serving', async () => {
    const url = new URL(h.api);
    const value = fc
      .oneof(
        fc.string({ unit: 'binary', minLength: 0, maxLength: 300 }),
        fc.stringMatching(/^[\x21-\x7e]{1,255}$/),
        fc.constantFrom('', ' ', 'x'.repeat(256), 'a b', '\t', 'ü', 'é'.repeat(200), '\u0000', '\u007f'),
      )
      .filter((v) => !/[\r\n]/.test(v));
    let n = 0;
    const answered = new Set<string>();
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        n++;
        const body = Buffer.from(JSON.stringify({ name: `Hostile key ${n}` }));
        const res = await rawHttp(url.origin, {
          method: 'POST',
          path: '/api/v1/projects',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': String(body.length),
            'idempotency-key': v,
            connection: 'close',
          },
          chunks: [body],
        });
        expect(res.status).not.toBeNull();
        expect(res.status).toBeLessThan(500);
        if (res.status === 400 && res.body.includes('idempotency')) {
          expect(JSON.parse(res.body).detail).toMatch(/^Idempotency-Key:/);
          answered.add('refused by the gateway');
        } else if (res.status !== 400) {
          expect([201, 409, 422]).toContain(res.status);
          answered.add('served');
        }
      }),
      { seed: Number(process.env.FC_SEED ?? 20261203), numRuns: 60 },
    );
    expect([...answered].sort()).toEqual(['refused by the gateway', 'served']);
    expect((await h.call('GET', '/tenant', { token: key })).status).toBe(200);
  });
});
