import { randomUUID } from 'node:crypto';
import { type RpcReply, rpc as patterns } from '@mandant/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { createMemoryBlobStore } from '@mandant/shared/stores/blobs';
import { type Gateway, createGateway } from './app.ts';
import { OPERATOR, fakeRpc } from './gateway.fixture.ts';
import { BOUNDARY, type FormPart, multipartBody, multipartHeaders, rawHttp, splitRandomly, unstorableBytes } from './hostile.fixture.ts';

// Uploads and streams against the gateway alone over real HTTP (services stubbed): a body that
// ends early, a client that resets or goes silent, a file over the limit, and streams whose
// client leaves must each end one request only. An 'error' event nobody listened to would end
// this process and fail the run.
const runs = (numRuns: number) => ({ seed: Number(process.env.FC_SEED ?? 20261202), numRuns });
const MAX_UPLOAD = 64 * 1024;
const IDLE_MS = 300;

describe('hostile uploads and streams at the gateway', () => {
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

  const upload = (body: Buffer, o: { chunks?: Buffer[]; length?: number; after?: 'end' | 'reset' | 'wait'; gapMs?: number } = {}) =>
    rawHttp(base, {
      method: 'POST',
      path: '/api/v1/documents',
      headers: { ...multipartHeaders('mnd_admin', o.length ?? body.length), connection: 'close' },
      chunks: o.chunks ?? [body],
      after: o.after,
      gapMs: o.gapMs,
    });
  const stillServing = async () => {
    expect((await fetch(`${base}/api/v1/healthz`)).status).toBe(200);
    expect(rpc.sent.filter((s) => s.pattern === patterns.documentUpload)).toEqual([]);
    expect(puts).toEqual([]);
  };
  const issuePath = (body: string) => (JSON.parse(body) as { issues?: { path: string }[] }).issues?.[0]?.path;
  const form = fc
    .record({
      title: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => t.trim().length > 0),
      content: fc.uint8Array({ minLength: 1, maxLength: 4096 }),
    })
    .map(({ title, content }) =>
      multipartBody([
        { name: 'title', value: title },
        { name: 'file', filename: 'leak.txt', value: Buffer.from(content) },
      ]),
    );

  it('answers 400 to a multipart body that ends before its closing boundary, however it is cut and delivered', async () => {
    const closing = Buffer.byteLength(`--${BOUNDARY}--`);
    const cut = form
      .chain((body) => fc.nat({ max: body.length - closing - 3 }).map((at) => body.subarray(0, at)))
      .chain((body) => splitRandomly(body).map((chunks) => ({ body, chunks })));
    await fc.assert(
      fc.asyncProperty(cut, async ({ body, chunks }) => {
        const res = await upload(body, { chunks });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }),
      runs(60),
    );
    await stillServing();
  });

  it('survives clients that reset the connection at any point of the body, and serves the next request', async () => {
    const aborted = form.chain((body) => fc.nat({ max: body.length - 1 }).map((at) => ({ body, sent: body.subarray(0, at) })));
    await fc.assert(
      fc.asyncProperty(aborted, async ({ body, sent }) => {
        const res = await upload(sent, { length: body.length, after: 'reset' });
        expect(res.status === null || (res.status >= 400 && res.status < 500)).toBe(true);
        expect((await fetch(`${base}/api/v1/healthz`)).status).toBe(200);
      }),
      runs(60),
    );
    await stillServing();
  });

  it('answers 413 to a file over the limit, whether declared or only sent', async () => {
    const big = multipartBody([{ name: 'file', filename: 'big.bin', value: Buffer.alloc(MAX_UPLOAD + 1, 7) }]);
    expect((await upload(big)).status).toBe(413);
    const declared = await upload(big.subarray(0, 100), { length: MAX_UPLOAD * 10, after: 'wait' });
    expect(declared.status).toBe(413);
    await stillServing();
  });

  it('answers 408 and closes the connection when an upload goes silent', async () => {
    const body = multipartBody([{ name: 'file', filename: 'slow.txt', value: 'slow' }]);
    const res = await upload(body.subarray(0, 20), { length: body.length, after: 'wait' });
    expect(res.status).toBe(408);
    expect(res.headers.connection).toBe('close');
    await stillServing();
  });

  it('answers 400 naming the field for a NUL or bytes that are not UTF-8 in a form field or the file name, and for a non-http source_url', async () => {
    const cases = fc
      .tuple(fc.constantFrom('title', 'source_url', 'filename'), unstorableBytes)
      .map(([field, bad]): { parts: FormPart[]; field: string } => ({
        field,
        parts:
          field === 'filename'
            ? [{ name: 'file', filename: bad, value: 'x' }]
            : [
                { name: field, value: field === 'source_url' ? Buffer.concat([Buffer.from('https://example.org/'), bad]) : bad },
                { name: 'file', filename: 'a.txt', value: 'x' },
              ],
      }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ parts, field }) => {
        const res = await upload(multipartBody(parts));
        // a NUL byte inside a part's header makes the header itself unreadable: the body is named
        const inHeader = field === 'filename' && (parts[0]?.filename as Buffer).includes(0);
        expect([res.status, issuePath(res.body)]).toEqual([400, inHeader ? 'body' : field]);
      }),
      runs(40),
    );
    const encoded = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''a%00b.txt\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
    );
    const nulName = await upload(encoded);
    expect([nulName.status, issuePath(nulName.body)]).toEqual([400, 'filename']);
    for (const url of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd']) {
      const res = await upload(
        multipartBody([
          { name: 'source_url', value: url },
          { name: 'file', filename: 'a.txt', value: 'x' },
        ]),
      );
      expect([res.status, issuePath(res.body)]).toEqual([400, 'source_url']);
      const asJson = await fetch(`${base}/api/v1/documents`, {
        method: 'POST',
        headers: { authorization: 'Bearer mnd_admin', 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x', source_url: url }),
      });
      expect([asJson.status, issuePath(await asJson.text())]).toEqual([400, 'source_url']);
    }
    const nulJson = await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: 'Bearer mnd_admin', 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'x', title: 'a\u0000b' }),
    });
    expect([nulJson.status, issuePath(await nulJson.text())]).toEqual([400, 'title']);
    await stillServing();
  });

  it('still accepts a well-formed upload, its UTF-8 title and file name intact', async () => {
    const res = await upload(
      multipartBody([
        { name: 'title', value: 'Straße 日本 👩‍👩‍👧' },
        { name: 'source_url', value: 'https://example.org/a' },
        { name: 'file', filename: 'Bericht über 日本.txt', value: 'Acme paid.' },
      ]),
    );
    expect(res.status).toBe(202);
    const sent = rpc.sent.filter((s) => s.pattern === patterns.documentUpload);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toMatchObject({
      title: 'Straße 日本 👩‍👩‍👧',
      filename: 'Bericht über 日本.txt',
      source_url: 'https://example.org/a',
    });
    expect(puts).toHaveLength(1);
  });

  it('keeps serving when clients leave server-sent event streams at any moment', async () => {
    const id = randomUUID();
    let polls = 0;
    rpc.state.respond = (pattern): RpcReply => {
      if (pattern === patterns.messagePost)
        return { ok: true, value: { id, role: 'assistant', content: 'word '.repeat(50_000), citations: [] } };
      if (pattern === patterns.documentGet && ++polls > 0)
        return { ok: true, value: { id, status: 'processing', updated_at: new Date().toISOString() } };
      return { ok: true, value: {} };
    };
    const body = Buffer.from(JSON.stringify({ content: 'Who paid?', stream: true }));
    for (let i = 0; i < 10; i++) {
      await rawHttp(base, {
        method: 'POST',
        path: `/api/v1/chat/conversations/${id}/messages`,
        chunks: [body],
        after: 'reset-on-answer',
        headers: {
          authorization: 'Bearer mnd_admin',
          'content-type': 'application/json',
          'content-length': String(body.length),
          accept: 'text/event-stream',
        },
      });
      await rawHttp(base, {
        method: 'GET',
        path: `/api/v1/documents/${id}/status`,
        headers: { authorization: 'Bearer mnd_admin' },
        after: 'reset-on-answer',
      });
    }
    expect((await fetch(`${base}/api/v1/healthz`)).status).toBe(200);
  });
});
