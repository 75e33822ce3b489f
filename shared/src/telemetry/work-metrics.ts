import { Counter, Registry, SampledValue } from './metrics.ts';

/**
 * The work one process did, served on its health port (`GET /metrics`, see service/main.ts).
 * Replicas of a service share work through JetStream durables and NATS queue groups; these
 * counters say how much of it each replica took, so a platform team can see the spread (and
 * that the replicas' counts add up to the work, not more). Counts are this process's since it
 * started; Prometheus sums them over replicas and across restarts (`rate`, `increase`).
 *
 * No tenant ids in these series: their number is unbounded. The projector label is the
 * checkpoint key (`name@vN`), as in the gateway's `mandant_projector_lag_events`, so the two join.
 */
export interface WorkMetrics {
  registry: Registry;
  /** events a projector applied to its read model, counted once their page committed */
  projectorEventsApplied: Counter;
  /** pages (one transaction each) that moved a projector's checkpoint */
  projectorPages: Counter;
  /** documents the ingestion worker finished, by outcome: processed, failed, or skipped (nothing left to do) */
  ingestionDocuments: Counter;
}

export type IngestionOutcome = 'processed' | 'failed' | 'skipped';
export const INGESTION_OUTCOMES: readonly IngestionOutcome[] = ['processed', 'failed', 'skipped'];

/** One registry per process (or per runner under test): never module-level, so two never mix counts. */
export function createWorkMetrics(): WorkMetrics {
  const registry = new Registry();
  const started = Date.now() / 1000;
  registry.register(
    new SampledValue('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge', () => process.memoryUsage.rss()),
  );
  registry.register(
    new SampledValue('process_cpu_seconds_total', 'User and system CPU time spent in seconds', 'counter', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }),
  );
  registry.register(
    new SampledValue('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds', 'gauge', () => started),
  );
  return {
    registry,
    projectorEventsApplied: registry.register(
      new Counter(
        'mandant_projector_events_applied_total',
        'Events this process applied to a read model (counted after the page committed)',
        ['projector'],
      ),
    ),
    projectorPages: registry.register(
      new Counter('mandant_projector_pages_total', 'Pages this process committed that moved a projector checkpoint', ['projector']),
    ),
    ingestionDocuments: registry.register(
      new Counter('mandant_ingestion_documents_total', "Documents this process's ingestion worker finished, by outcome", ['outcome']),
    ),
  };
}
