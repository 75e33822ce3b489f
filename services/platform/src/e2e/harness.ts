import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MandantClient, type Middleware, type Schema, createMandantClient } from '@mandant/client';
import { openApiPath } from '@mandant/gateway';
import { type ApiRoute, apiRoutes } from '@mandant/gateway';
import { readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { waitForCheckpoints } from '@mandant/shared/projection';
import { findNatsServer, startNatsServer } from '@mandant/shared/runtime';
import { SETTLE_MS, eventually, ownDatabase } from '@mandant/shared/testing';
import { type Platform, startPlatform } from '../platform.ts';
import { VIEW_PROJECTORS } from '../views.ts';

export const OPERATOR = 'test-operator-token-0123456789abcdef';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';

export interface Harness {
  platform: Platform;
  api: string;
  /** the platform's MANDANT_DATA_DIR (local blobs, generated secrets) */
  dataDir: string;
  /** the platform's own database (owner URL): each harness gets a fresh one */
  databaseUrl: string;
  /** the typed API client (@mandant/client) acting with `token`; null: no credentials */
  client(token: string | null): MandantClient;
  /** a raw request, for what the typed client cannot send: malformed bodies, wrong types, unknown fields */
  call(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * Stops the platform and starts it again on the same database, data directory and nats-server,
   * with `env` over the first start's (a changed setting, as an operator restarting with it);
   * `platform` and `api` then name the new one.
   */
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

type AnswerSchema = NonNullable<ApiRoute['output']>;

/** Each route's documented answer schema, by `METHOD /openapi/path`. */
const documented = new Map<string, AnswerSchema>(
  apiRoutes.flatMap((r) => (r.output ? [[`${r.method} ${openApiPath(r.path)}`, r.output] as const] : [])),
);

/** The same for a concrete path (`/projects/0193…/documents`): literal routes before those with parameters. */
const routeMatchers = apiRoutes
  .flatMap((r) =>
    r.output
      ? [
          {
            method: r.method,
            re: new RegExp(`^${r.path.replace(/:\w+/g, '[^/]+')}/?$`),
            params: r.path.split(':').length,
            output: r.output,
          },
        ]
      : [],
  )
  .sort((a, b) => a.params - b.params);
const documentedFor = (method: string, path: string): AnswerSchema | undefined =>
  routeMatchers.find((m) => m.method === method && m.re.test(path.split('?')[0] ?? ''))?.output;

/** Throws naming the route when a JSON success is not what the OpenAPI document says it answers. */
function checkDocumented(label: string, schema: AnswerSchema | undefined, body: unknown): void {
  if (!schema) return;
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`${label} answered other than documented: ${JSON.stringify(parsed.error.issues.slice(0, 5))}`);
}

const isJson = (res: Response) => res.ok && (res.headers.get('content-type') ?? '').startsWith('application/json');

/**
 * Every JSON success the typed client receives is parsed with the schema the OpenAPI document
 * gives for it, so each e2e run also proves the services answer as documented (a missing field
 * or a wrong type fails the call naming the route; an added field does not, as the document allows).
 */
const answersAsDocumented: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    if (isJson(response))
      checkDocumented(`${request.method} ${schemaPath}`, documented.get(`${request.method} ${schemaPath}`), await response.clone().json());
  },
};

/**
 * The whole platform in this process, over HTTP, on the run's own database and a private
 * nats-server (real JetStream, its own port and store, so parallel files share nothing).
 */
