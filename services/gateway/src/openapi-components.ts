import * as contracts from '@mandant/contracts';
import { z } from 'zod';
import { PROBLEM_BASE } from './problem.ts';

/**
 * The reusable parts of the OpenAPI document: the problem responses, the response headers, and
 * the named schemas, all JSON Schema generated from the contracts' zod schemas.
 */

export type Json = Record<string, unknown>;

/** JSON Schema of a zod schema as it is written in a document (no `$schema` of its own). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return json;
}

/** Each zod schema the contracts export, under its export name: the name it gets in the document. */
const exportNames = new Map<unknown, string>();
for (const [name, value] of Object.entries(contracts)) {
  if (value instanceof z.ZodType && !exportNames.has(value)) exportNames.set(value, name);
}

/** The component name of a contracts schema; a route's answer must be one, so clients get a named type. */
export function schemaName(schema: z.ZodType): string {
  const name = exportNames.get(schema);
  if (!name) throw new Error('a route answers with a schema the contracts do not export by name');
  return name;
}

export const schemaRef = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${schemaName(schema)}` });

/**
 * An answer's schema as documented: `additionalProperties: false` dropped, since a view may gain
 * fields without that being a breaking change (inputs stay closed: an unknown field is refused);
 * and the long patterns zod writes beside `format: uuid` or `date-time` left to the format.
 */
function opened(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(opened);
  if (value === null || typeof value !== 'object') return value;
  const formatted = 'format' in value && (value.format === 'uuid' || value.format === 'date-time');
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'additionalProperties' && v === false) || (k === 'pattern' && formatted)) continue;
    out[k] = opened(v);
  }
  return out;
}

/** Every `$ref` target under `value`. */
function refsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else refsIn(v, into);
    }
  }
  return into;
}

/**
 * The named schemas: the answers the routes name, every `…View` of the contracts (so a view used
 * inside another answer is a shared component, not a copy), and Problem, converted together so
 * they refer to each other by `$ref`; then whatever nothing refers to is left out.
 */
export function componentSchemas(answers: readonly z.ZodType[], document: unknown): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const views = [...exportNames]
    .filter(([schema, name]) => name.endsWith('View') && schema instanceof z.ZodObject)
    .map(([schema]) => schema as z.ZodType);
  for (const schema of new Set([...answers, ...views, contracts.Problem])) registry.add(schema, { id: schemaName(schema) });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as {
    schemas: Record<string, Json>;
  };
  const all: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    all[name] = opened(rest) as Json;
  }
  // keep what the document refers to, and what those refer to in turn
  const used = new Set<string>();
  const pending = [...refsIn(document, new Set())];
  for (let ref = pending.pop(); ref !== undefined; ref = pending.pop()) {
    const name = ref.replace('#/components/schemas/', '');
    const schema = all[name];
    if (used.has(name) || !schema) continue;
    used.add(name);
    pending.push(...refsIn(schema, new Set()));
  }
  return Object.fromEntries(
    Object.entries(all)
      .filter(([name]) => used.has(name))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

const seconds = { type: 'integer', minimum: 0 };

/** Response headers, shared by reference. */
export const headers: Record<string, Json> = {
  CorrelationId: {
    description:
      "The request's correlation id (the `X-Correlation-Id` sent, or a new one): every log line and event of the request carries it",
    schema: { type: 'string' },
  },
  RateLimitLimit: {
    description: "The tenant's burst: the most calls its bucket holds (draft-ietf-httpapi-ratelimit-headers-06)",
    schema: seconds,
  },
  RateLimitRemaining: { description: 'Calls left in the bucket now', schema: seconds },
  RateLimitReset: {
    description: 'Seconds until the bucket is full again (on a 429: until a call is accepted, as `Retry-After`)',
    schema: seconds,
  },
  RateLimitPolicy: { description: '`{burst};w={seconds to refill it}`', schema: { type: 'string', examples: ['100;w=10'] } },
  RetryAfter: { description: 'Seconds to wait before trying again', schema: seconds },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
  Location: { description: 'Where the created document is read: `/api/v1/documents/{id}`', schema: { type: 'string' } },
  WwwAuthenticate: { description: '`Bearer realm="mandant"`', schema: { type: 'string' } },
  SetCookie: {
    description:
      '`mandant_session=…; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict` (and `Secure` over https): the sealed session. ' +
      'Cleared (`Max-Age=0`) on sign-out and when a session cookie does not open',
    schema: { type: 'string' },
  },
};
const header = (name: keyof typeof headers) => ({ $ref: `#/components/headers/${name}` });

