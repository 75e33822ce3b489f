/**
 * Expected outcomes are `DomainError`s with a stable `code` (the gateway maps codes to HTTP
 * problem types in one place). Infrastructure failures are named `Error` subclasses with `cause`.
 */
export type ErrorCode =
  | 'validation.failed'
  | 'not_found'
  | 'forbidden'
  | 'unauthenticated'
  | 'conflict'
  | 'version.conflict'
  | 'slug.taken'
  | 'email.taken'
  | 'project.archived'
  | 'project.deleted'
  | 'tenant.exists'
  /** an upload would pass the tenant's quota (403) */
  | 'quota.stored_bytes'
  | 'quota.documents'
  /** a service the use case depends on did not answer: the request may be retried */
  | 'unavailable'
  /** an `Idempotency-Key` sent again with a different request (422) */
  | 'idempotency.key_reused'
  /** the first request with this key is still being served: retry shortly (409) */
  | 'idempotency.in_progress'
  /** the first request with this key was applied but its answer was lost: look the result up (409) */
  | 'idempotency.reply_lost';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What was thrown, as an Error (a rejection that was not one keeps its value as the cause). */
export const asError = (thrown: unknown): Error =>
  thrown instanceof Error ? thrown : new Error(typeof thrown === 'string' ? thrown : 'non-Error thrown', { cause: thrown });

export const notFound = (what: string): DomainError => new DomainError('not_found', `${what} not found`);
export const forbidden = (why: string): DomainError => new DomainError('forbidden', why);

/** The stream moved on since the caller read it: reload and decide again. */
export class VersionConflictError extends DomainError {
  constructor(
    readonly stream: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super('version.conflict', `stream ${stream} is at version ${actual}, expected ${expected}`, { stream, expected, actual });
  }
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Whether a failure is the store's, not the request's or the event's: retried without bound by
 * projectors (the event is fine, the store is not), answered `unavailable` by services.
 * Postgres codes of lost connections (08…), of a server shutting down (57P0…) and of exhausted
 * resources (53…: too many connections, out of memory or disk), socket codes, Neo4j's
 * unavailability codes, and the store ports' "unavailable" errors count, wherever they sit in
 * the `cause` chain. Known limit: an engine that refuses one
 * event for good with such an error holds that tenant's projector until it is fixed.
 */
const TRANSIENT_CODE =
  /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|CONNECT|CONNECTION_|ServiceUnavailable|SessionExpired)|^57P0|^08|^53|TransientError/;
const TRANSIENT_NAME = /^(VectorIndexUnavailableError|TextIndexUnavailableError|BlobStoreError)$/;
export const isTransient = (err: unknown): boolean => {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODE.test(code)) return true;
    if (typeof name === 'string' && TRANSIENT_NAME.test(name)) return true;
  }
  return false;
};
