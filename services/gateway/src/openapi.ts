import { z } from 'zod';
import { PROBLEM_BASE } from './problem.ts';
import { API_PREFIX, type ApiRoute, opsRoutes } from './routes.ts';

type Json = Record<string, unknown>;

/** The input schema as JSON Schema, as a client must send it (defaults optional, coercions as written). */
function inputSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return json;
}

/** The schema's properties minus those the path supplies: what goes in the body or query. */
function withoutPathKeys(json: Json, pathKeys: string[]): Json {
  const { properties, required, ...rest } = json;
  const kept = { ...(properties as Json | undefined) };
  for (const key of pathKeys) delete kept[key];
  const stillRequired = Array.isArray(required) ? required.filter((k) => !pathKeys.includes(String(k))) : [];
  return { ...rest, properties: kept, ...(stillRequired.length > 0 ? { required: stillRequired } : {}) };
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

const problemResponses = {
  BadRequest: problem('Invalid input; `detail` names the field'),
  Unauthorized: problem('Missing or invalid credentials'),
  Forbidden: problem('The credential may not do this'),
  NotFound: problem("No such resource (or another tenant's)"),
  Conflict: problem('Conflicts with the current state (slug taken, archived, concurrent change…, or the Idempotency-Key\'s first request still in progress / applied with its answer lost)'),
  KeyReused: problem('The Idempotency-Key was already used for a different request'),
  RequestTimeout: problem('The upload sent nothing for too long; the connection is closed'),
  PayloadTooLarge: problem('Body larger than the configured limit'),
  UnsupportedMediaType: problem('Body not application/json'),
  Internal: problem('Internal error'),
  Unavailable: problem('A backing service did not answer'),
};
const ref = (name: keyof typeof problemResponses) => ({ $ref: `#/components/responses/${name}` });

/** The POSTs that honour `Idempotency-Key`: all but the chat message, whose answer may be a stream. */
export const takesIdempotencyKey = (route: ApiRoute): boolean => route.method === 'POST' && route.handler !== 'chat-message';

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Any 1 to 255 visible ASCII characters (a UUID is a good choice), new for each new request. A retry with the same key '
    + 'and the same request, on any gateway, within 24 h, is applied at most once: it gets the first answer again (same status and body) '
    + 'with `Idempotent-Replayed: true`, 409 `idempotency-in-progress` (Retry-After) while the first still runs, or 409 `idempotency-reply-lost` '
    + 'when the first was applied but its answer is lost. The same key with another request answers 422. Keys are per credential.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
};

function operation(route: ApiRoute): Json {
  const pathKeys = Object.values(route.params ?? {});
  const parameters: Json[] = Object.keys(route.params ?? {}).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }));
  const idempotent = takesIdempotencyKey(route);
  if (idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  let requestBody: Json | undefined;
  if (route.input && route.query) {
    const json = inputSchema(route.input);
    const required = Array.isArray(json.required) ? json.required.map(String) : [];
    for (const [name, schema] of Object.entries((json.properties as Json | undefined) ?? {})) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
  } else if (route.input && route.method !== 'GET' && route.method !== 'DELETE') {
    const schema = withoutPathKeys(inputSchema(route.input), pathKeys);
    const needsBody = Array.isArray(schema.required) && schema.required.length > 0;
    requestBody = { required: needsBody, content: { 'application/json': { schema } } };
    if (route.handler === 'upload') {
      const multipart = { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, title: { type: 'string' }, source_url: { type: 'string', format: 'uri' } } };
      requestBody = { required: true, content: { 'multipart/form-data': { schema: multipart }, 'application/json': { schema } } };
    }
  }
  const writes = route.method !== 'GET';
  const success = route.status === 204
    ? { description: 'Done' }
    : route.handler === 'status-stream'
      ? { description: 'Server-sent `status` events until the document is processed or failed', content: { 'text/event-stream': { schema: { type: 'string' } } } }
      : { description: route.status === 202 ? 'Accepted' : 'OK', content: { 'application/json': { schema: { type: 'object' } } } };
  const replayed = { 'Idempotent-Replayed': { description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } } };
  return {
    operationId: route.name,
    summary: route.summary,
    tags: [route.tag],
    security: route.access === 'operator' ? [{ operator: [] }] : [{ bearer: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      [String(route.status)]: idempotent ? { ...success, headers: replayed } : success,
      400: ref('BadRequest'), 401: ref('Unauthorized'), 403: ref('Forbidden'), 404: ref('NotFound'),
      ...(writes ? { 409: ref('Conflict') } : {}),
      ...(idempotent ? { 422: ref('KeyReused') } : {}),
      ...(route.handler === 'upload' ? { 408: ref('RequestTimeout') } : {}),
      ...(requestBody ? { 413: ref('PayloadTooLarge'), 415: ref('UnsupportedMediaType') } : {}),
      500: ref('Internal'), 503: ref('Unavailable'),
    },
  };
}

/** `/projects/:id` in Express becomes `/projects/{id}` in OpenAPI. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/** The OpenAPI 3.1 document of the whole HTTP API, generated from the route table and the contracts' schemas. */
export function buildOpenApi(routes: readonly ApiRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  for (const op of opsRoutes) {
    // /metrics names every tenant: on this port it needs a token (see endpoints.ts)
    const metrics = op.name === 'metrics';
    paths[op.path] = {
      get: {
        operationId: op.name,
        summary: metrics ? `${op.summary}: Bearer MANDANT_METRICS_TOKEN or the operator token here; without credentials on HEALTH_PORT` : op.summary,
        tags: ['operations'],
        security: metrics ? [{ bearer: [] }] : [],
        responses: { 200: { description: 'OK' }, ...(op.name === 'readyz' ? { 503: { description: 'Not ready' } } : {}), ...(metrics ? { 401: { description: 'No or another token' } } : {}) },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Mandant API', version: '1', description: 'Multi-tenant document-research backbone. Errors are RFC 9457 problem+json.' },
    servers: [{ url: API_PREFIX }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A tenant API key (mnd_…) or a JWT with tenant_id, sub and roles claims' },
        operator: { type: 'http', scheme: 'bearer', description: 'The platform operator token (tenant provisioning only)' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'instance', 'correlation_id'],
          properties: {
            type: { type: 'string', format: 'uri', description: `a stable URI under ${PROBLEM_BASE}` },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            correlation_id: { type: 'string' },
          },
          additionalProperties: true,
        },
      },
      responses: problemResponses,
      parameters: { IdempotencyKey: idempotencyKeyParameter },
    },
  };
}
