import { expect } from 'vitest';
import type { ZodType } from 'zod';
import { type Decider, fold } from '../decider.ts';
import { DomainError } from '../errors.ts';

/**
 * Given/when/then for a decider: `decide(given, command)` returns the events decided, each
 * checked to parse unchanged with the contract schema; `rejection(given, command)` returns the
 * code of the DomainError the command is refused with.
 */
export function deciderSpec<S, C, E>(decider: Decider<S, C, E>, schema: ZodType) {
  function decide(given: E[], command: C): E[] {
    const events = decider.decide(command, fold(decider, given));
    for (const e of events) expect(schema.parse(e)).toEqual(e);
    return events;
  }
  function rejection(given: E[], command: C): string {
    try {
      decide(given, command);
    } catch (err) {
      if (err instanceof DomainError) return err.code;
      throw err;
    }
    throw new Error('expected the command to be rejected');
  }
  return { decide, rejection };
}
