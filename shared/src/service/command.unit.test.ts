import type { EventMeta } from '@mandant/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decider } from '../decider.ts';
import { VersionConflictError } from '../errors.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { COMMAND_ATTEMPTS, conflictBackoffMs, runCommand, systemClock } from './command.ts';

type Counted = { type: 'counted.v1'; data: { n: number } };
/** A stream of counters: a command to count appends the next number after the stream's last one. */
const counter: Decider<number, 'count', Counted> = {
  initialState: () => 0,
  evolve: (_, e) => e.data.n,
  decide: (_, state) => [{ type: 'counted.v1', data: { n: state + 1 } }],
};
const meta: EventMeta = { actor: 'user:test', correlation_id: 'c', causation_id: null, traceparent: null };

/**
 * One stream in memory with a concurrent writer: before each of the command's first `racing`
 * appends lands, the writer appends an event of its own, so that append meets a version conflict.
 */
function racedStore(racing: number) {
  const stream: { type: string; data: { n: number } }[] = [];
  let raced = 0;
  const store = {
    async readStream() {
      return { version: stream.length, events: stream.map((e) => ({ ...e })) };
    },
    async head() {
      return stream.length;
    },
    async append(_tenant: string, name: string, expected: number, events: { type: string; data: Record<string, unknown> }[]) {
      if (raced < racing) {
        raced += 1;
        stream.push({ type: 'counted.v1', data: { n: stream.length + 1 } });
      }
      if (expected !== stream.length) throw new VersionConflictError(name, expected, stream.length);
      for (const e of events) stream.push({ type: e.type, data: e.data as { n: number } });
      return { position: stream.length, events };
    },
  } as unknown as EventStore;
  return { store, stream };
}

describe('runCommand against a concurrent writer', () => {
  const run = (store: EventStore, waits: number[]) =>
    runCommand({
      store,
      clock: systemClock,
      decider: counter,
      tenantId: '00000000-0000-4000-8000-000000000001',
      stream: 'counter',
      projectId: null,
      command: 'count' as const,
      meta,
      wait: async (ms) => {
        waits.push(ms);
      },
    });

  it('decides again on fresh state until its append lands, and only a conflict that outlasts every try reaches the caller', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: COMMAND_ATTEMPTS + 2 }), async (racing) => {
        const { store, stream } = racedStore(racing);
        const waits: number[] = [];
        if (racing < COMMAND_ATTEMPTS) {
          const res = await run(store, waits);
          // the writer's events stay, and the command's comes after them, decided on them
          expect(stream.map((e) => e.data.n)).toEqual(Array.from({ length: racing + 1 }, (_, i) => i + 1));
          expect(res).toMatchObject({ state: racing + 1, appended: 1, position: racing + 1 });
          expect(waits).toHaveLength(racing);
        } else {
          await expect(run(store, waits)).rejects.toBeInstanceOf(VersionConflictError);
          expect(stream.map((e) => e.data.n)).toEqual(Array.from({ length: COMMAND_ATTEMPTS }, (_, i) => i + 1));
          expect(waits).toHaveLength(COMMAND_ATTEMPTS - 1);
        }
        // each wait is random within a window that doubles from 10 ms
        waits.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(5 * 2 ** (i + 1)));
      }),
    );
  });

  it('waits at random, at most 10 ms after the first conflict and twice as long after each one after it', () => {
    expect(conflictBackoffMs(1, () => 0)).toBe(0);
    expect(conflictBackoffMs(1, () => 1)).toBe(10);
    expect(conflictBackoffMs(5, () => 1)).toBe(160);
    const total = Array.from({ length: COMMAND_ATTEMPTS - 1 }, (_, i) => conflictBackoffMs(i + 1, () => 1)).reduce((a, b) => a + b, 0);
    expect(total).toBe(310);
  });
});
