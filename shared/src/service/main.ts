import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readEnv } from '../env.ts';
import { type Logger, createLogger } from '../log.ts';
import { type Projector } from '../projection/projector.ts';
import { startProjectors } from '../projection/group.ts';
import { serveRpc } from '../rpc/rpc.ts';
import { systemClock } from './command.ts';
import { drainHttp, stopOnSignals, trackInFlight } from './shutdown.ts';
import type { Env } from '../env.ts';
import { type Runtime, masterKey, startRuntime } from './runtime.ts';
import { type ReadStores, createReadStores } from '../stores/read-stores.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/metrics.ts';
import { type WorkMetrics, createWorkMetrics } from '../telemetry/work-metrics.ts';
import type { Service, ServiceDeps } from './service.ts';
import { waitingForViews } from './views.ts';

/**
 * Runs one service as its own process: needs DATABASE_URL (or DATABASE_APP_URL) and NATS_URL.
 * Liveness and readiness answer on HEALTH_PORT for the orchestrator's probes, and `/metrics`
 * there gives this process's work counters (see telemetry/work-metrics.ts) to a Prometheus
 * scrape. The port is not public, so `/metrics` needs no token on it.
 */
export interface ServiceProcessOptions {
  /** the view projectors (`name@vN`) a write waits for before it answers (read-your-writes) */
  views: readonly string[];
  /** build the read stores (vectors, text, graph, sealed blobs) from the environment */
  stores?: boolean;
  /** background work beside the message patterns and projectors (e.g. the ingestion worker) */
  start?: (
    deps: ServiceDeps & { stores: ReadStores | null; env: Env; runtime: Runtime; metrics: WorkMetrics },
  ) => Promise<{ stop(): Promise<void> }>;
}

export async function runServiceProcess(
  name: string,
  build: (deps: ServiceDeps & { stores: ReadStores | null }) => Service | Service[],
  opts: ServiceProcessOptions,
): Promise<void> {
  const env = readEnv();
  const log = createLogger({ level: env.LOG_LEVEL, name: `mandant-${name}` });
  const runtime = await startRuntime(env, log, { embedded: false, appName: `mandant-${name}` });
  const stores = opts.stores
    ? await createReadStores(env, { appUrl: runtime.appUrl, sql: runtime.sql, masterKey: masterKey(env, false) })
    : null;
  const waitForViews = waitingForViews(runtime.sql, log, opts.views);
  const built = build({ sql: runtime.sql, store: runtime.store, clock: systemClock, log, waitForViews, stores });
  const services = Array.isArray(built) ? built : [built];
  const servers = await Promise.all(
    services
      .filter((s) => Object.keys(s.handlers).length > 0)
      .map((s) => serveRpc({ service: s.name, handlers: s.handlers, transport: runtime.rpc, log, sql: runtime.sql })),
  );
  const metrics = createWorkMetrics();
  const background = await opts.start?.({
    sql: runtime.sql,
    store: runtime.store,
    clock: systemClock,
    log,
    waitForViews,
    stores,
    env,
    runtime,
    metrics,
  });
  const projectors: Projector[] = startProjectors({
    sql: runtime.sql,
    projections: services.flatMap((s) => s.projections),
    log,
    transport: runtime.events,
    metrics,
  });

  /** set on SIGTERM: readiness answers 503 from then on, so nothing new is routed here */
  let draining = false;
  const health = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/readyz' && draining)
      return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false,"status":"draining"}');
    if (path === '/readyz') {
      // a readiness check that throws is "not ready", never an unhandled rejection
      void runtime
        .ready()
        .catch(() => ({ ok: false }))
        .then((r) => res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)));
      return;
    }
    if (path === '/metrics') return void res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(metrics.registry.render());
    res.writeHead(404).end();
  });
  const healthPort = await listen(trackInFlight(health), env.HEALTH_PORT, log);
  // A launcher of replicas (HEALTH_PORT=0) reads the bound port from this line, so it is written
  // whatever LOG_LEVEL says, unless logs are off altogether.
  const banner = log.isLevelEnabled('info') || env.LOG_LEVEL === 'silent' ? log : log.child({}, { level: 'info' });
  banner.info({ service: name, health_port: healthPort, ...runtime.describe }, 'service started');

  // The drain: readiness turns 503 at once; the message patterns stop taking requests and answer
  // those in flight; background work and projectors finish what they hold (a projector its page
  // in hand; an unacknowledged message is redelivered to another replica); then the stores and
  // connections close. The health port closes last, so probes see the 503 until the end.
  stopOnSignals(log, async () => {
    draining = true;
    await Promise.all(servers.map((server) => server.close()));
    await background?.stop();
    await Promise.all(projectors.map((p) => p.stop()));
    await stores?.close();
    await runtime.stop();
    await drainHttp(health);
  });
}

/** Binds the health port (0: any free one) and resolves with the port bound. */
function listen(server: Server, port: number, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      // once bound, a failing accept (too many open files, …) is logged, never the end of the process
      server.on('error', (err) => log.warn({ err }, 'health port error'));
      resolve((server.address() as AddressInfo).port);
    });
  });
}
