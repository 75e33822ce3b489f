import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RpcClient, type RpcStreamEvent, type RpcStreamOptions, RpcStreamError } from '@mandant/shared/rpc';
import { eventually } from '@mandant/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMessageEndpoint } from './chat.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { toProblem } from './problem.ts';
import { apiRoutes } from './routes.ts';

const route = apiRoutes.find((r) => r.handler === 'chat-message');
const principal = { tenant_id: randomUUID(), user_id: randomUUID(), tenant_role: 'member' as const, actor: 'user:test' };

/** What the fake chat service streams next: events, or an error thrown after them. */
let script: { events: RpcStreamEvent<unknown>[]; thenThrow?: Error; thenHang?: boolean } = { events: [] };
const signals: AbortSignal[] = [];

const rpc: RpcClient = {
  request: async () => ({ ok: false, error: { code: 'internal', message: 'not used', details: {} } }),
  async *stream<T>(_pattern: string, _req: unknown, opts?: RpcStreamOptions): AsyncGenerator<RpcStreamEvent<T>> {
    if (opts?.signal) signals.push(opts.signal);
    for (const e of script.events) yield e as RpcStreamEvent<T>;
    if (script.thenThrow) throw script.thenThrow;
    if (script.thenHang)
      await new Promise((_r, reject) => opts?.signal?.addEventListener('abort', () => reject(new RpcStreamError('stopped'))));
  },
  close: async () => {},
};

/** The endpoint behind a bare node:http server, with the few Express members it uses and the gateway's problem answer. */
function serve(): Server {
  if (!route) throw new Error('no chat-message route');
  const endpoint = chatMessageEndpoint(route, rpc);
  return createServer((rawReq: IncomingMessage, rawRes: ServerResponse) => {
    let body = '';
    rawReq.on('data', (c: Buffer) => (body += c.toString()));
    rawReq.on('end', () => {
      const req = Object.assign(rawReq, {
        originalUrl: rawReq.url ?? '',
        params: { id: (rawReq.url ?? '').split('/')[3] },
        query: {},
        body: JSON.parse(body || '{}') as unknown,
      }) as HttpRequest;
      const res = Object.assign(rawRes, {
        locals: { mandant: { meta: { correlation_id: 'chat-test', traceparent: null }, caller: { kind: 'tenant', principal } } },
        status(code: number) {
          rawRes.statusCode = code;
          return res;
        },
        json(value: unknown) {
          rawRes.setHeader('content-type', 'application/json');
          rawRes.end(JSON.stringify(value));
          return res;
        },
        send(text: string) {
          rawRes.end(text);
          return res;
        },
      }) as HttpResponse;
      Promise.resolve(endpoint.handle(req, res)).catch((err: unknown) => {
        const problem = toProblem(err, { instance: req.originalUrl, correlationId: 'chat-test' });
        if (res.headersSent) return void res.end();
        res.writeHead(problem.status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(problem.body));
      });
    });
  });
}

const done = {
  id: randomUUID(),
  role: 'assistant',
  content: 'Acme paid 2.5 million [1].',
  created_at: new Date().toISOString(),
  citations: [],
  scope: 'project',
};

describe('the chat message endpoint streaming from the chat service', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = serve();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  const ask = (signal?: AbortSignal) =>
    fetch(`${base}/chat/conversations/${randomUUID()}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Who paid?', stream: true }),
      signal,
    });

  it('sends tokens as they come, then done with the message', async () => {
    script = {
      events: [
        { type: 'chunk', data: { text: 'Acme paid ' } },
        { type: 'chunk', data: { text: '2.5 million [1].' } },
        { type: 'end', reply: { ok: true, value: done } },
      ],
    };
    const res = await ask();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      `event: token\ndata: {"text":"Acme paid "}\n\nevent: token\ndata: {"text":"2.5 million [1]."}\n\nevent: done\ndata: ${JSON.stringify(done)}\n\n`,
    );
  });

  it('a refusal before the first token is a problem+json answer with its status', async () => {
    script = { events: [{ type: 'end', reply: { ok: false, error: { code: 'project.archived', message: 'archived', details: {} } } }] };
    const res = await ask();
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('a service that cannot be reached before the first token is a 503 problem', async () => {
    script = { events: [], thenThrow: new RpcStreamError('no service answers chat.message.post') };
    const res = await ask();
    expect(res.status).toBe(503);
  });

  it('a refusal or a broken transport after the first token ends the stream with event: error and a problem object', async () => {
    const cases: [typeof script, number][] = [
      [
        {
          events: [
            { type: 'chunk', data: { text: 'Acme ' } },
            { type: 'end', reply: { ok: false, error: { code: 'unavailable', message: 'model failed', details: {} } } },
          ],
        },
        503,
      ],
      [{ events: [{ type: 'chunk', data: { text: 'Acme ' } }], thenThrow: new RpcStreamError('stream frame 3 lost') }, 503],
    ];
    for (const [end, status] of cases) {
      script = end;
      const text = await (await ask()).text();
      const blocks = text.trim().split('\n\n');
      expect(blocks[0]).toBe('event: token\ndata: {"text":"Acme "}');
      expect(blocks[1]).toMatch(/^event: error\ndata: /);
      const problem = JSON.parse(blocks[1]?.split('data: ')[1] ?? '{}') as Record<string, unknown>;
      expect(problem).toMatchObject({ status, correlation_id: 'chat-test', type: expect.stringMatching(/service-unavailable$/) });
      expect(blocks).toHaveLength(2);
    }
  });

  it('a client that leaves aborts the stream it was reading', async () => {
    script = { events: [{ type: 'chunk', data: { text: 'Acme ' } }], thenHang: true };
    const leave = new AbortController();
    const res = await ask(leave.signal);
    const reader = res.body?.getReader();
    await reader?.read();
    const signal = signals.at(-1);
    expect(signal?.aborted).toBe(false);
    leave.abort();
    await eventually(() => signal?.aborted, 'the stream signal to abort when the client leaves');
  });
});
