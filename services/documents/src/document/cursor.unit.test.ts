import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '@mandant/shared/errors';
import { decodeCursor, encodeCursor } from './cursor.ts';

const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 500 };
const date = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });

describe('document list cursor', () => {
  it('decodes every cursor it issued back to the same position', () => {
    fc.assert(
      fc.property(date, fc.uuid(), (at, id) => {
        expect(decodeCursor(encodeCursor(at, id))).toEqual({ at: at.toISOString(), id });
      }),
      runs,
    );
  });

  it('refuses tampered cursors as a validation failure, never passing on a value SQL could not cast', () => {
    const tampered = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 60 }).map((s) => Buffer.from(s).toString('base64url')),
      fc.tuple(date, fc.uuid(), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, id, pos, junk]) => {
        const valid = encodeCursor(at, id);
        const p = pos % valid.length;
        return valid.slice(0, p) + junk + valid.slice(p + 1);
      }),
      fc.constantFrom(
        'MjAyMHwtLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0t',
        Buffer.from('2020|00000000-0000-0000-0000-000000000000').toString('base64url'),
        Buffer.from('+275760-09-13T00:00:00.000Z|00000000-0000-0000-0000-000000000000').toString('base64url'),
        '',
        '====',
        '\u0000',
        Buffer.from('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url'),
      ),
    );
    fc.assert(
      fc.property(tampered, (cursor) => {
        try {
          const { at, id } = decodeCursor(cursor);
          expect(new Date(at).toISOString()).toBe(at);
          expect(new Date(at).getUTCFullYear()).toBeGreaterThanOrEqual(1);
          expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe('validation.failed');
        }
      }),
      runs,
    );
  });
});
