import { randomUUID } from 'node:crypto';
import { rpc as patterns } from '@mandant/contracts';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './app.ts';
import { JWT_SECRET, start } from './gateway.fixture.ts';
import { SETTLE_MS } from '@mandant/shared/testing';

const DOC = randomUUID();
const processing = { id: DOC, status: 'processing', failure: null, chunk_count: 0, entity_count: 0, updated_at: new Date().toISOString() };
const jwtOf = (tenantId: string) =>
  new SignJWT({ tenant_id: tenantId, roles: ['tenant_admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(randomUUID())
    .setIssuer('test-idp')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));

/** Opens a status stream; a 200 is read up to its first event and stays open until `close`. */
async function open(base: string, token: string) {
  const ctl = new AbortController();
  const res = await fetch(`${base}/documents/${DOC}/status`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (res.status !== 200) return { status: res.status, res, body: (await res.json()) as Record<string, unknown>, close: () => ctl.abort() };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  return { status: res.status, res, body: null, close: () => ctl.abort() };
}

describe('document status streams', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close();
  });

  it('answers 429 with Retry-After past the streams a tenant may hold open, serves another tenant, and admits again once one closes', async () => {
    const g = await start({ statusStreams: { maxPerTenant: 2, pollMs: 20 } });
    gateway = g.gateway;
    g.rpc.state.respond = (pattern) => (pattern === patterns.documentGet ? { ok: true, value: processing } : { ok: true, value: null });
    const mine = await jwtOf(randomUUID());
    const held = [await open(g.base, mine), await open(g.base, mine)];
    expect(held.map((s) => s.status)).toEqual([200, 200]);
    const refused = await open(g.base, mine);
    expect(refused.status).toBe(429);
    expect(refused.res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.res.headers.get('retry-after')).toBe('5');
    expect(refused.body?.type).toMatch(/too-many-streams$/);
    // another tenant is not held to this one's streams
    const other = await open(g.base, await jwtOf(randomUUID()));
    expect(other.status).toBe(200);
    other.close();
    // a closed stream frees its place: the server notices the client left on its next poll
    held[0]?.close();
    const deadline = Date.now() + SETTLE_MS;
    let again = await open(g.base, mine);
    while (again.status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      again = await open(g.base, mine);
    }
    expect(again.status).toBe(200);
    again.close();
    held[1]?.close();
  });

  it('ends a stream that outlives its bound with a timeout event', async () => {
    const g = await start({ statusStreams: { maxMs: 150, pollMs: 20 } });
    gateway = g.gateway;
    g.rpc.state.respond = (pattern) => (pattern === patterns.documentGet ? { ok: true, value: processing } : { ok: true, value: null });
    const res = await fetch(`${g.base}/documents/${DOC}/status`, { headers: { authorization: `Bearer ${await jwtOf(randomUUID())}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: status');
    expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: timeout\ndata: .*"status":"processing"/);
  });
});
