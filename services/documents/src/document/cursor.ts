import { Instant } from '@mandant/contracts';
import { DomainError } from '@mandant/shared/errors';

/**
 * The document list's page cursor: the last row's `created_at` and id, base64url-encoded. It is
 * opaque to clients but comes back from them, so decoding accepts only what `encodeCursor`
 * writes (the exact ISO timestamp form and a uuid), and anything else, tampered or cut, is a
 * validation failure: the values reach SQL casts, where a timestamp JavaScript parses but
 * Postgres does not ("2020", "Tue 1", the year 0) or a uuid-shaped string of dashes would fail as a 500.
 */
export const encodeCursor = (createdAt: Date, id: string): string => Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function decodeCursor(cursor: string): { at: string; id: string } {
  const text = BASE64URL.test(cursor) ? Buffer.from(cursor, 'base64url').toString('latin1') : '';
  const [at = '', id = '', ...rest] = text.split('|');
  const date = new Date(at);
  const valid = rest.length === 0 && ISO.test(at) && Instant.safeParse(at).success && date.toISOString() === at && UUID.test(id);
  if (!valid)
    throw new DomainError('validation.failed', 'cursor: not a cursor this API issued', {
      issues: [{ path: 'cursor', message: 'not a cursor this API issued' }],
    });
  return { at, id };
}
