import type { Logger } from '../log.ts';
import type { Sql } from './connect.ts';

export interface StatisticsKeeper {
  /** Analyses now what has gone stale; resolves with the tables analysed. */
  check(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Keeps the planner's statistics current on a server that does not (autovacuum off): every
 * `everyMs` it asks `mandant_analyze_stale()` (migration 270) to analyse the tables whose rows
 * changed past autovacuum's threshold, from a sample of 3,000 rows each (migration 290: a rough
 * picture, cheap enough to renew while the platform runs at full rate). Without statistics the projectors' statements that find a
 * page's rows among a tenant's are planned as scans of all of them, and the pipeline falls behind
 * as the corpus grows. With autovacuum on the function does nothing. Several processes may run
 * one; the function lets one analyse at a time.
 */
export function keepStatistics(deps: { sql: Sql; log: Logger; everyMs?: number }): StatisticsKeeper {
  const { sql, log } = deps;
  const everyMs = deps.everyMs ?? 15_000;
  let stopped = false;
  let running: Promise<string[]> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function check(): Promise<string[]> {
    running ??= sql<{ t: string }[]>`select t from mandant_analyze_stale() as t`
      .then((rows) => {
        const tables = rows.map((r) => r.t);
        if (tables.length > 0) log.debug({ tables }, 'planner statistics renewed');
        return tables;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      check()
        .catch((err: unknown) => log.warn({ err }, 'could not renew planner statistics; will try again'))
        .finally(schedule);
    }, everyMs);
    timer.unref();
  }
  schedule();

  return {
    check,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
