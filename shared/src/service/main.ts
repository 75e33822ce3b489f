import { createServer } from 'node:http';
import { readEnv } from '../env.ts';
import { createLogger } from '../log.ts';
import { type Projector, startProjector } from '../projection/projector.ts';
import { serveRpc } from '../rpc/rpc.ts';
import { systemClock } from './command.ts';
import { stopOnSignals } from './shutdown.ts';
import type { Env } from '../env.ts';
import { type Runtime, masterKey, startRuntime } from './runtime.ts';
import { type ReadStores, createReadStores } from '../stores/read-stores.ts';
import type { Service, ServiceDeps } from './service.ts';

/**
 * Runs one service as its own process: needs DATABASE_URL (or DATABASE_APP_URL) and NATS_URL.
 * Liveness and readiness answer on HEALTH_PORT for the orchestrator's probes.
 */
export interface ServiceProcessOptions {
  /** build the read stores (vectors, text, graph, sealed blobs) from the environment */
  stores?: boolean;
  /** background work beside the message patterns and projectors (e.g. the ingestion worker) */
  start?: (deps: ServiceDeps & { stores: ReadStores | null; env: Env; runtime: Runtime }) => Promise<{ stop(): Promise<void> }>;
}

export async function runServiceProcess(name: string, build: (deps: ServiceDeps & { stores: ReadStores | null }) => Service | Service[], opts: ServiceProcessOptions = {}): Promise<void> {
  const env = readEnv();
  const log = createLogger({ level: env.LOG_LEVEL, name: `mandant-${name}` });
  const runtime = await startRuntime(env, log, { embedded: false, appName: `mandant-${name}` });
  const stores = opts.stores ? await createReadStores(env, { appUrl: runtime.appUrl, sql: runtime.sql, masterKey: masterKey(env, false) }) : null;
  const built = build({ sql: runtime.sql, store: runtime.store, clock: systemClock, log, stores });
  const services = Array.isArray(built) ? built : [built];
  const servers = await Promise.all(services.filter((s) => Object.keys(s.handlers).length > 0).map((s) => serveRpc({ service: s.name, handlers: s.handlers, transport: runtime.rpc, log, sql: runtime.sql })));
  const background = await opts.start?.({ sql: runtime.sql, store: runtime.store, clock: systemClock, log, stores, env, runtime });
  const projectors: Projector[] = services.flatMap((s) => s.projections).map((projection) => startProjector({ sql: runtime.sql, projection, log, transport: runtime.events }));

  const health = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.url === '/readyz') {
      // a readiness check that throws is "not ready", never an unhandled rejection
      void runtime.ready().catch(() => ({ ok: false })).then((r) => res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)));
      return;
    }
    res.writeHead(404).end();
  }).listen(env.HEALTH_PORT);
  log.info({ service: name, health_port: env.HEALTH_PORT, ...runtime.describe }, 'service started');

  stopOnSignals(log, async () => {
    health.close();
    await background?.stop();
    for (const p of projectors) await p.stop();
    for (const server of servers) await server.close();
    await stores?.close();
    await runtime.stop();
  });
}
