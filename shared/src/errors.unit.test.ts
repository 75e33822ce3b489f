import { describe, expect, it } from 'vitest';
import { isTransient } from './errors.ts';

const pgError = (code: string) => Object.assign(new Error(`postgres ${code}`), { name: 'PostgresError', code });

describe('which failures a projector retries without bound (the event is fine, the store is not)', () => {
  it.each([
    ['08006', 'connection failure'],
    ['57P01', 'admin shutdown'],
    ['53300', 'too many connections'],
    ['53200', 'out of memory'],
    ['ECONNREFUSED', 'refused socket'],
  ])('%s (%s) is transient, also as the cause of another error', (code) => {
    expect(isTransient(pgError(code))).toBe(true);
    expect(isTransient(new Error('store write failed', { cause: pgError(code) }))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['22P02', 'invalid text representation'],
    ['42P01', 'undefined table'],
  ])('%s (%s) is charged to the event', (code) => {
    expect(isTransient(pgError(code))).toBe(false);
  });
});
