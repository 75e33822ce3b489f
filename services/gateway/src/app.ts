import 'reflect-metadata';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '@mandant/contracts';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import { drainHttp, trackInFlight } from '@mandant/shared/service';
import { type JwtConfig, bearerMatches, createAuthenticator } from './auth.ts';
import { type Readiness, apiEndpoint, healthListener, opsEndpoints, opsMetricsSource } from './endpoints.ts';
import {
  DEFAULT_EDGE_TIMEOUTS,
  type EdgeTimeouts,
  applyServerTimeouts,
  listenForStreamErrors,
  refuseMalformedQuery,
  verifyUtf8Json,
} from './edge-guards.ts';
import { createHttpMetrics } from './metrics.ts';
import { resolvingProjectRefs } from './project-refs.ts';
import { AuthGuard, ProblemFilter, buildController } from './nest.ts';
import { buildOpenApi } from './openapi.ts';
import type { Middleware } from './http.ts';
import { isJsonMediaType, observeRequests, requestContext, requireJsonBodies } from './request.ts';
import { chatMessageEndpoint } from './chat.ts';
import {
  DEFAULT_STATUS_STREAM_LIMITS,
  type StatusStreamLimits,
  type UploadConfig,
  statusStreamEndpoint,
  uploadEndpoint,
} from './documents.ts';
import { apiRoutes, isUploadRequest } from './routes.ts';
import { type ConsoleConfig, consoleServer } from './console.ts';
import { type SessionConfig, createSessions, sessionEndpoints } from './session.ts';
import { type TenantLimitsConfig, createTenantLimits } from './tenant-limits.ts';
import { documentContentEndpoint } from './document-content.ts';

export interface GatewayConfig {
  operatorToken: string;
  jwt: JwtConfig;
  /** single-tenant mode: no auth; every request acts as this principal (tenant admin of the default tenant) */
  singleTenantPrincipal: Principal | null;
  /** larger bodies are refused with 413 */
  bodyLimitBytes: number;
  /** how long a client may take: headers, the whole request, an idle upload (defaults in edge-guards.ts) */
  timeouts?: Partial<EdgeTimeouts>;
  /** document uploads: the sealing blob store and the file size limit; without it upload routes answer 503 */
  uploads?: UploadConfig;
  /** per-tenant rate limits and usage counting (tenant-limits.ts); without it neither runs */
  limits?: TenantLimitsConfig;
  /** MANDANT_METRICS_TOKEN: with it (or the operator token) /metrics answers on the public port too */
  metricsToken?: string;
  /** per-tenant series on /metrics: this many tenants keep their own, the rest count as tenant="other" (default 20) */
  metricsTopTenants?: number;
  /** bounds on document status streams (defaults in documents.ts) */
  statusStreams?: Partial<StatusStreamLimits>;
  /** console sign-in (session.ts); without it the sealing key is derived from the operator token, and cookies are Secure only over TLS */
  session?: Partial<SessionConfig>;
  /** the web console served at `/` (console.ts); without it (or with `dir: null`) `/` answers 503 */
  console?: ConsoleConfig;
  /** how long close() waits for the requests in flight before it cuts them (20 s: inside the process's 25 s drain bound) */
  drainMs?: number;
}

