import { randomUUID } from 'node:crypto';
import type { RequestMeta } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import type { Caller } from './auth.ts';
import { type HttpRequest, type HttpResponse, type Middleware, header } from './http.ts';
import type { HttpMetrics } from './metrics.ts';
import { ProblemError } from './problem.ts';
import { isUploadRequest } from './routes.ts';

/** What the gateway learns about a request as it passes through; kept on `res.locals`. */
export interface RequestState {
  meta: RequestMeta;
  startedAt: bigint;
  /** the route template (e.g. `/api/v1/projects/:id`), set once a route matched: a bounded metrics label */
  route: string | null;
  caller: Caller | null;
  /** the project the request addresses by path, for the log line */
  projectId: string | null;
}

const STATE = 'mandant';
const CORRELATION_HEADER = 'X-Correlation-Id';
// Echoed in a response header and copied into events: keep it to a safe, bounded alphabet.
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export function stateOf(res: HttpResponse): RequestState {
  const state = res.locals[STATE] as RequestState | undefined;
  if (state) return state;
  // Only reached if an error fires before the first middleware ran.
  const fresh: RequestState = {
    meta: { correlation_id: randomUUID(), traceparent: null },
    startedAt: process.hrtime.bigint(),
    route: null,
    caller: null,
    projectId: null,
  };
  res.locals[STATE] = fresh;
  return fresh;
}

/** Builds the request's tracing metadata and echoes the correlation id back. */
export function requestContext(): Middleware {
  return (req, res, next) => {
    const given = header(req, CORRELATION_HEADER);
    const traceparent = header(req, 'traceparent');
    const state: RequestState = {
      meta: {
        // `idem-…` is reserved for the ids derived from an Idempotency-Key (idempotency.ts)
        correlation_id: given && CORRELATION_ID.test(given) && !given.startsWith('idem-') ? given : randomUUID(),
        traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : null,
      },
      startedAt: process.hrtime.bigint(),
      route: null,
      caller: null,
      projectId: null,
    };
    res.locals[STATE] = state;
    res.setHeader(CORRELATION_HEADER, state.meta.correlation_id);
    next();
  };
}

/** Counts, times and logs every request once it is answered. Bodies and credentials are never logged. */
export function observeRequests(metrics: HttpMetrics, log: Logger): Middleware {
  return (req, res, next) => {
    res.on('finish', () => {
      const state = stateOf(res);
      const seconds = Number(process.hrtime.bigint() - state.startedAt) / 1e9;
      const route = state.route ?? 'unmatched';
      const tenant =
        state.caller?.kind === 'tenant' ? state.caller.principal.tenant_id : state.caller?.kind === 'operator' ? 'operator' : 'none';
      const status = res.statusCode;
      metrics.requests.inc({ method: req.method, route, status: String(status), tenant });
      metrics.duration.observe({ method: req.method, route }, seconds);
      metrics.tenantSeconds.inc({ tenant }, seconds);
      if (status === 401) metrics.unauthorized.inc();
      log.info(
        {
          tenant_id: state.caller?.kind === 'tenant' ? state.caller.principal.tenant_id : null,
          project_id: state.projectId ?? projectInPath(state.route, req.originalUrl),
          correlation_id: state.meta.correlation_id,
          method: req.method,
          route,
          status,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
    });
    next();
  };
}

/** The project a `/projects/:id/…` route addresses, for routes served by their own endpoint (uploads, chat). */
function projectInPath(route: string | null, url: string | undefined): string | null {
  if (!route?.startsWith('/api/v1/projects/:id')) return null;
  return /^\/api\/v1\/projects\/([0-9a-f-]{36})(?:[/?]|$)/i.exec(url ?? '')?.[1] ?? null;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** The media type of a request without its parameters, lower-cased; null when absent. */
export function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}

export function isJsonMediaType(header: string | undefined): boolean {
  const type = mediaType(header);
  return type !== null && JSON_TYPE.test(type);
}

function hasBody(req: HttpRequest): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
}

/** Writes carry JSON or nothing: any other body is refused before it is read (415). */
export function requireJsonBodies(): Middleware {
  return (req, _res, next) => {
    if (
      (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') &&
      hasBody(req) &&
      !isJsonMediaType(header(req, 'content-type')) &&
      !isUploadRequest(req.method, req.originalUrl)
    ) {
      next(new ProblemError('media_type.unsupported', 'send the body as application/json'));
      return;
    }
    next();
  };
}
