/**
 * Commit-to-visible lag per read model, from commit times and a record of when each projector
 * was first seen at a position (`CheckpointWatch.reachedAt`). Pure, so `bench/lag.ts` and
 * `bench/fairness.ts` count it the same way.
 */

export interface CommittedEvent {
  tenantId: string;
  seq: number;
  type: string;
  committedAt: number;
}

export interface ReadModelLags<C extends CommittedEvent> {
  /** per read model (in the order given): the lag of each event it handles, in ms */
  perModel: number[][];
  /** per event: the lag until the slowest read model had it (every model counts: its checkpoint passes events it ignores too) */
  slowest: Map<C, number>;
}

/**
 * Lag = when the projector was first seen at or past the event's position, minus when its append
 * resolved; 0 when it was visible before the append call returned. An event a projector was never
 * seen to reach counts for no model (the caller reports that the run did not catch up).
 */
export function readModelLags<C extends CommittedEvent>(
  models: ReadonlyArray<{ key: string; handles: (type: string) => boolean }>,
  committed: readonly C[],
  reachedAt: (key: string, tenantId: string, seq: number) => number | undefined,
): ReadModelLags<C> {
  const slowest = new Map<C, number>();
  const perModel = models.map((m) => {
    const lags: number[] = [];
    for (const c of committed) {
      const at = reachedAt(m.key, c.tenantId, c.seq);
      if (at === undefined) continue;
      const lag = Math.max(0, at - c.committedAt);
      slowest.set(c, Math.max(slowest.get(c) ?? 0, lag));
      if (m.handles(c.type)) lags.push(lag);
    }
    return lags;
  });
  return { perModel, slowest };
}

/** "0.83× met" / "1.40× NOT met": a p99 against its goal, or '-' without samples. */
export function versusGoal(p99: number, n: number, goalMs: number): string {
  if (n === 0) return '-';
  return `${(p99 / goalMs).toFixed(2)}× ${p99 < goalMs ? 'met' : 'NOT met'}`;
}
