import { setTimeout as sleep } from 'node:timers/promises';
import type { EventMeta, NewEvent } from '@mandant/contracts';
import { type Decider, fold } from '../decider.ts';
import { VersionConflictError } from '../errors.ts';
import type { AppendOptions, EventStore } from '../eventstore/event-store.ts';
import { uuidv7 } from '../ids.ts';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

type Shaped = { type: string; data: object };

export interface CommandResult<State> {
  state: State;
  /** tenant_seq of the last event appended (or the tenant's current head when nothing changed) */
  position: number;
  appended: number;
}

/** Tries of a command whose append meets a concurrent writer, the first included. */
export const COMMAND_ATTEMPTS = 6;

/**
 * The wait before try `attempt + 1`: random, up to 10 ms after the first conflict and doubling
 * after each (at most ~310 ms in all), so a retry does not fall in step with a writer that appends
 * in a burst, as the ingestion worker does to a document it processes.
 */
export const conflictBackoffMs = (attempt: number, random: () => number = Math.random): number => random() * 5 * 2 ** attempt;

/**
 * The whole write path of a use case: load the aggregate's stream, fold it, decide, stamp ids and
 * time on the new events, append with the version that was read. A concurrent writer makes the
 * append fail with a version conflict; the command is then decided again on fresh state, after a
 * short random wait (up to COMMAND_ATTEMPTS tries), so callers only see conflicts that persist.
 */
export async function runCommand<State, Command, Event extends Shaped>(deps: {
  store: EventStore;
  clock: Clock;
  decider: Decider<State, Command, Event>;
  tenantId: string;
  stream: string;
  projectId: string | null;
  command: Command;
  meta: EventMeta;
  /** extra checks/claims inside the append transaction, given the events about to be written */
  beforeCommit?: (events: Event[]) => AppendOptions['beforeCommit'];
  /** waits between tries (tests pass one that does not wait) */
  wait?: (ms: number) => Promise<void>;
}): Promise<CommandResult<State>> {
  const { store, decider } = deps;
  for (let attempt = 1; ; attempt++) {
    const { version, events } = await store.readStream(deps.tenantId, deps.stream);
    const state = fold(decider, events as unknown as Event[]);
    const decided = decider.decide(deps.command, state);
    if (decided.length === 0) return { state, position: await store.head(deps.tenantId), appended: 0 };
    const now = deps.clock.now().toISOString();
    const stamped: NewEvent[] = decided.map((e) => ({
      id: uuidv7(),
      type: e.type,
      project_id: deps.projectId,
      occurred_at: now,
      data: e.data as Record<string, unknown>,
    }));
    try {
      const res = await store.append(deps.tenantId, deps.stream, version, stamped, deps.meta, {
        beforeCommit: deps.beforeCommit?.(decided),
      });
      return { state: decided.reduce(decider.evolve, state), position: res.position, appended: res.events.length };
    } catch (err) {
      // an offboarded tenant's append is refused by the event store itself, as not_found
      if (!(err instanceof VersionConflictError) || attempt >= COMMAND_ATTEMPTS) throw err;
    }
    await (deps.wait ?? ((ms: number) => sleep(ms)))(conflictBackoffMs(attempt));
  }
}

/** The metadata every event of a request carries: who, and the request's tracing ids. */
export function requestEventMeta(ctx: { meta: { correlation_id: string; traceparent: string | null } }, actor: string): EventMeta {
  return { actor, correlation_id: ctx.meta.correlation_id, causation_id: null, traceparent: ctx.meta.traceparent };
}
