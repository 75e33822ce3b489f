import { createHash } from 'node:crypto';
import type { IdempotencyMeta } from '@mandant/contracts';
import { nameUuid } from '@mandant/shared/ids';
import { idempotentCorrelationId } from '@mandant/shared/rpc';
import type { Caller } from './auth.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { ProblemError } from './problem.ts';
import type { RequestState } from './request.ts';

/**
 * `Idempotency-Key` on POST: a client whose answer was lost (reset connection, timeout) sends
 * the same request again with the same key, on any gateway, and it is applied once. The gateway
 * only derives, from the caller and the key, what the serving side needs (IdempotencyMeta); the
 * claims and stored replies live behind the services (shared/src/rpc/idempotency.ts).
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on an answer that is the stored answer of an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The header's key; null when absent. Anything but 1..255 visible ASCII characters is a 400 naming the header. */
export function idempotencyKeyOf(req: HttpRequest): string | null {
  const raw = req.headers[IDEMPOTENCY_HEADER.toLowerCase()];
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
  if (value === undefined || !KEY.test(value)) {
    throw new ProblemError(
      'idempotency.key_invalid',
      `${IDEMPOTENCY_HEADER}: send one key of 1 to 255 visible ASCII characters (no spaces), e.g. a UUID`,
      { header: IDEMPOTENCY_HEADER },
    );
  }
  return value;
}

/**
 * Whose keys these are: a key means the same request only for the same credential holder, so two
 * tenants (or two users of one tenant) sending the same key string never meet.
 */
export function idempotencyScope(caller: Caller): string {
  return caller.kind === 'operator' ? 'operator' : `${caller.principal.tenant_id.toLowerCase()}:${caller.principal.actor}`;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8');

/** Where the claim is found: never the key itself. */
export const idempotencyLookup = (scope: string, key: string): string =>
  sha256(`mandant-idempotency-lookup\0${scope}\0${key}`).digest('hex');

/** The AES-256 key the stored reply is sealed with: derived again from each retry, never stored. */
export const idempotencySeal = (scope: string, key: string): string =>
  sha256(`mandant-idempotency-seal\0${scope}\0${key}`).digest('base64url');

/** JSON with object keys sorted at every depth: equal values give equal text whatever the key order sent. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes two requests the same one: the route, its path parameters and the use case's input. */
export function requestFingerprint(route: string, params: Record<string, string | undefined>, input: unknown): string {
  return sha256(`${route}\0${canonicalJson(params)}\0${canonicalJson(input)}`).digest('hex');
}

export interface Idempotent {
  meta: IdempotencyMeta;
  correlationId: string;
}

export function idempotencyFor(
  caller: Caller,
  key: string,
  route: string,
  params: Record<string, string | undefined>,
  input: unknown,
): Idempotent {
  const scope = idempotencyScope(caller);
  const lookup = idempotencyLookup(scope, key);
  return {
    meta: { key: lookup, fingerprint: requestFingerprint(route, params, input), seal: idempotencySeal(scope, key) },
    correlationId: idempotentCorrelationId(lookup),
  };
}

/**
 * The id of a document uploaded with an idempotency key: the same key and the same bytes give
 * the same id, so a retried upload writes the same blob path. The bytes' hash is part of it so
 * that a retry with other bytes (refused as a reused key) cannot overwrite the first upload's blob.
 */
export const idempotentDocumentId = (lookup: string, contentSha256: string): string => nameUuid('upload', lookup, contentSha256);

/**
 * The request's correlation id becomes the one derived from the key (every event the request
 * appends carries it, on the first run and on any retry), echoed in `X-Correlation-Id`.
 */
export function adoptCorrelation(state: RequestState, res: HttpResponse, idem: Idempotent): void {
  state.meta = { ...state.meta, correlation_id: idem.correlationId };
  res.setHeader('X-Correlation-Id', idem.correlationId);
}

/** Marks a replayed answer; set before the answer or the refusal is sent. */
export function markReplayed(res: HttpResponse, reply: { replayed?: boolean }): void {
  if (reply.replayed) res.setHeader(REPLAYED_HEADER, 'true');
}
