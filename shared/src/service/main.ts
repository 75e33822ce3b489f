import { createServer } from 'node:http';
import { readEnv } from '../env.ts';
import { createLogger } from '../log.ts';
import { type Projector, startProjector } from '../projection/projector.ts';
import { serveRpc } from '../rpc/rpc.ts';
import { systemClock } from './command.ts';
import { stopOnSignals } from './shutdown.ts';
import { startRuntime } from './runtime.ts';
import type { Service, ServiceDeps } from './service.ts';

/**
 * Runs one service as its own process: needs DATABASE_URL (or DATABASE_APP_URL) and NATS_URL.
 * Liveness and readiness answer on HEALTH_PORT for the orchestrator's probes.
 */
export async function runServiceProcess(name: string, build: (deps: ServiceDeps) => Service): Promise<void> {
  const env = readEnv();
  const log = createLogger({ level: env.LOG_LEVEL, name: `mandant-${name}` });
  const runtime = await startRuntime(env, log, { embedded: false, appName: `mandant-${name}` });
  const service = build({ sql: runtime.sql, store: runtime.store, clock: systemClock, log });
  const server = await serveRpc({ service: service.name, handlers: service.handlers, transport: runtime.rpc, log });
  const projectors: Projector[] = service.projections.map((projection) => startProjector({ sql: runtime.sql, projection, log, transport: runtime.events }));

  const health = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.url === '/readyz') {
      void runtime.ready().then((r) => res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)));
      return;
    }
    res.writeHead(404).end();
  }).listen(env.HEALTH_PORT);
  log.info({ service: name, health_port: env.HEALTH_PORT, ...runtime.describe }, 'service started');

  stopOnSignals(log, async () => {
    health.close();
    for (const p of projectors) await p.stop();
    await server.close();
    await runtime.stop();
  });
}