/** The headers every rate-limited answer carries (tenant credentials, when limits are on). */
export const rateHeaders = {
  'RateLimit-Limit': header('RateLimitLimit'),
  'RateLimit-Remaining': header('RateLimitRemaining'),
  'RateLimit-Reset': header('RateLimitReset'),
  'RateLimit-Policy': header('RateLimitPolicy'),
};
export const correlationHeader = { 'X-Correlation-Id': header('CorrelationId') };
export const replayedHeader = { 'Idempotent-Replayed': header('IdempotentReplayed') };
export const locationHeader = { Location: header('Location') };
export const setCookieHeader = { 'Set-Cookie': header('SetCookie') };

const problem = (description: string, extraHeaders: Json = {}) => ({
  description,
  headers: { ...correlationHeader, ...extraHeaders },
  content: { 'application/problem+json': { schema: schemaRef(contracts.Problem) } },
});

const kinds = (...slugs: string[]) => slugs.map((s) => `\`${PROBLEM_BASE}${s}\``).join(', ');

/** Every refusal the API gives, one response each; `type` tells the kinds apart within a status. */
export const problemResponses = {
  BadRequest: problem(
    `Invalid input, \`issues\` naming each field: ${kinds('validation-failed', 'malformed-json', 'bad-request', 'idempotency-key-invalid')}`,
  ),
  Unauthorized: problem(`Missing or invalid credentials: ${kinds('unauthenticated')}`, { 'WWW-Authenticate': header('WwwAuthenticate') }),
  Forbidden: problem(
    `The credential may not do this, a quota is reached, or a write by session cookie lacks its \`X-CSRF-Token\` or comes from another origin: ${kinds('forbidden', 'quota-stored-bytes', 'quota-documents', 'csrf')}`,
  ),
  NotFound: problem(`No such resource, or another tenant's (the two answer alike): ${kinds('not-found', 'project-deleted')}`),
  Conflict: problem(
    `Conflicts with the current state: ${kinds('conflict', 'version-conflict', 'slug-taken', 'email-taken', 'tenant-exists', 'project-archived', 'idempotency-in-progress', 'idempotency-reply-lost')}; ` +
      '`Retry-After` on idempotency-in-progress',
    { 'Retry-After': header('RetryAfter') },
  ),
  RequestTimeout: problem(`The upload sent nothing for too long; the connection is closed: ${kinds('request-timeout')}`),
  PayloadTooLarge: problem(`Body larger than the configured limit: ${kinds('payload-too-large')}`),
  UnsupportedMediaType: problem(`Body not in a media type the route reads: ${kinds('unsupported-media-type')}`),
  KeyReused: problem(`The Idempotency-Key was already used for a different request: ${kinds('idempotency-key-reused')}`),
  TooManyRequests: problem(
    `A limit of the tenant is reached; retry after \`Retry-After\` seconds: ${kinds('rate-limited', 'too-many-streams', 'too-many-uploads')}`,
    { 'Retry-After': header('RetryAfter'), ...rateHeaders },
  ),
  Internal: problem(`Internal error (the detail never says more): ${kinds('internal-error')}`),
  Unavailable: problem(`A backing service did not answer in time: ${kinds('service-unavailable')}`, {
    'Retry-After': header('RetryAfter'),
  }),
};
export type ProblemResponse = keyof typeof problemResponses;
export const responseRef = (name: ProblemResponse) => ({ $ref: `#/components/responses/${name}` });
