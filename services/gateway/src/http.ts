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
