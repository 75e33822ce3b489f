import { HttpException } from '@nestjs/common';
import { RpcUnavailableError } from '@mandant/shared/rpc';

/**
 * Every error the HTTP API can answer, mapped in this one table to an RFC 9457 problem type.
 * Service codes (shared/src/errors.ts) and the gateway's own edge codes share the table, so a
 * code means the same status and `type` wherever it is raised. The `type` URIs are a public
 * contract: clients branch on them, so a slug never changes meaning.
 */
export const PROBLEM_BASE = 'https://mandant.dev/problems/';

interface ProblemKind {
  status: number;
  slug: string;
  title: string;
  retryAfter?: string;
}

const kinds: Record<string, ProblemKind> = {
  'validation.failed': { status: 400, slug: 'validation-failed', title: 'Invalid request' },
  'json.malformed': { status: 400, slug: 'malformed-json', title: 'Malformed JSON body' },
  bad_request: { status: 400, slug: 'bad-request', title: 'Bad request' },
  'idempotency.key_invalid': { status: 400, slug: 'idempotency-key-invalid', title: 'Invalid Idempotency-Key header' },
  unauthenticated: { status: 401, slug: 'unauthenticated', title: 'Authentication required' },
  forbidden: { status: 403, slug: 'forbidden', title: 'Forbidden' },
  csrf: { status: 403, slug: 'csrf', title: 'Cross-site request refused' },
  'quota.stored_bytes': { status: 403, slug: 'quota-stored-bytes', title: 'Stored bytes quota reached' },
  'quota.documents': { status: 403, slug: 'quota-documents', title: 'Documents quota reached' },
  not_found: { status: 404, slug: 'not-found', title: 'Not found' },
  'project.deleted': { status: 404, slug: 'project-deleted', title: 'Project deleted' },
  conflict: { status: 409, slug: 'conflict', title: 'Conflict' },
  'version.conflict': { status: 409, slug: 'version-conflict', title: 'Concurrent modification' },
  'slug.taken': { status: 409, slug: 'slug-taken', title: 'Slug already taken' },
  'email.taken': { status: 409, slug: 'email-taken', title: 'Email already taken' },
  'tenant.exists': { status: 409, slug: 'tenant-exists', title: 'Tenant already exists' },
  'project.archived': { status: 409, slug: 'project-archived', title: 'Project archived' },
  'idempotency.in_progress': {
    status: 409,
    slug: 'idempotency-in-progress',
    title: 'A request with this Idempotency-Key is in progress',
    retryAfter: '1',
  },
  'idempotency.reply_lost': { status: 409, slug: 'idempotency-reply-lost', title: 'Request applied, answer lost' },
  'idempotency.key_reused': { status: 422, slug: 'idempotency-key-reused', title: 'Idempotency-Key reused for another request' },
  'request.timeout': { status: 408, slug: 'request-timeout', title: 'Request timeout' },
  'payload.too_large': { status: 413, slug: 'payload-too-large', title: 'Request body too large' },
  'media_type.unsupported': { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  rate_limited: { status: 429, slug: 'rate-limited', title: 'Too many requests' },
  'streams.too_many': { status: 429, slug: 'too-many-streams', title: 'Too many open streams' },
  'uploads.too_many': { status: 429, slug: 'too-many-uploads', title: 'Too many uploads in flight' },
  internal: { status: 500, slug: 'internal-error', title: 'Internal server error' },
  unavailable: { status: 503, slug: 'service-unavailable', title: 'Service unavailable' },
};

/** The problem type URI of a code: the one place a code becomes a URI. */
export function problemType(code: string): string {
  return PROBLEM_BASE + (kinds[code] ?? internalKind).slug;
}

export function problemStatus(code: string): number {
  return (kinds[code] ?? internalKind).status;
}

const internalKind: ProblemKind = { status: 500, slug: 'internal-error', title: 'Internal server error' };

/** An expected failure raised at the edge or replied by a service: a code from the table above. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: { type: string; title: string; status: number; detail: string; instance: string; correlation_id: string } & Record<string, unknown>;
  /** why a 5xx happened, for the log only: never sent */
  cause: unknown;
}

/** Where the error happened: copied into the problem so a client report can be traced. */
export interface ProblemContext {
  instance: string;
  correlationId: string;
}

/** Maps anything thrown while serving a request to the problem sent back. Pure. */
export function toProblem(err: unknown, ctx: ProblemContext): Problem {
  const { code, detail, details } = classify(err);
  const known = kinds[code];
  const kind = known ?? internalKind;
  // A 5xx never echoes the underlying message: it may name hosts, tables or stack frames.
  const safeDetail = kind.status >= 500 ? genericDetail(kind.status) : detail;
  const headers: Record<string, string> = {};
  if (kind.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="mandant"';
  if (kind.status === 503) headers['Retry-After'] = '5';
  if (kind.retryAfter) headers['Retry-After'] = kind.retryAfter;
  return {
    status: kind.status,
    headers,
    body: {
      ...(kind.status >= 500 ? {} : details),
      type: PROBLEM_BASE + kind.slug,
      title: kind.title,
      status: kind.status,
      detail: safeDetail,
      instance: ctx.instance,
      correlation_id: ctx.correlationId,
    },
    cause: kind.status >= 500 || !known ? err : undefined,
  };
}

function genericDetail(status: number): string {
  return status === 503 ? 'a backing service did not answer in time; retry later' : 'internal error';
}

interface Classified {
  code: string;
  detail: string;
  details: Record<string, unknown>;
}

function classify(err: unknown): Classified {
  if (err instanceof ProblemError) return { code: err.code, detail: err.message, details: err.details };
  if (err instanceof RpcUnavailableError) return { code: 'unavailable', detail: '', details: {} };
  if (err instanceof HttpException) return classifyHttp(err);
  return { code: 'internal', detail: '', details: {} };
}

/** NestJS and the body parser report edge failures as HttpExceptions (the original error is their cause). */
function classifyHttp(err: HttpException): Classified {
  const status = err.getStatus();
  const cause = err.cause as { type?: unknown } | undefined;
  // the body parser's verify hook throws a ProblemError (edge-guards.ts): keep its code
  if (cause instanceof ProblemError) return { code: cause.code, detail: cause.message, details: cause.details };
  if (status === 404) return { code: 'not_found', detail: 'no such route', details: {} };
  if (status === 413) return { code: 'payload.too_large', detail: 'the request body exceeds the size limit', details: {} };
  if (status === 415) return { code: 'media_type.unsupported', detail: 'send the body as application/json (utf-8)', details: {} };
  if (status === 400 && (cause?.type === 'entity.parse.failed' || cause instanceof SyntaxError)) {
    return { code: 'json.malformed', detail: 'the request body is not valid JSON', details: {} };
  }
  if (status < 500) return { code: 'bad_request', detail: 'the request could not be understood', details: {} };
  return { code: 'internal', detail: '', details: {} };
}
