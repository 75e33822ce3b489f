import { describe, expect, it } from 'vitest';
import { highlight, queryTerms } from './snippet.ts';

describe('snippets for vector-only hits', () => {
  it("takes the query's words, lower-cased, without one-letter words", () => {
    expect([...queryTerms('Acme "Holdings" a PAID acme')]).toEqual(['acme', 'holdings', 'paid']);
    expect([...queryTerms('how to find "the Acme ledger" -Panama')]).toEqual(['find', 'the', 'acme', 'ledger']);
  });

  it('marks whole query words, case-insensitively', () => {
    expect(highlight('Acme paid Acmeco and ACME.', queryTerms('acme'))).toBe('<mark>Acme</mark> paid Acmeco and <mark>ACME</mark>.');
  });

  it("escapes the document's markup and drops match sentinels it may contain", () => {
    expect(highlight('<script>alert("acme")</script>\uE000', queryTerms('acme'))).toBe(
      '&lt;script&gt;alert(&quot;<mark>acme</mark>&quot;)&lt;/script&gt;',
    );
  });

  it('cuts long text around the first match at word boundaries, with ellipses', () => {
    const text = `${'lorem ipsum '.repeat(50)}Panama ledger ${'dolor sit '.repeat(50)}`;
    const s = highlight(text, queryTerms('panama'), 80);
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('<mark>Panama</mark> ledger');
    expect(s.length).toBeLessThan(110);
    expect(s).not.toMatch(/…[a-z]{1,4} /);
  });

  it('starts at the beginning when nothing matches', () => {
    expect(highlight('short text', queryTerms('absent'))).toBe('short text');
  });
});
