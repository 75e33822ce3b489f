import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { safeErrorText } from './dead-letters.ts';

const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 500 };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('the error text a dead letter keeps', () => {
  it('keeps a Postgres message with its names, and the message of a plain error', () => {
    expect(safeErrorText(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(
      'invalid byte sequence for encoding "UTF8": 0x00',
    );
    expect(
      safeErrorText(new Error('insert or update on table "test_deferred" violates foreign key constraint "test_deferred_ref_fkey"')),
    ).toBe('insert or update on table "test_deferred" violates foreign key constraint "test_deferred_ref_fkey"');
    expect(safeErrorText(new Error('this event cannot be projected'))).toBe('this event cannot be projected');
  });

  it('blanks quoted input, which may be document content', () => {
    expect(safeErrorText(new Error('invalid input syntax for type uuid: "Maria Gonzalez paid"'))).toBe(
      'invalid input syntax for type uuid: "…"',
    );
    expect(safeErrorText(new SyntaxError(`Unexpected token 'S', "Secret memo" is not valid JSON`))).toBe(
      `Unexpected token 'S', "…" is not valid JSON`,
    );
  });

  it('renders a ZodError as paths and messages, never the input', () => {
    const parsed = z.object({ data: z.object({ title: z.string() }) }).safeParse({ data: { title: 42, secret: 'Maria' } });
    expect(parsed.success).toBe(false);
    expect(safeErrorText(parsed.error)).toBe('data.title: Invalid input: expected string, received number');
  });

  it('always gives storable text of at most 300 characters, whatever the error holds', () => {
    const message = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u0000', '\uD800', '\uDC00', '"', "'", '\n', '\u007f'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 700,
    });
    const thrown = fc.oneof(
      message.map((m) => new Error(m)),
      message,
      fc.constant(null),
      fc.constant(undefined),
      fc.integer(),
      message.map((m) => ({ message: m, name: 'ZodError', issues: [{ path: ['a', 0], message: m }] })),
    );
    fc.assert(
      fc.property(thrown, (err) => {
        const text = safeErrorText(err);
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThanOrEqual(300);
        expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(text).not.toMatch(LONE_SURROGATE);
      }),
      runs,
    );
  });
});
