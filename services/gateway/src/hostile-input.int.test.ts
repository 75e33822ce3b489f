import { randomUUID } from 'node:crypto';
import { type RpcReply, rpc as patterns } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { createMemoryBlobStore } from '@mandant/shared/stores/blobs';
import { type Gateway, createGateway } from './app.ts';
import { OPERATOR, fakeRpc } from './gateway.fixture.ts';
import { invalidUtf8, rawHttp, unstorableString } from './hostile.fixture.ts';

// The gateway alone over real HTTP, the services replaced by a recording stub: every hostile
// request gets a 4xx (or, when the client itself left, nothing), reaches no service, stores no
// blob, and the next request is served. Generated cases are seeded: FC_SEED replays a failure.
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });
const MAX_UPLOAD = 64 * 1024;
const IDLE_MS = 400;

describe('hostile input at the gateway', () => {
  let gateway: Gateway;
  let base = '';
  const rpc = fakeRpc();
  const puts: string[] = [];
  beforeAll(async () => {
    const memory = createMemoryBlobStore();
    const blobs: BlobStore = {
      ...memory,
      put: async (t, key, bytes, o) => {
        puts.push(key);
        return memory.put(t, key, bytes, o);
      },
    };
    gateway = await createGateway({
      config: {
        operatorToken: OPERATOR,
        jwt: { issuer: 'test-idp' },
        singleTenantPrincipal: null,
        bodyLimitBytes: 1024 * 1024,
        uploads: { blobs, maxBytes: MAX_UPLOAD },
        timeouts: { uploadIdleMs: IDLE_MS },
      },
      rpc: rpc.client,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: true, checks: {} }),
    });
    base = await gateway.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => {
    rpc.sent.length = 0;
    puts.length = 0;
    rpc.state.respond = (pattern): RpcReply =>
      pattern === patterns.documentUpload
        ? { ok: true, value: { id: randomUUID(), status: 'uploaded', duplicate: false, project_ids: [] } }
        : { ok: true, value: { done: true } };
  });

  const json = (method: string, path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    rawHttp(base, {
      method,
      path: `/api/v1${path}`,
      chunks: [Buffer.from(body)],
      headers: {
        authorization: 'Bearer mnd_admin',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
        ...headers,
      },
    });
  /** the gateway still serves: a plain request answered, and nothing reached a service or the blob store */
  const stillServing = async () => {
    const res = await fetch(`${base}/api/v1/healthz`);
    expect(res.status).toBe(200);
    expect(rpc.sent).toEqual([]);
    expect(puts).toEqual([]);
  };
  const problem = (body: string) => JSON.parse(body) as { type: string; detail: string; issues?: { path: string; message: string }[] };

  /** Free JSON with one unstorable string as a value or a key at a random depth; and the path naming it. */
  const poisonedSettings = fc
    .tuple(
      fc.array(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 8 }),
      unstorableString,
      fc.boolean(),
      fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    )
    .map(([path, bad, asKey, siblings]) => {
      const leaf = asKey ? { [bad]: 1 } : bad;
      const settings = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf);
      const named = ['settings', ...path, ...(asKey ? [bad] : [])].join('.');
      return {
        body: {
          name: 'P',
          settings: path.length > 0 ? { ...siblings, ...(settings as object) } : { ...siblings, ...(asKey ? { [bad]: 1 } : { v: bad }) },
        },
        named: path.length > 0 || asKey ? named : 'settings.v',
      };
    })
    .filter(({ named }) => !/\.(__proto__|constructor|prototype)(\.|$)/.test(named));

  it('answers 400 naming the field for a NUL or lone surrogate at any depth of a JSON body, keys included', async () => {
    await fc.assert(
      fc.asyncProperty(poisonedSettings, async ({ body, named }) => {
        const res = await json('POST', '/projects', JSON.stringify(body));
        expect(res.status).toBe(400);
        expect(problem(res.body).issues?.[0]?.path).toBe(named);
      }),
      runs(80),
    );
    await stillServing();
  });

  it('answers 400 for a NUL, invalid percent-encoding or invalid UTF-8 in the query, naming the parameter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('%00', '%FF', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%'),
        fc.string({ maxLength: 10 }),
        async (a, bad, b) => {
          const res = await rawHttp(base, {
            method: 'GET',
            path: `/api/v1/documents?limit=5&cursor=${encodeURIComponent(a)}${bad}z${encodeURIComponent(b)}`,
            headers: { authorization: 'Bearer mnd_admin', connection: 'close' },
          });
          expect(res.status).toBe(400);
          expect(problem(res.body).issues?.[0]?.path).toBe('cursor');
        },
      ),
      runs(40),
    );
    const twice = await rawHttp(base, {
      method: 'GET',
      path: '/api/v1/documents?cursor=a&cursor=b',
      headers: { authorization: 'Bearer mnd_admin', connection: 'close' },
    });
    expect([twice.status, problem(twice.body).issues?.[0]?.path]).toEqual([400, 'cursor']);
    await stillServing();
  });

  it('answers 400 for JSON nested deeper than 32 levels, however deep, without a stack overflow', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 33, max: 400 }), fc.integer({ min: 10_000, max: 150_000 })),
        fc.constantFrom('[', '{"a":'),
        async (depth, open) => {
          const close = open === '[' ? ']' : '}';
          const res = await json('POST', '/projects', `{"name":"P","settings":{"x":${open.repeat(depth)}1${close.repeat(depth)}}}`);
          expect(res.status).toBe(400);
          expect(problem(res.body).detail).toMatch(/nested deeper than 32 levels$/);
        },
      ),
      runs(20),
    );
    await stillServing();
  });

  it('answers 400 to invalid UTF-8 anywhere in a JSON body instead of decoding it to U+FFFD', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 30 }),
        invalidUtf8,
        fc.constantFrom('/projects', '/tenants', '/documents'),
        async (text, bad, path) => {
          const [head, tail] = [Buffer.from(`{"name":${JSON.stringify(text).slice(0, -1)}`), Buffer.from('"}')];
          const res = await json(
            'POST',
            path,
            Buffer.concat([head, bad, tail]),
            path === '/tenants' ? { authorization: `Bearer ${OPERATOR}` } : {},
          );
          expect(res.status).toBe(400);
          expect(problem(res.body).detail).toBe('the request body is not valid UTF-8');
        },
      ),
      runs(40),
    );
    await stillServing();
  });

  it('answers 400 to huge numbers and prototype keys, and 415 to a charset other than UTF-8', async () => {
    const huge = await json('POST', '/projects', '{"name":"P","settings":{"n":1e400}}');
    expect([huge.status, problem(huge.body).issues?.[0]?.path]).toEqual([400, 'settings.n']);
    for (const key of ['__proto__', 'constructor']) {
      const res = await json('PATCH', '/tenant/settings', `{"settings":{"a":{"${key}":{"admin":true}}}}`);
      expect([res.status, problem(res.body).issues?.[0]?.path]).toEqual([400, `settings.a.${key}`]);
    }
    const events = await rawHttp(base, {
      method: 'GET',
      path: '/api/v1/events?after=99999999999999999999',
      headers: { authorization: 'Bearer mnd_admin', connection: 'close' },
    });
    expect(events.status).toBe(400);
    const utf16 = await json('POST', '/projects', Buffer.from('{"name":"P"}', 'utf16le'), {
      'content-type': 'application/json; charset=utf-16le',
    });
    expect(utf16.status).toBe(415);
    await stillServing();
  });
});
