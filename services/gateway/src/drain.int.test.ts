import { randomUUID } from 'node:crypto';
import { rpc as patterns } from '@mandant/contracts';
import { eventually } from '@mandant/shared/testing';
import { describe, expect, it } from 'vitest';
import { start } from './gateway.fixture.ts';

const DOC = randomUUID();
const processing = { id: DOC, status: 'processing', failure: null, chunk_count: 0, entity_count: 0, updated_at: new Date().toISOString() };

describe('the gateway drains when it closes', () => {
  it('turns /readyz 503 draining, ends status streams with timeout, refuses new connections and answers the request in flight', async () => {
    const g = await start({ statusStreams: { pollMs: 20 } });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    g.rpc.state.respond = async (pattern) => {
      if (pattern === patterns.documentGet) return { ok: true, value: processing };
      await held;
      return { ok: true, value: { items: [], next_cursor: null } };
    };
    const auth = { authorization: 'Bearer mnd_admin' };

    // a status stream, open and past its first event
    const stream = await fetch(`${g.base}/documents/${DOC}/status`, { headers: auth });
    expect(stream.status).toBe(200);
    const streamText = stream.text();
    // a request whose service has not answered yet
    const sentBefore = g.rpc.sent.length;
    const inFlight = fetch(`${g.base}/projects`, { headers: auth });
    await eventually(
      () => g.rpc.sent.slice(sentBefore).some((s) => s.pattern !== patterns.documentGet),
      'the request in flight at its service',
    );

    const closed = g.gateway.close();
    const ready = await eventually(async () => {
      const res = await fetch(`${g.health}/readyz`);
      return res.status === 503 && ((await res.json()) as { status: string });
    }, '/readyz answering 503');
    expect(ready.status).toBe('draining');

    // the stream ends on its own, telling the client to open another elsewhere
    expect((await streamText).trimEnd().split('\n\n').at(-1)).toMatch(/^event: timeout\ndata: .*"status":"processing"/);
    // no new connection is taken
    await expect(fetch(`${g.base}/projects`, { headers: auth })).rejects.toThrow();

    // the request in flight still gets its answer, and only then does close() finish
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toEqual({ items: [], next_cursor: null });
    await closed;
    await expect(fetch(`${g.health}/readyz`)).rejects.toThrow();
  });

  it('cuts what is still in flight after drainMs', async () => {
    const g = await start({ drainMs: 50 });
    g.rpc.state.respond = () => new Promise(() => {});
    const inFlight = fetch(`${g.base}/projects`, { headers: { authorization: 'Bearer mnd_admin' } });
    await eventually(() => g.rpc.sent.length > 0, 'the request at its service');
    await g.gateway.close();
    await expect(inFlight).rejects.toThrow();
  });
});
