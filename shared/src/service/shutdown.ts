import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import { flushTelemetry } from '../telemetry/tracing.ts';

/**
 * How long a process may take to drain once asked to stop: below the 30 s Kubernetes waits
 * between SIGTERM and SIGKILL, so an unfinished drain still ends in a logged exit of our own.
 */
export const DRAIN_BOUND_MS = 25_000;

/**
 * Runs `stop` once on SIGINT or SIGTERM, exports the spans still buffered (telemetry/sdk.ts),
 * then exits: 0 when it finished, 1 when it failed or
 * did not finish within `boundMs` (what it held then is handed back by the transports: an
 * unacknowledged message is redelivered, an unanswered request times out at its caller).
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>, opts: { boundMs?: number } = {}): void {
  const boundMs = opts.boundMs ?? DRAIN_BOUND_MS;
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, bound_ms: boundMs }, 'shutting down');
      const bound = setTimeout(() => {
        log.error({ bound_ms: boundMs }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      }, boundMs);
      bound.unref();
      stop().then(
        () => void flushTelemetry().finally(() => process.exit(0)),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          void flushTelemetry().finally(() => process.exit(1));
        },
      );
    });
  }
}

/**
 * Stops `server` taking connections and resolves once every request in flight was answered: the
 * listening socket closes at once (a new connection is refused), idle keep-alive connections are
 * closed, and a busy one is closed after its response, which tells the client so (or, when its
 * headers were sent already, as soon as the response is done).
 */
export function drainHttp(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const closing = (res: ServerResponse): void => {
      if (!res.headersSent) res.setHeader('connection', 'close');
      // too late to say so (a stream, say): its connection is closed once the response is done
      else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    };
    // a request still arriving on a kept-alive connection is answered, and its connection closed
    server.on('request', (_req, res) => closing(res));
    for (const res of inFlight(server).values()) closing(res);
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}

const responses = new WeakMap<Server, Map<object, ServerResponse>>();

/** The responses `server` has not finished, tracked once `trackInFlight` was called on it. */
function inFlight(server: Server): Map<object, ServerResponse> {
  return responses.get(server) ?? new Map<object, ServerResponse>();
}

/**
 * Tracks the responses in flight on `server`, so a drain can mark them `connection: close`
 * before they are sent (headers written by then are left as they are). Call before it listens.
 */
export function trackInFlight(server: Server): Server {
  const open = new Map<object, ServerResponse>();
  responses.set(server, open);
  server.on('request', (req, res) => {
    open.set(req, res);
    res.on('close', () => open.delete(req));
  });
  return server;
}
