import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The few members of Express's request and response the gateway uses, typed here so the
 * gateway does not depend on Express's type package. Express 5 provides all of them.
 */
export interface HttpRequest extends IncomingMessage {
  method: string;
  originalUrl: string;
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
  body?: unknown;
}

export interface HttpResponse extends ServerResponse {
  locals: Record<string, unknown>;
  status(code: number): this;
  json(body: unknown): this;
  send(body: string): this;
}

export type Next = (err?: unknown) => void;
export type Middleware = (req: HttpRequest, res: HttpResponse, next: Next) => void;

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A server-sent event stream on `res`: headers sent at once, `closed` once the client left or
 * the connection failed. Writes after that are dropped, never thrown: a client may leave at any
 * moment, and the loop feeding the stream checks `closed` to stop its work.
 */
export interface EventStream {
  send(event: string, data: unknown): void;
  /** a comment line, to keep idle connections open through proxies */
  keepAlive(): void;
  readonly closed: boolean;
  end(): void;
}

export function openEventStream(_req: IncomingMessage, res: HttpResponse): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  let closed = false;
  // the response's 'close', not the request's: a request whose body was read closes at once
  res.on('close', () => {
    closed = true;
  });
  res.on('error', () => {
    closed = true;
  });
  const write = (text: string) => {
    if (closed || res.writableEnded || res.destroyed) return;
    res.write(text);
  };
  return {
    send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    keepAlive: () => write(': keep-alive\n\n'),
    get closed() {
      return closed || res.destroyed;
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}
