import { DomainError } from '../errors.ts';

/**
 * What the database says when it refuses an append, as an expected outcome of the append that
 * carried it. `sqlstate` is Postgres's error code; the message never repeats the refused value
 * (it may be anything a client sent).
 */
type RejectionCode = 'validation.failed' | 'conflict' | 'not_found';

export class AppendRejectedError extends DomainError {
  constructor(
    code: RejectionCode,
    message: string,
    readonly sqlstate: string,
  ) {
    super(code, message, { sqlstate });
  }
}

/** Codes of our own, raised by mandant_append and its triggers (see shared/migrations). */
const OWN: Record<string, [RejectionCode, string]> = {
  // the tombstone is the tenant's last event: an offboarded tenant answers like a missing one
  MD003: ['not_found', 'tenant not found'],
};

/** Known codes with a message of their own; the rest of their class gets the class's. */
const KNOWN: Record<string, string> = {
  '22P05': 'the event log cannot store a string of this append (such as one holding U+0000)',
  '22P02': 'a value of this append is malformed for the event log (such as a string with an unpaired surrogate, or an id that is no UUID)',
  '23502': 'a field the event log requires is missing from this append',
  '23505': 'an event id of this append is stored already or repeats within it',
  '23514': 'a value of this append breaks a rule of the event log',
  '54000': 'a value of this append is too large for the event log',
};

const CLASS: Record<string, [RejectionCode, string]> = {
  // data exception: a value the database cannot take as it is
  '22': ['validation.failed', 'a value of this append cannot be stored in the event log'],
  // integrity constraint violation
  '23': ['validation.failed', 'this append breaks a rule of the event log'],
  // program limit exceeded: too large, too deep, too many
  '54': ['validation.failed', 'a value of this append is too large for the event log'],
};

/**
 * The typed error for a database error that the appended data caused (what another append,
 * without that data, would not meet), or null for anything else: connection loss, a server
 * shutting down, out of resources, a bug. Group commit relies on it: a rejection isolates the
 * append that caused it, anything else fails the whole group as it is.
 */
export function appendRejection(err: unknown): AppendRejectedError | null {
  const sqlstate = (err as { code?: unknown } | null)?.code;
  // postgres.js puts the SQLSTATE in `code`; its own client errors use longer names (CONNECTION_CLOSED, …)
  if (typeof sqlstate !== 'string' || sqlstate.length !== 5) return null;
  const own = OWN[sqlstate];
  if (own) return new AppendRejectedError(own[0], own[1], sqlstate);
  const cls = CLASS[sqlstate.slice(0, 2)];
  if (!cls) return null;
  const code = sqlstate === '23505' ? 'conflict' : cls[0];
  return new AppendRejectedError(code, KNOWN[sqlstate] ?? cls[1], sqlstate);
}
