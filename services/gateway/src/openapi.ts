import { DocumentUploadForm, LivenessView, ReadinessView } from '@mandant/contracts';
import type { z } from 'zod';
import {
  type Json,
  type ProblemResponse,
  componentSchemas,
  correlationHeader,
  headers,
  jsonSchema,
  locationHeader,
  problemResponses,
  rateHeaders,
  replayedHeader,
  responseRef,
  schemaRef,
  setCookieHeader,
} from './openapi-components.ts';
import { requestExamples } from './openapi-examples.ts';
import { projectRefsOf } from './project-refs.ts';
import { API_PREFIX, type ApiRoute, opsRoutes } from './routes.ts';
import { sessionRoutes } from './session.ts';

/** The schema's properties minus those the path supplies: what goes in the body or query. */
function withoutPathKeys(json: Json, pathKeys: string[]): Json {
  const { properties, required, ...rest } = json;
  const kept = { ...(properties as Json | undefined) };
  for (const key of pathKeys) delete kept[key];
  const stillRequired = Array.isArray(required) ? required.filter((k) => !pathKeys.includes(String(k))) : [];
  return { ...rest, properties: kept, ...(stillRequired.length > 0 ? { required: stillRequired } : {}) };
}

/** The POSTs that honour `Idempotency-Key`: all but the chat message, whose answer may be a stream. */
export const takesIdempotencyKey = (route: ApiRoute): boolean =>
  route.method === 'POST' && route.handler !== 'chat-message' && route !== sessionRoutes.create;

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Any 1 to 255 visible ASCII characters (a UUID is a good choice), new for each new request. A retry with the same key ' +
    'and the same request, on any gateway, within 24 h, is applied at most once: it gets the first answer again (same status and body) ' +
    'with `Idempotent-Replayed: true`, 409 `idempotency-in-progress` (Retry-After) while the first still runs, or 409 `idempotency-reply-lost` ' +
    'when the first was applied but its answer is lost. The same key with another request answers 422. Keys are per credential.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
};

const pathParameterText: Record<string, string> = {
  tenant_id: 'The tenant',
  key_id: 'The API key',
  project_id: 'The project',
  user_id: 'The user',
  document_id: 'The document',
  entity_id: 'The entity',
  conversation_id: 'The conversation',
  chunk_id: "The passage: a search hit's or a chat citation's `chunk_id`",
};

/**
 * A project in the path: its id or its slug (current or former; see project-refs.ts). A slug is
 * never shaped like a UUID, so the two never overlap.
 */
const projectRefText =
  "The project's id (a UUID) or its slug: the current one, or one it had before a rename. A slug of another tenant's project answers 404, like an unknown id";
/** a UUID, or a slug (lowercase letters, digits and single dashes; one shaped like a UUID is read as an id) */
const projectRefSchema = (): Json => ({
  type: 'string',
  minLength: 2,
  maxLength: 63,
  pattern: '^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-z0-9]+(?:-[a-z0-9]+)*)$',
  examples: ['0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f', 'offshore-leaks'],
});
const projectRefParameter = (name: string): Json => ({
  name,
  in: 'path',
  required: true,
  description: projectRefText,
  schema: projectRefSchema(),
});

/** `project_id` in a body or query schema, where the route takes the slug too. */
function withProjectRef(route: ApiRoute, json: Json): Json {
  const properties = json.properties as Record<string, Json> | undefined;
  if (projectRefsOf(route).field === null || !properties?.project_id) return json;
  return { ...json, properties: { ...properties, project_id: { ...projectRefSchema(), description: projectRefText } } };
}

