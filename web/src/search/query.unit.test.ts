import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateProblem, readSearch, searchBody, snippetParts, unescapeHtml, writeSearch } from './query.ts';

const text = (parts: { text: string }[]) => parts.map((p) => p.text).join('');
const marked = (parts: { text: string; mark: boolean }[]) => parts.filter((p) => p.mark).map((p) => p.text);

describe('search query', () => {
  it('keeps the server marks and marks the query words too, as text', () => {
    const parts = snippetParts('The &lt;b&gt;shell&lt;/b&gt; company <mark>Orinoco</mark> Holdings paid', 'orinoco paid');
    expect(text(parts)).toBe('The <b>shell</b> company Orinoco Holdings paid');
    expect(marked(parts)).toEqual(['Orinoco', 'paid']);
  });

  it('merges overlapping marks and never loses or adds text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (raw, query) => {
        const escaped = raw.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
        const parts = snippetParts(escaped, query);
        expect(text(parts)).toBe(raw);
        for (let i = 1; i < parts.length; i++) expect(parts[i]!.mark && parts[i - 1]!.mark).toBe(false);
      }),
    );
  });

  it('decodes entities and leaves markup as characters', () => {
    expect(unescapeHtml('&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &#39;x&#x27;')).toBe("<script>alert(1)</script> &amp; 'x'");
    expect(text(snippetParts('<img src=x onerror=alert(1)>', ''))).toBe('<img src=x onerror=alert(1)>');
  });

  it('reads what it writes, and defaults what does not parse', () => {
    const s = {
      q: 'Valletta bank',
      mode: 'keyword' as const,
      type: 'pdf',
      from: '2024-01-01',
      to: '2024-12-31',
      entity: 'Orinoco',
      page: 3,
    };
    expect(readSearch(writeSearch(s))).toEqual(s);
    expect(readSearch(new URLSearchParams('mode=bogus&page=-4&type=exe'))).toMatchObject({ mode: 'hybrid', page: 1, type: '' });
    expect(writeSearch(readSearch(new URLSearchParams('q=x'))).toString()).toBe('q=x');
  });

  it('checks dates and sends whole days', () => {
    expect(dateProblem({ from: '2024-02-30', to: '' })).toMatch(/From/);
    expect(dateProblem({ from: '2024-03-01', to: '2024-02-01' })).toMatch(/after/);
    expect(dateProblem({ from: '', to: '' })).toBeNull();
    expect(searchBody({ q: ' x ', mode: 'hybrid', type: '', from: '2024-01-01', to: '2024-01-31', entity: '', page: 2 })).toEqual({
      query: 'x',
      mode: 'hybrid',
      filters: { from: '2024-01-01T00:00:00.000Z', to: '2024-01-31T23:59:59.999Z' },
      limit: 10,
      offset: 10,
    });
  });
});
