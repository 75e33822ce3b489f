import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Sql, createSql } from '../db/connect.ts';
import { migrate, prepareAppRole } from '../db/migrate.ts';
import { keepStatistics } from '../db/statistics.ts';
import type { Env } from '../env.ts';
import { type EventStore, createEventStore } from '../eventstore/event-store.ts';
import type { Logger } from '../log.ts';
import { type OutboxRelay, startOutboxRelay } from '../outbox/relay.ts';
import { createInProcessHub } from '../rpc/in-process.ts';
import type { RpcTransport } from '../rpc/rpc.ts';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.ts';
import { findNatsServer, startNatsServer } from '../runtime/nats-server.ts';
import type { EventTransport } from '../transport/event-transport.ts';
import { createInProcessTransport } from '../transport/in-process.ts';
import { refuseUnprovisionedTenants } from './provisioned-tenants.ts';
import { createJetStreamTransport } from '../transport/jetstream.ts';

/** A random secret generated on first use and kept (0600) in `file`. */
export function persistentSecret(file: string, prefix = ''): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = `${prefix}${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The master key that wraps the tenants' data keys: `MANDANT_MASTER_KEY`, else (all-in-one
 * only) one generated on first start and kept beside the embedded data. Losing it loses every
 * sealed document, like destroying every tenant's key.
 */
export function masterKey(env: Env, embedded: boolean): string {
  if (env.MANDANT_MASTER_KEY) return env.MANDANT_MASTER_KEY;
  if (!embedded) throw new Error('MANDANT_MASTER_KEY is required (32 bytes, base64)');
  const file = join(env.MANDANT_DATA_DIR, 'master-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** What every Mandant process stands on: the database, the event log, both transports, the relay. */
export interface Runtime {
  sql: Sql;
  /** the runtime role's connection URL, for pools of its own (read stores) */
  appUrl: string;
  store: EventStore;
  events: EventTransport;
  rpc: RpcTransport;
  relay: OutboxRelay;
  /** which engines were chosen, for the start-up banner and /readyz */
  describe: { database: string; nats: string };
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  stop(): Promise<void>;
}

/**
 * Chooses and starts the engines. Postgres: `DATABASE_APP_URL` as given, else `DATABASE_URL`
 * (migrated, runtime role prepared), else a real Postgres started in `MANDANT_DATA_DIR` when
 * `embedded` is allowed. NATS: `NATS_URL`, else a local nats-server on PATH, else in-process
 * (or in-process on request with `NATS_URL=in-process`)
 * (only when `embedded`: separate processes cannot share an in-process transport).
 */
export async function startRuntime(env: Env, log: Logger, opts: { embedded: boolean; appName: string }): Promise<Runtime> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => log.warn({ err }, 'stop failed'));
  };
  try {
    let ownerUrl = env.DATABASE_URL;
    let database = 'postgres (DATABASE_URL)';
    if (!ownerUrl && !env.DATABASE_APP_URL) {
      if (!opts.embedded) throw new Error('DATABASE_URL or DATABASE_APP_URL is required');
      mkdirSync(env.MANDANT_DATA_DIR, { recursive: true });
      const pg = await startEmbeddedPostgres({ dataDir: join(env.MANDANT_DATA_DIR, 'postgres'), log });
      stops.push(() => pg.stop());
      ownerUrl = pg.url;
      database = `embedded postgres (${join(env.MANDANT_DATA_DIR, 'postgres')})`;
    }
    let appUrl = env.DATABASE_APP_URL;
    if (ownerUrl && !appUrl) {
      if (env.MANDANT_MIGRATE) await migrate(ownerUrl, log);
      // the embedded server asks every role for a password: the runtime role gets its own, kept beside the data
      const password =
        env.MANDANT_APP_DB_PASSWORD ?? (env.DATABASE_URL ? undefined : persistentSecret(join(env.MANDANT_DATA_DIR, 'app-db-password')));
      appUrl = await prepareAppRole(ownerUrl, password);
    }
    if (!appUrl) throw new Error('no database URL');
    const sql = createSql(appUrl, { max: env.DATABASE_POOL_MAX, appName: opts.appName });
    stops.push(() => sql.end({ timeout: 5 }));
    // readiness asks on a connection of its own: a pool busy with a backlog (projectors catching
    // up) is working, not unready, and the probe must not queue behind that work
    const probeSql = createSql(appUrl, { max: 1, appName: `${opts.appName}-health` });
    stops.push(() => probeSql.end({ timeout: 5 }));

    // `NATS_URL=in-process` asks for the in-process transport even when a nats-server is at hand
    const forceInProcess = env.NATS_URL === 'in-process';
    if (forceInProcess && !opts.embedded) throw new Error('the in-process transport serves only the all-in-one platform');
    let natsUrl = forceInProcess ? undefined : env.NATS_URL;
    let nats = natsUrl ? `nats (${natsUrl})` : '';
    if (!natsUrl && opts.embedded && !forceInProcess) {
      const binary = findNatsServer();
      if (binary) {
        const server = await startNatsServer({ binary, storeDir: join(env.MANDANT_DATA_DIR, 'nats'), log });
        stops.push(() => server.stop());
        natsUrl = server.url;
        nats = `local nats-server (${server.url})`;
      }
    }
    if (!natsUrl && !opts.embedded) throw new Error('NATS_URL is required');
    let events: EventTransport;
    let rpc: RpcTransport;
    if (natsUrl) {
      // a cluster is several URLs, comma-separated: the clients fail over between them
      const servers = natsUrl
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      events = await createJetStreamTransport({ servers, log, name: opts.appName, replicas: env.NATS_STREAM_REPLICAS });
      rpc = { kind: 'nats', servers };
    } else {
      events = createInProcessTransport({ log });
      rpc = { kind: 'in-process', hub: createInProcessHub() };
      nats = 'in-process transport';
    }
    stops.push(() => events.close());

    // services write only into provisioned tenants' logs (see provisioned-tenants.ts)
    const store = refuseUnprovisionedTenants(createEventStore(sql));
    const relay = startOutboxRelay({ sql, transport: events, log, store });
    stops.push(() => relay.stop());
    // planner statistics where the server keeps none (autovacuum off): see keepStatistics
    const statistics = keepStatistics({ sql, log });
    stops.push(() => statistics.stop());

    return {
      sql,
      appUrl,
      store,
      events,
      rpc,
      relay,
      describe: { database, nats },
      async ready() {
        const db = await probeSql`select 1`.then(
          () => true,
          () => false,
        );
        return { ok: db, checks: { postgres: db } };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