export interface Gateway {
  app: INestApplication;
  /** starts listening; resolves to the base URL (without the /api/v1 prefix) */
  listen(port: number, host?: string): Promise<string>;
  /** starts the health port (/healthz, /readyz, /metrics without credentials); resolves to its base URL */
  listenHealth(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Every answer: no content sniffing, never framed (console answers add their CSP, console.ts). */
function securityHeaders(): Middleware {
  return (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}

const shownHost = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);

/**
 * The HTTP edge: authenticates, validates with the contracts' schemas, forwards each request
 * to the owning service over RPC and maps replies and errors to JSON / problem+json.
 * It holds no state of its own beyond metrics, so replicas scale freely.
 */
export async function createGateway(deps: { config: GatewayConfig; rpc: RpcClient; log: Logger; ready: Readiness }): Promise<Gateway> {
  const { config, rpc, log } = deps;
  const metrics = createHttpMetrics({ topTenants: config.metricsTopTenants });
  // aborted when close() starts: /readyz turns 503 and status streams end, then requests in flight finish
  const stopping = new AbortController();
  const opsDeps = {
    ready: deps.ready,
    draining: () => stopping.signal.aborted,
    metrics,
    openapi: buildOpenApi(apiRoutes),
    ops: opsMetricsSource(rpc, log),
    scrapeAllowed: (authorization: string | undefined) => bearerMatches(authorization, [config.metricsToken, config.operatorToken]),
  };
  let health: Server | null = null;
  const timeouts: EdgeTimeouts = { ...DEFAULT_EDGE_TIMEOUTS, ...config.timeouts };
  const endpoints = [
    ...apiRoutes.map((route) => {
      const endpoint = () => {
        if (route.handler === 'status-stream')
          return statusStreamEndpoint(route, rpc, { ...DEFAULT_STATUS_STREAM_LIMITS, ...config.statusStreams }, stopping.signal);
        if (route.handler === 'upload') return uploadEndpoint(route, rpc, config.uploads ?? null, timeouts.uploadIdleMs);
        if (route.handler === 'chat-message') return chatMessageEndpoint(route, rpc, log);
        if (route.handler === 'document-content') return documentContentEndpoint(route, rpc);
        return apiEndpoint(route, rpc);
      };
      // a project's slug becomes its id before any endpoint sees the request (after the rate limit)
      return resolvingProjectRefs(route, endpoint(), rpc);
    }),
    ...opsEndpoints(opsDeps),
  ];
  const limits = config.limits ? createTenantLimits({ rpc, log, config: config.limits }) : null;
  const auth = createAuthenticator(config, rpc);
  const singleTenant = config.singleTenantPrincipal !== null;
  const sessions = createSessions({
    // every replica shares the operator token already: a key derived from it needs no new secret
    secret: config.session?.secret ?? config.operatorToken,
    cookieSecure: config.session?.cookieSecure ?? false,
    trustProxy: config.session?.trustProxy ?? false,
    singleTenant,
  });
  const limited = limits ? endpoints.map((e) => limits.wrap(e)) : endpoints;
  // the session routes apply the tenant's rate limit themselves, once the credential names the tenant
  const session = sessionEndpoints({ sessions, auth, singleTenant, limit: (e) => (limits ? limits.wrap(e) : e) });
  const consoleFiles = consoleServer(config.console);
  if (!consoleFiles.built) log.info({ dir: config.console?.dir ?? null }, 'no built console: / answers 503 (npm run build:web)');
  class GatewayModule {}
  Module({ controllers: [buildController([...limited, ...session])] })(GatewayModule);

  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, new ExpressAdapter(), {
    bodyParser: false,
    logger: false,
    // Throw instead of exiting the process when bootstrapping fails.
    abortOnError: false,
    // close() drains first (drainHttp); whatever is left after that is cut rather than held open
    forceCloseConnections: true,
  });
  app.disable('x-powered-by');
  // Order matters: tracing first (every answer carries the correlation id), then the log and
  // metrics hook, then the query and media-type checks before any body is read.
  app.use(requestContext());
  app.use(listenForStreamErrors(log));
  app.use(observeRequests(metrics, log));
  app.use(securityHeaders());
  // the console's pages and assets: GET and HEAD outside /api/, before any API check runs
  app.use(consoleFiles.middleware);
  app.use(refuseMalformedQuery());
  app.use(requireJsonBodies());
  app.useBodyParser('json', {
    limit: config.bodyLimitBytes || DEFAULT_BODY_LIMIT_BYTES,
    verify: verifyUtf8Json,
    type: (req: IncomingMessage) => isJsonMediaType(req.headers['content-type']) && !isUploadRequest(req.method, req.url),
  });
  app.useGlobalGuards(new AuthGuard(auth, sessions));
  app.useGlobalFilters(new ProblemFilter(log));
  await app.init();
  applyServerTimeouts(app.getHttpServer(), timeouts);
  trackInFlight(app.getHttpServer());

  const gateway: Gateway = {
    app,
    async listen(port, host = '0.0.0.0') {
      await app.listen(port, host);
      const { port: bound } = app.getHttpServer().address() as AddressInfo;
      return `http://${shownHost(host)}:${bound}`;
    },
    async listenHealth(port, host = '0.0.0.0') {
      const server = createServer(healthListener(opsDeps));
      health = server;
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
      const { port: bound } = server.address() as AddressInfo;
      return `http://${shownHost(host)}:${bound}`;
    },
    /**
     * Drains: /readyz answers 503 at once (the health port stays up meanwhile, so probes see
     * it), the public port stops taking connections, status streams end with `timeout`, and
     * every request in flight is answered (for `drainMs` at most: what is left then is cut)
     * before the health port and Nest close.
     */
    async close() {
      stopping.abort();
      const bound = new AbortController();
      await Promise.race([
        drainHttp(app.getHttpServer()),
        sleep(config.drainMs ?? 20_000, undefined, { signal: bound.signal }).catch(() => {}),
      ]);
      bound.abort();
      const server = health;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
      await app.close();
    },
  };
  // the usage counted since the last flush is sent once no request comes in any more
  return limits
    ? {
        ...gateway,
        close: async () => {
          await gateway.close();
          await limits.stop();
        },
      }
    : gateway;
}
