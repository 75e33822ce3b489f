import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contracts from '@mandant/contracts';
import { invalidValue, validValue } from './hostile-values.ts';

/** Every object schema the contracts export: the inputs the property-based suites draw from. */
const inputs = Object.entries(contracts).filter(([name, s]) => name.endsWith('Input') && s instanceof z.ZodObject) as [
  string,
  z.ZodObject,
][];

describe('hostile values read off zod schemas', () => {
  it("finds the contracts' input schemas", () => {
    expect(inputs.length).toBeGreaterThan(20);
  });

  it.each(inputs)('%s: every valid value parses', (_name, schema) => {
    fc.assert(
      fc.property(validValue(schema), (value) => {
        const parsed = schema.safeParse(value);
        if (!parsed.success) throw new Error(`${JSON.stringify(value)}: ${parsed.error.message}`);
      }),
      { numRuns: 60 },
    );
  });

  it.each(inputs)('%s: a value with one fault of type, range, format, key or presence is refused', (_name, schema) => {
    fc.assert(
      fc.property(
        invalidValue(schema).filter((v) => v.kind !== 'unstorable'),
        ({ value }) => {
          expect(schema.safeParse(value).success).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('puts unstorable characters into keys and values at any depth', () => {
    const schema = z.strictObject({ name: z.string().max(20), settings: z.record(z.string(), z.unknown()) });
    const seen = { key: false, deep: false };
    fc.assert(
      fc.property(
        invalidValue(schema).filter((v) => v.kind === 'unstorable'),
        ({ value, path }) => {
          const text = JSON.stringify(value);
          expect(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(text)).toBe(true);
          if (path.split('.').length > 2) seen.deep = true;
          if (/[\u0000\ud800-\udfff]/.test(path.split('.').at(-1) ?? '')) seen.key = true;
        },
      ),
      { numRuns: 400 },
    );
    expect(seen).toEqual({ key: true, deep: true });
  });
});
