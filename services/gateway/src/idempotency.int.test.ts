import { rpc as patterns } from '@mandant/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR, start } from './gateway.fixture.ts';

// The gateway's half of Idempotency-Key, against a recording stub of the services: what it
// forwards, what it refuses before forwarding, and how it answers a replayed reply.
describe('Idempotency-Key at the gateway', () => {
  let g: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    g = await start();
  });
  afterAll(async () => {
    await g.gateway.close();
  });
  const last = () => g.rpc.sent.at(-1);

  it('forwards a POST with its key as idempotency meta (never the key), and the derived correlation id', async () => {
    const res = await g.call('POST', '/projects', {
      token: 'mnd_admin',
      body: { name: 'P' },
      headers: { 'idempotency-key': 'secret-key-1' },
    });
    expect(res.status).toBe(201);
    const sent = last();
    expect(sent?.pattern).toBe(patterns.projectCreate);
    expect(sent?.meta.idempotency).toMatchObject({
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(sent)).not.toContain('secret-key-1');
    expect(sent?.meta.correlation_id).toBe(`idem-${sent?.meta.idempotency?.key.slice(0, 32)}`);
    expect(res.headers.get('x-correlation-id')).toBe(sent?.meta.correlation_id);
  });

  it('sends the same meta for the same request, another fingerprint for another body', async () => {
    await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P', description: 'd' }, headers: { 'idempotency-key': 'k2' } });
    const a = last()?.meta.idempotency;
    await g.call('POST', '/projects', { token: 'mnd_admin', body: { description: 'd', name: 'P' }, headers: { 'idempotency-key': 'k2' } });
    expect(last()?.meta.idempotency).toEqual(a);
    await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'Q', description: 'd' }, headers: { 'idempotency-key': 'k2' } });
    expect(last()?.meta.idempotency?.key).toBe(a?.key);
    expect(last()?.meta.idempotency?.fingerprint).not.toBe(a?.fingerprint);
  });

  it('refuses a malformed key with 400 naming the header, and forwards nothing', async () => {
    const before = g.rpc.sent.length;
    for (const bad of ['a b', 'x'.repeat(256), 'ä']) {
      const res = await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P' }, headers: { 'idempotency-key': bad } });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('https://mandant.dev/problems/idempotency-key-invalid');
      expect(res.body.detail).toMatch(/^Idempotency-Key:/);
    }
    expect(g.rpc.sent.length).toBe(before);
  });

  it('ignores the header on other methods and forwards no idempotency meta without it', async () => {
    await g.call('GET', '/projects', { token: 'mnd_admin', headers: { 'idempotency-key': 'a b' } });
    expect(last()?.meta.idempotency).toBeUndefined();
    await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P' } });
    expect(last()?.meta.idempotency).toBeUndefined();
    expect(last()?.meta.correlation_id).not.toMatch(/^idem-/);
  });

  it('does not let a client choose a correlation id in the reserved idem- space', async () => {
    const res = await g.call('GET', '/projects', {
      token: 'mnd_admin',
      headers: { 'x-correlation-id': 'idem-0123456789abcdef0123456789abcdef' },
    });
    expect(res.headers.get('x-correlation-id')).not.toMatch(/^idem-/);
  });

  it('answers a replayed reply as the first, with Idempotent-Replayed: true, refusals included', async () => {
    g.rpc.state.respond = () => ({ ok: true, value: { id: 'p1' }, replayed: true });
    const ok = await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P' }, headers: { 'idempotency-key': 'k3' } });
    expect([ok.status, ok.body, ok.headers.get('idempotent-replayed')]).toEqual([201, { id: 'p1' }, 'true']);
    g.rpc.state.respond = () => ({ ok: false, error: { code: 'slug.taken', message: 'taken', details: {} }, replayed: true });
    const refused = await g.call('POST', '/projects', { token: 'mnd_admin', body: { name: 'P' }, headers: { 'idempotency-key': 'k3' } });
    expect([refused.status, refused.headers.get('idempotent-replayed')]).toEqual([409, 'true']);
    g.rpc.state.respond = () => ({ ok: false, error: { code: 'idempotency.in_progress', message: 'later', details: {} } });
    const busy = await g.call('POST', '/tenants', {
      token: OPERATOR,
      body: { name: 'T', slug: 'tenant-t' },
      headers: { 'idempotency-key': 'k4' },
    });
    expect([busy.status, busy.headers.get('retry-after'), busy.headers.get('idempotent-replayed')]).toEqual([409, '1', null]);
    g.rpc.state.respond = () => ({ ok: true, value: { done: true } });
  });

  it('lists the header and the 422 on every POST but the chat message in openapi.json', async () => {
    const doc = (await g.call('GET', '/openapi.json')).body;
    const post = doc.paths['/projects'].post;
    expect(post.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(post.responses['422']).toBeDefined();
    expect(post.responses['201'].headers['Idempotent-Replayed']).toBeDefined();
    expect(doc.paths['/projects'].get.parameters ?? []).not.toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(doc.paths['/chat/conversations/{id}/messages'].post.parameters).not.toContainEqual({
      $ref: '#/components/parameters/IdempotencyKey',
    });
    expect(doc.components.parameters.IdempotencyKey.in).toBe('header');
  });
});
