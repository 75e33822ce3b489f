import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDARY, invalidUtf8, multipartBody, multipartHeaders, rawHttp, splitRandomly, unstorableString } from '@mandant/gateway/testing';
import { findNatsServer } from '@mandant/shared/runtime';
import { backendMissing, postgresUrls } from '@mandant/shared/testing';
import { type Harness, OPERATOR, startHarness, waitForDocument } from './harness.ts';

const pg = postgresUrls();
const natsMissing = backendMissing('nats', findNatsServer() ? null : 'no nats-server binary for the platform under test');
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });
const MAX_UPLOAD = 64 * 1024;

// The whole platform over HTTP: hostile requests get a 4xx problem (or, when the client itself
// left, nothing), append nothing to the tenant's log, and the platform keeps serving.
describe.skipIf(!pg || natsMissing)('hostile input against the platform', () => {
  let h: Harness;
  let key = '';
  let project = '';
  let user = '';
  let cursor = '';
  let head = 0;

  const currentHead = async () => {
    const res = await h.call('GET', '/events?limit=1', { token: key });
    expect(res.status).toBe(200);
    return res.body.head as number;
  };
  /** nothing appended since the setup, and a normal request still answered */
  const unchangedAndServing = async () => {
    expect(await currentHead()).toBe(head);
    const listed = await h.call('GET', `/projects/${project}`, { token: key });
    expect(listed.status).toBe(200);
  };
  const problem = (res: { status: number | null; headers: Record<string, string> | Headers; body: unknown }) => {
    const type =
      typeof res.headers.get === 'function'
        ? (res.headers as Headers).get('content-type')
        : (res.headers as Record<string, string>)['content-type'];
    expect(type).toMatch(/^application\/problem\+json/);
    return (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as { detail: string; issues?: { path: string }[] };
  };

  beforeAll(async () => {
    if (!pg) return;
    h = await startHarness({ ownerUrl: pg.ownerUrl, env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
    const tenant = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'Hostile', slug: 'hostile' } });
    key = tenant.body.admin_api_key;
    project = (await h.call('POST', '/projects', { token: key, body: { name: 'Target' } })).body.id;
    user = (await h.call('POST', '/users', { token: key, body: { email: 'u@hostile.example', name: 'U' } })).body.id;
    const ids: string[] = [];
    for (const content of ['First memo.', 'Second memo.']) {
      const up = await h.call('POST', `/projects/${project}/documents`, { token: key, body: { title: content, content } });
      expect(up.status).toBe(202);
      ids.push(up.body.id);
    }
    // ingestion appends its results later, the embedding after the document is processed: wait for
    // them all, so the head only moves if a hostile request moved it
    for (const id of ids) await waitForDocument(h, id, key, (d) => d.status === 'processed' && d.embeddings.length > 0);
    cursor = (await h.call('GET', `/projects/${project}/documents?limit=1`, { token: key })).body.next_cursor;
    expect(cursor).toEqual(expect.any(String));
    head = await currentHead();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const upload = (body: Buffer, o: { chunks?: Buffer[]; length?: number; after?: 'end' | 'reset' | 'wait' } = {}) =>
    rawHttp(h.platform.url, {
      method: 'POST',
      path: `/api/v1/projects/${project}/documents`,
      headers: { ...multipartHeaders(key, o.length ?? body.length), connection: 'close' },
      chunks: o.chunks ?? [body],
      after: o.after,
    });
  const form = fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes) =>
    multipartBody([
      { name: 'title', value: 'Cut' },
      { name: 'file', filename: 'cut.txt', value: Buffer.from(bytes) },
    ]),
  );

  it('answers 400 to multipart bodies that end before the closing boundary, and 413 to oversized ones', async () => {
    const closing = Buffer.byteLength(`--${BOUNDARY}--`);
    const cut = form
      .chain((body) => fc.nat({ max: body.length - closing - 3 }).map((at) => body.subarray(0, at)))
      .chain((body) => splitRandomly(body).map((chunks) => ({ body, chunks })));
    await fc.assert(
      fc.asyncProperty(cut, async ({ body, chunks }) => {
        const res = await upload(body, { chunks });
        expect(res.status).toBe(400);
        problem(res);
      }),
      runs(15),
    );
    const big = await upload(multipartBody([{ name: 'file', filename: 'big.bin', value: Buffer.alloc(MAX_UPLOAD + 1, 1) }]));
    expect(big.status).toBe(413);
    const declared = await upload(Buffer.from(`--${BOUNDARY}\r\n`), { length: MAX_UPLOAD * 100, after: 'wait' });
    expect(declared.status).toBe(413);
    await unchangedAndServing();
  });

  it('survives uploads whose client resets the connection mid-body', async () => {
    const aborted = form.chain((body) => fc.nat({ max: body.length - 1 }).map((at) => ({ body, sent: body.subarray(0, at) })));
    await fc.assert(
      fc.asyncProperty(aborted, async ({ body, sent }) => {
        const res = await upload(sent, { length: body.length, after: 'reset' });
        expect(res.status === null || (res.status >= 400 && res.status < 500)).toBe(true);
      }),
      runs(15),
    );
    await unchangedAndServing();
  });

  it('answers 400 naming cursor to tampered cursors, and still pages with the cursor it issued', async () => {
    const tampered = fc
      .oneof(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc
          .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }))
          .map(([at, junk]) => cursor.slice(0, at % cursor.length) + junk + cursor.slice((at % cursor.length) + 1)),
        fc.constantFrom(
          Buffer.from('2020|------------------------------------').toString('base64url'),
          Buffer.from('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url'),
        ),
      )
      .filter((c) => c !== cursor);
    await fc.assert(
      fc.asyncProperty(tampered, async (c) => {
        const res = await h.call('GET', `/projects/${project}/documents?cursor=${encodeURIComponent(c)}`, { token: key });
        expect(res.status).toBe(400);
        expect(problem(res).issues?.[0]?.path).toBe('cursor');
      }),
      runs(25),
    );
    const next = await h.call('GET', `/projects/${project}/documents?limit=1&cursor=${encodeURIComponent(cursor)}`, { token: key });
    expect([next.status, next.body.documents.length]).toEqual([200, 1]);
    await unchangedAndServing();
  });

  it('answers 400 to JSON nested too deep and to invalid UTF-8, on every kind of write', async () => {
    const writes = () =>
      [
        ['POST', '/projects', (v: string) => `{"name":"Deep","settings":{"x":${v}}}`],
        ['PATCH', '/tenant/settings', (v: string) => `{"settings":{"x":${v}}}`],
        ['PUT', `/projects/${project}/members/${user}/profile`, (v: string) => `{"preferences":{"x":${v}}}`],
        ['POST', '/me/switch-project', (v: string) => `{"project_id":"${project}","save_state":{"x":${v}}}`],
      ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes()), fc.integer({ min: 33, max: 50_000 }), async ([method, path, wrap], depth) => {
        const res = await h.call(method, path, { token: key, body: wrap(`${'['.repeat(depth)}${']'.repeat(depth)}`) });
        expect(res.status).toBe(400);
        expect(problem(res).detail).toMatch(/nested deeper than 32 levels$/);
      }),
      runs(12),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes()), invalidUtf8, async ([method, path, wrap], bad) => {
        const body = Buffer.concat([Buffer.from(wrap('"a').slice(0, -2)), bad, Buffer.from('"}}')]);
        const res = await rawHttp(h.platform.url, {
          method,
          path: `/api/v1${path}`,
          chunks: [body],
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': String(body.length),
            connection: 'close',
          },
        });
        expect(res.status).toBe(400);
        expect(problem(res).detail).toBe('the request body is not valid UTF-8');
      }),
      runs(12),
    );
    await unchangedAndServing();
  });

  it('answers 400 naming the field to a NUL or lone surrogate in every kind of field, however deep', async () => {
    const p = () => project;
    const fields: [string, string, (bad: string) => object, string][] = [
      ['POST', '/projects', (bad) => ({ name: bad }), 'name'],
      ['POST', '/projects', (bad) => ({ name: 'P', description: bad }), 'description'],
      ['POST', '/projects', (bad) => ({ name: 'P', settings: { a: [{ b: bad }] } }), 'settings.a.0.b'],
      ['POST', '/projects', (bad) => ({ name: 'P', settings: { [bad]: 1 } }), 'settings.'],
      ['PATCH', `/projects/${p()}`, (bad) => ({ name: bad }), 'name'],
      ['PATCH', '/tenant/settings', (bad) => ({ settings: { deep: { er: bad } } }), 'settings.deep.er'],
      ['POST', '/users', (bad) => ({ email: 'x@y.example', name: bad }), 'name'],
      ['POST', '/api-keys', (bad) => ({ name: bad, role: 'auditor' }), 'name'],
      ['PUT', `/projects/${p()}/members/${user}/profile`, (bad) => ({ display_name: bad }), 'display_name'],
      ['PUT', `/projects/${p()}/members/${user}/profile`, (bad) => ({ preferences: { [bad]: true } }), 'preferences.'],
      ['POST', '/me/switch-project', (bad) => ({ project_id: p(), save_state: { tabs: [bad] } }), 'save_state.tabs.0'],
      ['POST', `/projects/${p()}/chat/conversations`, (bad) => ({ title: bad }), 'title'],
      ['POST', `/projects/${p()}/search`, (bad) => ({ query: bad }), 'query'],
      ['POST', `/projects/${p()}/search`, (bad) => ({ query: 'q', filters: { entity: bad } }), 'filters.entity'],
      ['POST', `/projects/${p()}/documents`, (bad) => ({ title: bad, content: 'x' }), 'title'],
      ['POST', '/documents', (bad) => ({ content: `text ${bad}` }), 'content'],
    ];
    for (const [method, path, body, field] of fields) {
      await fc.assert(
        fc.asyncProperty(unstorableString, async (bad) => {
          const res = await h.call(method, path, { token: key, body: body(bad) });
          expect(res.status).toBe(400);
          expect(problem(res).issues?.[0]?.path).toBe(field.endsWith('.') ? `${field}${bad}` : field);
        }),
        runs(4),
      );
    }
    const form = await upload(
      multipartBody([
        { name: 'title', value: 'a\u0000b' },
        { name: 'file', filename: 'n.txt', value: 'x' },
      ]),
    );
    expect([form.status, problem(form).issues?.[0]?.path]).toEqual([400, 'title']);
    const named = await upload(multipartBody([{ name: 'file', filename: Buffer.from([0x6e, 0xed, 0xa0, 0x80]), value: 'x' }]));
    expect([named.status, problem(named).issues?.[0]?.path]).toEqual([400, 'filename']);
    const query = await h.call('GET', `/projects/${project}/entities?query=${encodeURIComponent('a\u0000b')}`, { token: key });
    expect([query.status, problem(query).issues?.[0]?.path]).toEqual([400, 'query']);
    const tenantName = await h.call('POST', '/tenants', { token: OPERATOR, body: { name: 'N\u0000', slug: 'nul-tenant' } });
    expect([tenantName.status, problem(tenantName).issues?.[0]?.path]).toEqual([400, 'name']);
    for (const url of ['javascript:alert(1)', 'data:text/html,x']) {
      const res = await h.call('POST', `/projects/${project}/documents`, { token: key, body: { content: 'x', source_url: url } });
      expect([res.status, problem(res).issues?.[0]?.path]).toEqual([400, 'source_url']);
    }
    await unchangedAndServing();
  });
});