export async function startHarness(opts: { ownerUrl: string; env?: Record<string, string> }): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'mandant-e2e-'));
  const log = createLogger({ level: process.env.TEST_LOG ?? 'silent' });
  const binary = findNatsServer();
  const nats = opts.env?.NATS_URL ? null : binary ? await startNatsServer({ binary, storeDir: join(dir, 'nats'), log }) : null;
  if (!nats && !opts.env?.NATS_URL) throw new Error('no nats-server on PATH');
  const db = await ownDatabase(opts.ownerUrl, 'e2e');
  const source: Record<string, string> = {
    DATABASE_URL: db.url,
    NATS_URL: nats?.url ?? '',
    PORT: '0',
    HEALTH_PORT: '0',
    HOST: '127.0.0.1',
    MANDANT_DATA_DIR: dir,
    MANDANT_OPERATOR_TOKEN: OPERATOR,
    JWT_HS256_SECRET: JWT_SECRET,
    LOG_LEVEL: 'silent',
    // suites not about rate limits must not meet them: generous defaults, which a suite's env overrides
    RATE_LIMIT_RPS: '100000',
    RATE_LIMIT_BURST: '100000',
    RATE_LIMIT_EXPENSIVE_RPS: '100000',
    RATE_LIMIT_EXPENSIVE_BURST: '100000',
    UPLOADS_IN_FLIGHT_PER_TENANT: '1000',
    UPLOADS_IN_FLIGHT: '1000',
    // word hashing, not EMBEDDING_MODEL=auto's real model: fast and the same on every machine; a suite about the real model asks for it
    EMBEDDING_MODEL: 'local-hashing-v1-384',
    ...opts.env,
  };
  const platform = await startPlatform(readEnv(source), log).catch(async (err: unknown) => {
    await nats?.stop();
    await db.drop();
    throw err;
  });
  const h: Harness = {
    platform,
    api: `${platform.url}/api/v1`,
    dataDir: dir,
    databaseUrl: db.url,
    client: (token) => {
      const client = createMandantClient({ baseUrl: h.api, token });
      client.use(answersAsDocumented);
      return client;
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${h.api}${path}`, {
        method,
        headers,
        body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (metrics): keep the text
      }
      // raw calls are held to the document too, whatever suite makes them
      if (isJson(res)) checkDocumented(`${method} ${path}`, documentedFor(method, path), body);
      return { status: res.status, body, headers: res.headers };
    },
    async restart(changed = {}) {
      await h.platform.stop();
      h.platform = await startPlatform(readEnv({ ...source, ...changed }), log);
      h.api = `${h.platform.url}/api/v1`;
    },
    async stop() {
      await h.platform.stop();
      await nats?.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * The answer of a typed call that must succeed: its data, or a thrown error naming the status
 * and the problem. Typed from the OpenAPI document, so the caller reads fields without casts.
 */
export async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: Promise<R> | R,
): Promise<NonNullable<R['data']>> {
  const res = await call;
  if (!res.response.ok || res.data === undefined || res.data === null) {
    throw new Error(`${res.response.url} -> ${res.response.status} ${JSON.stringify(res.error ?? null)}`);
  }
  return res.data;
}

/** The status of a typed call that must be refused (or answer without a body), with its problem when it has one. */
export async function statusOf(call: Promise<{ error?: unknown; response: Response }>): Promise<number> {
  return (await call).response.status;
}

type DocumentView = Schema<'DocumentView'>;

/**
 * Polls `GET /documents/{id}` as `token` until `done` holds for it (default: processed), and
 * answers the document; fails naming its last status after `timeoutMs` (the shared generous
 * deadline, `SETTLE_MS`: it only bounds a broken run).
 */
export async function waitForDocument(
  h: Harness,
  id: string,
  token: string | null,
  done: (d: DocumentView) => boolean = (d) => d.status === 'processed',
  timeoutMs = SETTLE_MS,
): Promise<DocumentView> {
  const client = h.client(token);
  let last = 'unread';
  return eventually(
    async () => {
      const doc = await ok(client.GET('/documents/{id}', { params: { path: { id } } }));
      last = doc.status;
      return done(doc) && doc;
    },
    `document ${id}`,
    timeoutMs,
    100,
  ).catch((err: unknown) => {
    throw new Error(`document ${id} stuck at ${last}: ${(err as Error).message}`, { cause: err });
  });
}

/**
 * Waits until every read model of the tenant — the document stores' projectors and the
 * relational views' — has applied its log up to the head as it is now (read with `token`, which
 * may read the event log), and answers that head. Reads compared after it see one final state,
 * unless something appends meanwhile.
 */
export async function settleTenant(h: Harness, tenantId: string, token: string): Promise<number> {
  const head = (await h.call('GET', '/events?after=0&limit=1', { token })).body.head as number;
  await Promise.all(h.platform.storeProjectors.map((p) => p.waitFor(tenantId, head, SETTLE_MS)));
  const views = { tenantId, position: head, projectors: VIEW_PROJECTORS, what: 'read views', timeoutMs: SETTLE_MS };
  if (!(await waitForCheckpoints(h.platform.runtime.sql, createLogger({ level: 'silent' }), views)))
    throw new Error(`the read views of tenant ${tenantId} did not reach ${head}`);
  return head;
}