/** Path and query parameters. Path keys are never repeated in the query: the server refuses them there. */
function parametersOf(route: ApiRoute): Json[] {
  const pathKeys = Object.values(route.params ?? {});
  const parameters: Json[] = Object.entries(route.params ?? {}).map(([name, key]) =>
    key === 'project_id'
      ? projectRefParameter(name)
      : {
          name,
          in: 'path',
          required: true,
          description: `${pathParameterText[key] ?? key} (a UUID)`,
          schema: { type: 'string', format: 'uuid' },
        },
  );
  if (route.input && route.query) {
    const json = withProjectRef(route, withoutPathKeys(jsonSchema(route.input, 'input'), pathKeys));
    const required = Array.isArray(json.required) ? json.required.map(String) : [];
    for (const [name, schema] of Object.entries((json.properties as Record<string, Json> | undefined) ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: required.includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  if (takesIdempotencyKey(route)) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  return parameters;
}

function requestBodyOf(route: ApiRoute): Json | undefined {
  if (!route.input || route.query || route.method === 'GET' || route.method === 'DELETE') return undefined;
  const schema = route.body
    ? jsonSchema(route.body, 'input')
    : withProjectRef(route, withoutPathKeys(jsonSchema(route.input, 'input'), Object.values(route.params ?? {})));
  const examples = requestExamples[route.name];
  const json = { schema, ...(examples ? { examples } : {}) };
  if (route.handler === 'upload') {
    return {
      required: true,
      description: 'The document: a file (multipart), or text given inline (JSON). Either is sniffed from its bytes.',
      content: { 'multipart/form-data': { schema: jsonSchema(DocumentUploadForm, 'input') }, 'application/json': json },
    };
  }
  const properties = (schema.properties as Json | undefined) ?? {};
  const needed = route.body !== undefined || (Array.isArray(schema.required) && schema.required.length > 0);
  // a route whose every field is optional still takes no body at all
  if (!needed && Object.keys(properties).length === 0) return undefined;
  return { required: needed, content: { 'application/json': json } };
}

const eventStream = (description: string, example: string) => ({
  description,
  content: { 'text/event-stream': { schema: { type: 'string' }, example } },
});

const statusEvents =
  'event: status\ndata: {"id":"0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f","status":"processing","failure":null,"chunk_count":0,"entity_count":0,"updated_at":"2026-12-02T09:00:00.000Z"}\n\n' +
  'event: status\ndata: {"id":"0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f","status":"processed","failure":null,"chunk_count":4,"entity_count":7,"updated_at":"2026-12-02T09:00:02.000Z"}\n\n';
const answerEvents =
  'event: token\ndata: {"text":"Acme Holdings paid "}\n\nevent: token\ndata: {"text":"Maria Gonzalez 2.5 million USD [1]."}\n\n' +
  'event: done\ndata: {"id":"0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e70","role":"assistant","content":"Acme Holdings paid Maria Gonzalez 2.5 million USD [1].","created_at":"2026-12-02T09:00:03.000Z","citations":[{"document_id":"0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e6f","chunk_id":"0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e71","project_ids":["0193a1f2-5b7c-7d3e-8f00-1a2b3c4d5e72"],"title":"Ledger"}],"scope":"project"}\n\n';

/** The success answers of a route: status, body and headers. */
function successesOf(route: ApiRoute): Record<string, Json> {
  const limited = route.access !== 'operator';
  const common = { ...correlationHeader, ...(limited ? rateHeaders : {}), ...(takesIdempotencyKey(route) ? replayedHeader : {}) };
  if (route.status === 204) return { 204: { description: 'Done; no body', headers: common } };
  if (route.handler === 'status-stream') {
    return {
      200: {
        ...eventStream(
          'Server-sent `status` events ({id, status, failure, chunk_count, entity_count, updated_at}): one at once, another on every change, ' +
            'until `processed` or `failed` (`status: deleted` if the document goes away, `event: timeout` after ten minutes)',
          statusEvents,
        ),
        headers: common,
      },
    };
  }
  if (!route.output) throw new Error(`route ${route.name} declares no answer schema`);
  const json = { content: { 'application/json': { schema: schemaRef(route.output) } } };
  const description = route.status === 202 ? 'Accepted: carried out afterwards' : route.status === 201 ? 'Created' : 'OK';
  const answers: Record<string, Json> = {
    [route.status]: { description, headers: route.handler === 'upload' ? { ...common, ...locationHeader } : common, ...json },
  };
  if (route.handler === 'chat-message') {
    answers[200] = {
      ...eventStream(
        'With `stream: true` (or `Accept: text/event-stream`): the answer as server-sent events while it is written. ' +
          '`event: token` with `{text}`: the next piece of the answer as the chat model produces it (an extractive answer: one quoted ' +
          'sentence a piece); the pieces joined are the answer as generated. Then exactly one of: `event: done` with the whole ' +
          'MessageView (the content as recorded, citation markers renumbered by first use, and the citations), or `event: error` ' +
          'with a problem object (`type`, `title`, `status`, `detail`, `correlation_id`) when the answer fails after its first token; ' +
          'such an answer is not recorded. Refusals before the first token (400, 403, 404, 409, 429, 503) are problem+json answers, ' +
          'not streams. Closing the connection stops the answer, the chat model included',
        answerEvents,
      ),
      headers: common,
    };
  }
  return answers;
}

/** The refusals a route can give, from what it takes and who may call it. */
function refusalsOf(route: ApiRoute, hasBody: boolean): [number, ProblemResponse][] {
  const inputKeys = route.input ? Object.keys((jsonSchema(route.input, 'input').properties as Json | undefined) ?? {}) : [];
  const namesResource = route.params !== undefined || inputKeys.some((k) => k.endsWith('_id'));
  const when = (cond: boolean, ...entries: [number, ProblemResponse][]) => (cond ? entries : []);
  return [
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    ...when(namesResource, [404, 'NotFound']),
    ...when(route.handler === 'upload', [408, 'RequestTimeout']),
    ...when(route.method !== 'GET' || route.conflicts === true, [409, 'Conflict']),
    ...when(hasBody, [413, 'PayloadTooLarge'], [415, 'UnsupportedMediaType']),
    ...when(takesIdempotencyKey(route), [422, 'KeyReused']),
    // tenant calls take rate tokens; a status stream and an upload are also bounded per tenant
    ...when(route.access !== 'operator', [429, 'TooManyRequests']),
    [500, 'Internal'],
    [503, 'Unavailable'],
  ];
}

const accessText: Record<ApiRoute['access'], string> = {
  operator: 'Platform operator token only.',
  tenant: 'A tenant credential (not an auditor); the owning service checks roles and membership.',
  audit: 'A tenant credential, auditors included.',
};

function operation(route: ApiRoute): Json {
  const parameters = parametersOf(route);
  const requestBody = requestBodyOf(route);
  const refusals = Object.fromEntries(refusalsOf(route, requestBody !== undefined).map(([status, name]) => [status, responseRef(name)]));
  return {
    operationId: route.name,
    summary: route.summary,
    description: accessText[route.access],
    tags: [route.tag],
    security: route.access === 'operator' ? [{ operator: [] }] : [{ bearer: [] }, { session: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { ...successesOf(route), ...refusals },
  };
}

const sessionText: Record<string, string> = {
  createSession:
    'The credential goes in the body, exactly what `Authorization: Bearer` would carry (an API key or a JWT; the operator token ' +
    'is refused 403). The answer sets the HttpOnly, SameSite=Strict cookie `mandant_session` (12 hours), which then authenticates ' +
    'every request that has no `Authorization` header: its credential is checked again on each, so a revoked key ends the session. ' +
    'POST, PUT, PATCH and DELETE authenticated by the cookie must send `X-CSRF-Token` with `csrf_token`, and an `Origin` (if any) of ' +
    'this host: else 403 `csrf`. Every refused credential answers the same 401. Single-tenant mode has no sign-in: 409.',
  getSession:
    'The principal of the cookie session (or of the `Authorization` header) and the CSRF token its writes send. Single-tenant ' +
    'mode: the default principal, `single_tenant: true`, no CSRF token.',
  deleteSession: 'Clears the session cookie, whether or not it is valid. Needs no credential.',
};

/** The console's session routes: answered by the gateway itself (session.ts), authenticated by the body or the cookie. */
function sessionOperation(route: ApiRoute): Json {
  const base = operation(route);
  const responses = base.responses as Record<string, Json>;
  const success = responses[String(route.status)] as Json;
  const withCookie = { ...success, headers: { ...(success.headers as Json), ...setCookieHeader } };
  if (route === sessionRoutes.remove) {
    return {
      ...base,
      description: sessionText[route.name],
      security: [],
      responses: { 204: withCookie, 400: responseRef('BadRequest'), 403: responseRef('Forbidden'), 500: responseRef('Internal') },
    };
  }
  return {
    ...base,
    description: sessionText[route.name],
    security: route === sessionRoutes.create ? [] : [{ bearer: [] }, { session: [] }],
    responses: { ...responses, [route.status]: route === sessionRoutes.create ? withCookie : success },
  };
}

/** `/projects/:id` in Express becomes `/projects/{id}` in OpenAPI. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
const json = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema: schemaRef(schema) } } });

/** The operational routes: answered by the gateway itself, no tenant, no rate limit. */
function opsOperation(op: (typeof opsRoutes)[number]): Json {
  const metrics = op.name === 'metrics';
  const responses: Record<string, Json> = {
    healthz: { 200: json('The process answers', LivenessView) },
    readyz: { 200: json('Ready', ReadinessView), 503: json('Not ready: `checks` names what did not answer', ReadinessView) },
    metrics: {
      200: text("Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`): the gateway's series, then the platform's"),
      401: responseRef('Unauthorized'),
    },
    openapi: { 200: { description: 'This document (OpenAPI 3.1)', content: { 'application/json': { schema: { type: 'object' } } } } },
  }[op.name];
  return {
    operationId: op.name,
    summary: metrics
      ? `${op.summary}: Bearer MANDANT_METRICS_TOKEN or the operator token here; without credentials on HEALTH_PORT`
      : op.summary,
    tags: ['operations'],
    security: metrics ? [{ bearer: [] }] : [],
    responses: { ...responses, 400: responseRef('BadRequest') },
  };
}

const tags = [
  ['tenants', "Tenants: provisioning and offboarding (operator), the caller's own tenant and settings"],
  ['limits', 'Rate limits, quotas and usage per tenant'],
  ['api-keys', 'API keys of the tenant (tenant admins)'],
  ['users', 'Users of the tenant'],
  ['members', 'Project members, their roles and per-project profiles'],
  ['me', "The caller's projects and project switching"],
  ['projects', 'Projects: the default working scope'],
  ['documents', 'Documents: uploads, processing status, links to projects'],
  ['search', 'Hybrid, keyword and vector search over documents'],
  ['entities', 'Entities found in documents, across projects'],
  ['graph', 'Entity graphs for drawing'],
  ['chat', 'Conversations and questions answered from the documents'],
  ['audit', "The tenant's event log, its hash chain, and projections"],
  ['session', 'Console sign-in: a credential exchanged for an HttpOnly session cookie'],
  ['operations', 'Liveness, readiness, metrics and this document'],
].map(([name, description]) => ({ name, description }));

/** The OpenAPI 3.1 document of the whole HTTP API, generated from the route table and the contracts' schemas. */
export function buildOpenApi(routes: readonly ApiRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  for (const op of opsRoutes) paths[op.path] = { get: opsOperation(op) };
  const session = Object.values(sessionRoutes);
  paths[openApiPath(sessionRoutes.get.path)] = Object.fromEntries(session.map((r) => [r.method.toLowerCase(), sessionOperation(r)]));
  const document: Json = {
    openapi: '3.1.0',
    info: {
      title: 'Mandant API',
      version: '1',
      description:
        'Multi-tenant document-research backbone. JSON in and out; every refusal is RFC 9457 `application/problem+json` ' +
        'with a stable `type`. A resource of another tenant answers 404, exactly as one that does not exist. In single-tenant mode ' +
        '(`SINGLE_TENANT_MODE=true`) tenant routes need no credentials.',
    },
    servers: [{ url: API_PREFIX }],
    security: [{ bearer: [] }],
    tags,
    paths,
  };
  const answers = [...routes, ...session].flatMap((r) => (r.output ? [r.output] : []));
  document.components = {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'A tenant API key (mnd_…) or a JWT with tenant_id, sub and roles claims' },
      operator: { type: 'http', scheme: 'bearer', description: 'The platform operator token (tenant provisioning, limits and usage)' },
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: 'mandant_session',
        description: 'The console session set by POST /session, used when no Authorization header is sent; writes also need `X-CSRF-Token`',
      },
    },
    responses: problemResponses,
    parameters: { IdempotencyKey: idempotencyKeyParameter },
    headers,
    schemas: componentSchemas([...answers, LivenessView, ReadinessView], { paths, responses: problemResponses }),
  };
  return document;
}
