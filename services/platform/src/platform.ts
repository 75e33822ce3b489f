import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '@mandant/shared/env';
import type { Logger } from '@mandant/shared/log';
import { type Projection, type Projector, startProjectors } from '@mandant/shared/projection';
import { type RpcClient, createRpcClient, serveRpc } from '@mandant/shared/rpc';
import { systemClock } from '@mandant/shared/service';
import { type Runtime, masterKey, persistentSecret, startRuntime } from '@mandant/shared/service';
import { type ReadStores, createReadStores } from '@mandant/shared/stores';
import { documentCounts, documentService, documentTotals, linkingService } from '@mandant/documents';
import type { EmbedderRegistry } from '@mandant/ingestion';
import { chatService } from '@mandant/chat';
import { entityCounts, entityService } from '@mandant/entities';
import { searchService } from '@mandant/search';
import { startIngestionWorker } from '@mandant/ingestion';
import { documentProjections } from '@mandant/projectors';
import type { Service, ServiceDeps } from '@mandant/shared/service';
import { consoleDirSetting, createGateway } from '@mandant/gateway';
import { membershipService } from '@mandant/membership';
import { projectDirectory, projectLookup, projectService, projectWrites } from '@mandant/project';
import { tenantLimits, tenantService } from '@mandant/tenant';
import { ensureSingleTenant } from './single-tenant.ts';
import { projectPorts } from './project-ports.ts';
import { platformViewsWait } from './views.ts';
import { embeddingSetup } from './embedding.ts';

/** What the services of the all-in-one process share beyond the runtime. */
export interface PlatformDeps extends ServiceDeps {
  stores: ReadStores;
  embedders: EmbedderRegistry;
  env: Env;
  /** how the chat service calls search and entities as the caller; null where only projections are wanted (the CLI) */
  rpc: RpcClient | null;
}

const noRpc: RpcClient = {
  request: () => Promise.reject(new Error('no RPC client in this process')),
  close: async () => {},
};

export const allServices = (deps: PlatformDeps): Service[] => {
  const { stores } = deps;
  const documents = { ...deps, blobs: stores.blobs, keyring: stores.keyring, limits: tenantLimits(deps.env) };
  return [
    tenantService({ ...deps, documents: { totals: documentTotals } }),
    projectService({ ...deps, ...projectPorts(stores.graph) }),
    membershipService({ ...deps, keyring: stores.keyring, projects: projectDirectory(documentCounts, entityCounts(stores.graph)) }),
    documentService(documents),
    linkingService(documents),
    searchService(deps),
    entityService({ ...deps, projects: projectLookup, writes: projectWrites }),
    chatService({ ...deps, rpc: deps.rpc ?? noRpc }),
  ];
};

export { embedderRegistry } from './embedding.ts';

/** Every read model the platform keeps, by projection name: the relational views and the document stores. */
export function allProjections(deps: PlatformDeps): Projection[] {
  return [...allServices(deps).flatMap((s) => s.projections), ...Object.values(documentProjections(deps.stores))];
}

export interface RunningServices {
  projectors: Projector[];
  stop(): Promise<void>;
}

/**
 * Serves the given services' message patterns and runs their projectors on a started runtime, as
 * one group (group.ts) with `more` (the document store projections, say): `projectors` are the
 * services' projectors, then those of `more`, in order.
 */
export async function runServices(runtime: Runtime, services: Service[], log: Logger, more: Projection[] = []): Promise<RunningServices> {
  const servers: { close(): Promise<void> }[] = [];
  for (const s of services)
    servers.push(await serveRpc({ service: s.name, handlers: s.handlers, transport: runtime.rpc, log, sql: runtime.sql }));
  const projectors = startProjectors({
    sql: runtime.sql,
    projections: [...services.flatMap((s) => s.projections), ...more],
    log,
    transport: runtime.events,
  });
  return {
    projectors,
    async stop() {
      for (const p of projectors) await p.stop();
      for (const s of servers) await s.close();
    },
  };
}

export interface Platform {
  url: string;
  /** the health port's base URL: /healthz, /readyz, /metrics without credentials */
  healthUrl: string;
  operatorToken: string;
  runtime: Runtime;
  stores: ReadStores;
  /** the document store projectors (vectors, text, graph, blobs), for tests and the CLI */
  storeProjectors: Projector[];
  /** set in single-tenant mode */
  defaults: { tenant_id: string; project_id: string } | null;
  stop(): Promise<void>;
}

