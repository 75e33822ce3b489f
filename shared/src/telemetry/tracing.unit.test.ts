import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTraceparent, linksTo, parseTraceparent } from './tracing.ts';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

describe('traceparent parsing', () => {
  it('takes a valid W3C traceparent and gives it back unchanged', () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.constantFrom('00', '01'), (traceId, spanId, flags) => {
        fc.pre(/[1-9a-f]/.test(traceId) && /[1-9a-f]/.test(spanId));
        const tp = `00-${traceId}-${spanId}-${flags}`;
        const sc = parseTraceparent(tp);
        expect(sc).toMatchObject({ traceId, spanId, isRemote: true });
        expect(sc && formatTraceparent(sc)).toBe(tp);
      }),
    );
  });

  it('refuses anything else without throwing: hostile headers and meta never make a span context', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'0123456789abcdef-') })), (value) => {
        fc.pre(!/^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/.test(value));
        expect(parseTraceparent(value)).toBeNull();
        expect(linksTo([value])).toEqual([]);
      }),
    );
    for (const v of [null, undefined, '', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'1'.repeat(32)}-${'0'.repeat(16)}-01`])
      expect(parseTraceparent(v)).toBeNull();
  });

  it('links each distinct trace once', () => {
    const a = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const b = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    expect(linksTo([a, null, a, b, 'junk']).map((l) => l.context.traceId)).toEqual(['a'.repeat(32), 'c'.repeat(32)]);
  });
});
