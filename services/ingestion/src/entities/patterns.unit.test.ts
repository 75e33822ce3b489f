import { describe, expect, it } from 'vitest';
import { findEmails, findUrls, parseAmount } from './patterns.ts';

describe('findUrls', () => {
  it('drops sentence punctuation and unmatched closing brackets, keeps balanced ones', () => {
    const text = 'See https://de.wikipedia.org/wiki/Wirecard_(Unternehmen). Or (www.example.org/a/b?x=1), or http://EXAMPLE.org/.';
    expect(findUrls(text).map((m) => [m.name, m.normalised])).toEqual([
      ['https://de.wikipedia.org/wiki/Wirecard_(Unternehmen)', 'de.wikipedia.org/wiki/Wirecard_(Unternehmen)'],
      ['www.example.org/a/b?x=1', 'example.org/a/b?x=1'],
      ['http://EXAMPLE.org/', 'example.org'],
    ]);
  });
});

describe('findEmails', () => {
  it('finds addresses with international domains and ignores a bare @handle', () => {
    expect(findEmails('Write to presse@müller-bau.de or @reporter on social media.').map((m) => m.normalised)).toEqual([
      'presse@müller-bau.de',
    ]);
  });
});

describe('parseAmount', () => {
  it('reads thousands and decimal separators the way the writer meant them', () => {
    expect(parseAmount('1,500,000', false)).toBe(1_500_000);
    expect(parseAmount('1.500.000', false)).toBe(1_500_000);
    expect(parseAmount('1.500,50', false)).toBe(1500.5);
    expect(parseAmount('1,500.50', false)).toBe(1500.5);
    expect(parseAmount('1,5', true)).toBe(1.5);
    expect(parseAmount('2.5', true)).toBe(2.5);
    expect(parseAmount('1.500', false)).toBe(1500);
    expect(parseAmount("1'250'000", false)).toBe(1_250_000);
  });
});