/** The console `npm run build:web` builds: the repository's web/dist (MANDANT_CONSOLE_DIR overrides it). */
const BUILT_CONSOLE = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** The operator token: from the environment, else generated once and kept in the data directory. */
const operatorToken = (env: Env): string =>
  env.MANDANT_OPERATOR_TOKEN ?? persistentSecret(join(env.MANDANT_DATA_DIR, 'operator-token'), 'mop_');

/**
 * Every service, the projectors, the relay and the gateway in one process: what `npm start`
 * runs. The same code serves each service in its own process: src/processes/ holds one entry
 * point per service, composed the same way.
 */
export async function startPlatform(env: Env, log: Logger): Promise<Platform> {
  const runtime = await startRuntime(env, log, { embedded: true, appName: 'mandant-platform' });
  let stores: ReadStores | null = null;
  try {
    stores = await createReadStores(env, { appUrl: runtime.appUrl, sql: runtime.sql, masterKey: masterKey(env, true) });
    const client = await createRpcClient(runtime.rpc);
    const { embedders, embedding } = embeddingSetup(env, log);
    const deps: PlatformDeps = {
      sql: runtime.sql,
      store: runtime.store,
      clock: systemClock,
      log,
      waitForViews: platformViewsWait(runtime.sql, log),
      stores,
      embedders,
      env,
      rpc: client,
    };
    const storeProjections = Object.values(documentProjections(stores));
    const services = await runServices(runtime, allServices(deps), log, storeProjections);
    const storeProjectors = services.projectors.slice(-storeProjections.length);
    const worker = await startIngestionWorker({
      sql: runtime.sql,
      store: runtime.store,
      transport: runtime.events,
      stores,
      clock: systemClock,
      log,
      embedders,
    });
    const token = operatorToken(env);
    const single = env.SINGLE_TENANT_MODE ? await ensureSingleTenant(client, log) : null;
    const defaults = single ? { tenant_id: single.tenant_id, project_id: single.project_id } : null;
    const gateway = await createGateway({
      config: {
        operatorToken: token,
        jwt: {
          hs256Secret: env.JWT_HS256_SECRET,
          jwksUrl: env.JWT_JWKS_URL,
          issuer: env.JWT_ISSUER,
          audience: env.JWT_AUDIENCE,
          maxLifetimeSeconds: env.JWT_MAX_LIFETIME_SECONDS,
          registerOnFirstUse: env.JWT_REGISTER_ON_FIRST_USE,
        },
        metricsToken: env.MANDANT_METRICS_TOKEN,
        metricsTopTenants: env.MANDANT_METRICS_TOP_TENANTS,
        session: { secret: env.MANDANT_SESSION_SECRET, cookieSecure: env.MANDANT_COOKIE_SECURE, trustProxy: env.MANDANT_TRUST_PROXY },
        console: { dir: consoleDirSetting(env.MANDANT_CONSOLE_DIR, BUILT_CONSOLE) },
        singleTenantPrincipal: single?.principal ?? null,
        bodyLimitBytes: env.MAX_BODY_BYTES,
        limits: { leaseMs: env.RATE_LIMIT_LEASE_MS, usageFlushMs: env.USAGE_FLUSH_MS },
        uploads: {
          blobs: stores.blobs,
          maxBytes: env.MAX_UPLOAD_BYTES,
          inFlightPerTenant: env.UPLOADS_IN_FLIGHT_PER_TENANT,
          inFlight: env.UPLOADS_IN_FLIGHT,
        },
        timeouts: {
          headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
          requestMs: env.HTTP_REQUEST_TIMEOUT_MS,
          uploadIdleMs: env.UPLOAD_IDLE_TIMEOUT_MS,
        },
      },
      rpc: client,
      log,
      // the embedding model is a detail, not a check: a degraded model still serves (lexically)
      ready: async () => ({ ...(await runtime.ready()), details: { embedding } }),
    });
    const url = await gateway.listen(env.PORT, env.HOST);
    // /healthz, /readyz and /metrics for probes and the Prometheus scrape: not the public port
    const healthUrl = await gateway.listenHealth(env.HEALTH_PORT, env.HOST);
    const readStores = stores;
    return {
      url,
      healthUrl,
      operatorToken: token,
      runtime,
      stores,
      storeProjectors,
      defaults,
      async stop() {
        await gateway.close();
        await client.close();
        await worker.stop();
        for (const p of storeProjectors) await p.stop();
        await services.stop();
        await readStores.close();
        await runtime.stop();
      },
    };
  } catch (err) {
    await stores?.close();
    await runtime.stop();
    throw err;
  }
}
