import { randomUUID } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { type RpcReply, rpc as patterns } from '@mandant/contracts';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mandant/shared/log';
import { createMemoryBlobStore } from '@mandant/shared/stores/blobs';
import { type Gateway, createGateway } from './app.ts';
import { JWT_SECRET, OPERATOR, fakeRpc } from './gateway.fixture.ts';
import { multipartBody, multipartHeaders, rawHttp } from './hostile.fixture.ts';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';

// Each upload is held in memory while it is read: a tenant may have only so many in flight on a
// gateway process, and all tenants together only so many more, before any byte of the next is read.
describe('uploads in flight on one gateway process', () => {
  let gateway: Gateway;
  let base = '';
  const rpc = fakeRpc();
  beforeAll(async () => {
    gateway = await createGateway({
      config: {
        operatorToken: OPERATOR,
        jwt: { hs256Secret: JWT_SECRET, issuer: 'test-idp' },
        singleTenantPrincipal: null,
        bodyLimitBytes: 1024 * 1024,
        uploads: { blobs: createMemoryBlobStore(), maxBytes: 64 * 1024, inFlightPerTenant: 2, inFlight: 3 },
        timeouts: { uploadIdleMs: 60_000 },
      },
      rpc: rpc.client,
      log: createLogger({ level: 'silent' }),
      ready: async () => ({ ok: true, checks: {} }),
    });
    base = await gateway.listen(0, '127.0.0.1');
    rpc.state.respond = (pattern): RpcReply =>
      pattern === patterns.documentUpload
        ? { ok: true, value: { id: randomUUID(), status: 'uploaded', duplicate: false, project_ids: [] } }
        : { ok: true, value: { done: true } };
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const body = () => multipartBody([{ name: 'file', filename: 'note.txt', value: Buffer.from(`note ${randomUUID()}`) }]);
  const otherTenant = async () =>
    `Bearer ${await new SignJWT({ tenant_id: randomUUID(), roles: ['tenant_admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer('test-idp')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET))}`;

  /** An upload whose first half is sent at once and the rest only on `finish`, with its answer. */
  function held(authorization: string) {
    const bytes = body();
    const headers = { ...multipartHeaders('x', bytes.length), authorization };
    let req: ClientRequest | undefined;
    const answer = new Promise<number>((resolve, reject) => {
      req = request(`${base}/api/v1/documents`, { method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(bytes.subarray(0, bytes.length >> 1));
    });
    return { answer, finish: () => req?.end(bytes.subarray(bytes.length >> 1)) };
  }
  const whole = async (authorization: string) => {
    const bytes = body();
    const res = await fetch(`${base}/api/v1/documents`, {
      method: 'POST',
      headers: { ...multipartHeaders('x', bytes.length), authorization },
      body: bytes,
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as { type?: string },
    };
  };
  /** Resolves once the gateway is reading `n` more uploads (each has been authenticated and started). */
  const reading = (before: number, n: number) =>
    eventually(() => rpc.authCalls() >= before + n, `${n} more uploads to start`, SETTLE_MS, 10);

  it("answers 429 too-many-uploads past a tenant's bound, 503 past the process's, and admits again as uploads finish", async () => {
    const mine = 'Bearer mnd_admin';
    const theirs = await otherTenant();
    const start = rpc.authCalls();
    const a = [held(mine), held(mine)];
    await reading(start, 2);
    const refused = await whole(mine);
    expect(refused.status).toBe(429);
    expect(refused.type).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toMatch(/too-many-uploads$/);
    expect(refused.retryAfter).toBe('5');
    // another tenant still has a place: the third and last of the process
    const b = held(theirs);
    await reading(start, 4);
    const busy = await whole(await otherTenant());
    expect(busy.status).toBe(503);
    for (const h of [...a, b]) h.finish();
    expect(await Promise.all([...a, b].map((h) => h.answer))).toEqual([202, 202, 202]);
    expect((await whole(mine)).status).toBe(202);
  });

  it('gives a place back at once when its client reset even before authentication ended (not after the idle timeout)', async () => {
    const theirs = await otherTenant();
    let release = () => {};
    const authenticated = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answerJwt = rpc.state.authJwt;
    rpc.state.authJwt = async (input) => {
      await authenticated;
      return answerJwt(input);
    };
    try {
      const start = rpc.authCalls();
      const resets = Array.from({ length: 4 }, (_, i) => {
        const bytes = body();
        return rawHttp(base, {
          method: 'POST',
          path: '/api/v1/documents',
          headers: { ...multipartHeaders('x', bytes.length), authorization: theirs },
          chunks: [bytes.subarray(0, i * 10)],
          after: 'reset',
        });
      });
      // every client has gone while the gateway still waited on its credentials
      await Promise.all(resets);
      await reading(start, 4);
      release();
    } finally {
      rpc.state.authJwt = answerJwt;
    }
    // the idle timeout is a minute here: before it (so not by it), the tenant's places must be free
    // again; this deadline is the assertion
    const statuses = await eventually(
      async () => {
        const answered = (await Promise.all([whole(theirs), whole(theirs)])).map((r) => r.status);
        return answered.some((s) => s === 429) ? undefined : answered;
      },
      "the tenant's upload places to be free again before the idle timeout",
      50_000,
    );
    expect(statuses).toEqual([202, 202]);
  });
});
