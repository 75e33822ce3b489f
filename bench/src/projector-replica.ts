/**
 * A second (third, …) process of the pipeline's projectors, for `bench/ceiling.ts`: the same read
 * models on the same database, blob directory and keys, consuming the same JetStream durables, so
 * JetStream spreads the deliveries over the processes as it does over replicas of the platform's
 * projector service. Configured by BENCH_REPLICA (JSON: appUrl, natsUrl, masterKey, blobRoot,
 * sweepMs); prints `ready` once every projector consumes, and stops on SIGTERM.
 */
import { createSql } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { startProjector, startProjectors } from '@mandant/shared/projection';
import { createJetStreamTransport } from '@mandant/shared/transport';
import { createBenchStores } from './harness.ts';
import { benchReadModels, groupedProjectors } from './pipeline.ts';

interface ReplicaConfig {
  appUrl: string;
  natsUrl: string;
  masterKey: string;
  blobRoot: string;
  sweepMs: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_REPLICA ?? '{}') as ReplicaConfig;
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: 'bench-replica' });
  const stores = await createBenchStores(cfg.appUrl, {
    countStatements: false,
    shared: { masterKey: cfg.masterKey, blobRoot: cfg.blobRoot },
  });
  const sql = createSql(cfg.appUrl, { max: 10, appName: 'mandant-bench-replica' });
  const transport = await createJetStreamTransport({ servers: [cfg.natsUrl], log, name: 'mandant-bench-replica' });
  const common = { sql, log, transport, sweepMs: cfg.sweepMs };
  const models = benchReadModels(stores);
  // as the pipeline runs them (BENCH_PROJECTORS), so the replica shares its durables
  const projectors = groupedProjectors()
    ? startProjectors({ ...common, projections: models.map((m) => m.projection) })
    : models.map((m) => startProjector({ ...common, projection: m.projection }));
  console.log('ready');
  const stop = async (): Promise<void> => {
    await Promise.allSettled(projectors.map((p) => p.stop()));
    await transport.close().catch(() => {});
    await sql.end({ timeout: 5 }).catch(() => {});
    await stores.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error('replica failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
