import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '@mandant/shared/log';
import type { Middleware } from './http.ts';
import { ProblemError } from './problem.ts';

/**
 * Checks at the edge that keep hostile bytes from reaching anything that would answer 5xx or
 * silently change them: bodies that are not UTF-8, query strings that are not percent-encoded
 * UTF-8, connections that trickle, and stream errors nobody listens to.
 */

/** How long a client may take, per phase; see `applyServerTimeouts`. */
export interface EdgeTimeouts {
  /** the request line and headers must arrive within this (Node answers 408 and closes) */
  headersMs: number;
  /** the whole request, body included (Node answers 408 and closes) */
  requestMs: number;
  /** an upload that sends nothing for this long is answered 408 and closed */
  uploadIdleMs: number;
}

export const DEFAULT_EDGE_TIMEOUTS: EdgeTimeouts = { headersMs: 20_000, requestMs: 300_000, uploadIdleMs: 30_000 };

/**
 * Bounds how long one connection may hold the server: a client trickling headers or a body is
 * cut off instead of keeping a socket (and an upload buffer) forever. Node enforces the two
 * server limits on its connection check, so they hold within a second of the figure given.
 */
export function applyServerTimeouts(server: Server, t: EdgeTimeouts): void {
  server.headersTimeout = t.headersMs;
  server.requestTimeout = Math.max(t.requestMs, t.headersMs);
  server.keepAliveTimeout = 5_000;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser's verify hook: runs on the raw bytes before they are decoded, since the
 * decoder would turn invalid UTF-8 silently into U+FFFD. JSON is UTF-8 (RFC 8259); other
 * charsets are refused rather than decoded into strings no one checked.
 */
export function verifyUtf8Json(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding.toLowerCase() !== 'utf-8' && encoding.toLowerCase() !== 'utf8') {
    throw new ProblemError('media_type.unsupported', 'send the body as application/json in utf-8');
  }
  try {
    utf8.decode(buf);
  } catch {
    throw new ProblemError('json.malformed', 'the request body is not valid UTF-8');
  }
}

/**
 * Refuses (400) a query string that is not valid percent-encoded UTF-8: the query parser would
 * otherwise keep the raw text or substitute U+FFFD, and the input would not be what was sent.
 */
export function refuseMalformedQuery(): Middleware {
  return (req, _res, next) => {
    const url = req.url ?? '';
    const at = url.indexOf('?');
    if (at < 0) return next();
    for (const pair of url.slice(at + 1).split('&')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const bad = (part: string) => {
        try {
          decodeURIComponent(part.replace(/\+/g, ' '));
          return false;
        } catch {
          return true;
        }
      };
      if (bad(key) || (eq >= 0 && bad(pair.slice(eq + 1)))) {
        const name = bad(key) ? 'query' : key;
        next(
          new ProblemError('validation.failed', `${name}: not valid percent-encoded UTF-8`, {
            issues: [{ path: name, message: 'not valid percent-encoded UTF-8' }],
          }),
        );
        return;
      }
    }
    next();
  };
}

/**
 * Listens for errors on every request and response stream, so a client that resets its
 * connection mid-body or mid-answer ends that request only. The endpoint reading or writing
 * still sees the failure through its own handling; this keeps an 'error' event without a
 * listener from ending the process.
 */
export function listenForStreamErrors(log: Logger): Middleware {
  return (req, res, next) => {
    const note = (side: string) => (err: Error) => log.debug({ err, side, url: req.originalUrl?.split('?')[0] }, 'client stream error');
    req.on('error', note('request'));
    res.on('error', note('response'));
    next();
  };
}
