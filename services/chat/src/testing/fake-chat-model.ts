import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers next: the deltas of its `/chat/completions` stream and how it sends them. */
export interface FakeChatScript {
  /** the `delta.content` pieces, in order */
  deltas: string[];
  /** before the first delta */
  firstDelayMs?: number;
  /** between deltas */
  delayMs?: number;
  /** hold the last delta (and `[DONE]`) until `release()` */
  holdLast?: boolean;
  /** cut the connection after this many deltas, without `[DONE]` */
  breakAfter?: number;
  /** answer this HTTP status with a JSON error instead of a stream */
  status?: number;
}

export interface FakeChatModel {
  /** the API root to configure as `CHAT_URL`, e.g. http://127.0.0.1:41234/v1 */
  url: string;
  /** the parsed bodies of the requests received */
  requests: {
    authorization: string | undefined;
    body: { model?: string; stream?: boolean; messages?: { role: string; content: string }[] };
  }[];
  /** deltas written so far, over all requests */
  readonly sent: number;
  /** requests whose client went away before the answer ended */
  readonly aborted: number;
  /** requests answered to the end (`[DONE]` written) */
  readonly completed: number;
  /** what the following requests get (a held last delta waits for a new `release`) */
  script(next: FakeChatScript): void;
  /** lets held last deltas go, now and until the next `script` */
  release(): void;
  close(): Promise<void>;
}

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
const pause = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * An OpenAI-compatible chat completions server for tests and benchmarks (node:http, port 0):
 * `POST /v1/chat/completions` with `stream: true` answers server-sent `data:` events with one
 * `delta.content` each, then `data: [DONE]`; without it, one JSON completion. The script sets
 * the pieces, their pacing, a held last piece (to prove a client saw text before the answer
 * was complete), a cut connection or an HTTP error.
 */
export async function startFakeChatModel(initial: FakeChatScript = { deltas: ['Hello', ' world.'] }): Promise<FakeChatModel> {
  let current = initial;
  let sent = 0;
  let aborted = 0;
  let completed = 0;
  let release: () => void = () => {};
  let held = new Promise<void>((r) => (release = r));
  const requests: FakeChatModel['requests'] = [];

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const raw: Buffer[] = [];
    for await (const part of req) raw.push(part as Buffer);
    const body = JSON.parse(Buffer.concat(raw).toString('utf8') || '{}') as FakeChatModel['requests'][number]['body'];
    requests.push({ authorization: req.headers.authorization, body });
    const script = current;
    if (script.status) {
      res.writeHead(script.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'scripted failure' } }));
      return;
    }
    if (!body.stream) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: script.deltas.join('') } }] }));
      completed++;
      return;
    }
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        gone = true;
        aborted++;
      }
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await pause(script.firstDelayMs ?? 0);
    for (const [i, delta] of script.deltas.entries()) {
      if (gone) return;
      if (script.breakAfter !== undefined && i >= script.breakAfter) {
        // what was written reaches the client first (a FIN, not a reset), then the body stops mid-stream
        await new Promise<void>((r) => res.write('', () => r()));
        res.socket?.end();
        return;
      }
      if (i > 0) await pause(script.delayMs ?? 0);
      if (script.holdLast && i === script.deltas.length - 1) await held;
      if (gone) return;
      res.write(chunk(delta));
      sent++;
    }
    res.end('data: [DONE]\n\n');
    completed++;
  }

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get sent() {
      return sent;
    },
    get aborted() {
      return aborted;
    },
    get completed() {
      return completed;
    },
    script(next) {
      current = next;
      held = new Promise<void>((r) => (release = r));
    },
    release() {
      release();
    },
    async close() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
