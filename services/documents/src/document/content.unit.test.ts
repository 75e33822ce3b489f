import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutText } from './content.ts';

describe('cutting a long text to the answer size', () => {
  it('keeps a text within the bound whole and unflagged', () => {
    expect(cutText('Acme Holdings', 13)).toEqual({ text: 'Acme Holdings', truncated: false });
  });

  it('cuts a longer one at the bound, never inside a surrogate pair', () => {
    expect(cutText('ab😀cd', 3)).toEqual({ text: 'ab', truncated: true });
    expect(cutText('ab😀cd', 4)).toEqual({ text: 'ab😀', truncated: true });
  });

  it('answers a prefix within the bound that ends on a whole character, for any text and bound', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 1, max: 200 }), (text, max) => {
        const cut = cutText(text, max);
        expect(text.startsWith(cut.text)).toBe(true);
        expect(cut.text.length).toBeLessThanOrEqual(max);
        expect(cut.truncated).toBe(text.length > max);
        expect(cut.text.length).toBeGreaterThanOrEqual(Math.min(text.length, max - 1));
        if (cut.truncated) expect(/[\uD800-\uDBFF]$/.test(cut.text) && /^[\uDC00-\uDFFF]/.test(text.slice(cut.text.length))).toBe(false);
      }),
    );
  });
});
