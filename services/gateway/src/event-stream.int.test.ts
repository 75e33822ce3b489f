import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventStream, type HttpResponse, openEventStream } from './http.ts';
import { rawHttp } from './hostile.fixture.ts';
import { SETTLE_MS, eventually } from '@mandant/shared/testing';

/** Resolves once `check` holds, polling. */
const until = (check: () => boolean, what: string): Promise<true> => eventually(() => check(), what, SETTLE_MS, 10);

// A server-sent event stream whose client left: `closed` turns true, and sending, keeping
// alive and ending afterwards neither throw nor leave an unheard 'error' event.
describe('server-sent event stream', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(null));
  });

  let requestClosed = false;
  const serve = async (onStream: (events: EventStream) => void) => {
    requestClosed = false;
    server = createServer((req, res) => {
      // the body is read to its end, as the JSON parser does before a chat answer streams
      req.on('close', () => {
        requestClosed = true;
      });
      req.resume();
      const shaped = Object.assign(res, {
        status: (code: number) => {
          res.statusCode = code;
          return shaped;
        },
      }) as unknown as HttpResponse;
      onStream(openEventStream(req, shaped));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('reports closed once the client resets, and drops every later write', async () => {
    let stream: EventStream | undefined;
    const base = await serve((events) => {
      stream = events;
      events.send('status', { status: 'processing' });
    });
    const answer = await rawHttp(base, { method: 'GET', path: '/status', headers: { connection: 'close' }, after: 'reset-on-answer' });
    expect(answer.status).toBe(200);
    await until(() => stream?.closed === true, 'the stream to notice its client left');
    const events = stream as EventStream;
    for (let i = 0; i < 100; i++) events.send('status', { status: 'processing', i });
    events.keepAlive();
    events.end();
    events.end();
    expect(events.closed).toBe(true);
  });

  it('stays open for a client that stays, even after the request itself has ended', async () => {
    let stream: EventStream | undefined;
    const base = await serve((events) => {
      stream = events;
      events.send('token', { text: 'a' });
    });
    const reading = rawHttp(base, {
      method: 'POST',
      path: '/chat',
      headers: { 'content-length': '2', 'content-type': 'application/json', connection: 'close' },
      chunks: [Buffer.from('{}')],
      after: 'wait',
    });
    await until(() => stream !== undefined && requestClosed, 'the stream to open and its request to close');
    const events = stream as EventStream;
    expect(events.closed).toBe(false);
    events.send('done', { ok: true });
    events.end();
    const answer = await reading;
    expect(answer.body).toContain('event: done');
  });
});
