import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EXCLUDED_TERMS, MAX_QUERY_WORDS, parseQuery, rankByTerms, termScore } from './query.ts';

const w = (text: string) => ({ text, phrase: false });
const p = (text: string) => ({ text, phrase: true });

describe('query text', () => {
  it('reads words, quoted phrases and exclusions; drops a bare OR and terms without a letter or digit', () => {
    expect(parseQuery('Boris "Petrov payment" -leak -"offshore trust" OR or & -- ()')).toEqual({
      terms: [w('Boris'), p('Petrov payment')],
      excluded: [w('leak'), p('offshore trust')],
    });
  });

  it('runs an unclosed quote to the end, and takes control characters for white space', () => {
    expect(parseQuery('"offshore leaks')).toEqual({ terms: [p('offshore leaks')], excluded: [] });
    expect(parseQuery('acme\u0000holdings\u0007\uE000 \uD800')).toEqual({ terms: [w('acme'), w('holdings')], excluded: [] });
  });

  it('leaves out bare function words when the query has other terms, never inside a phrase', () => {
    expect(parseQuery('how to train a puppy').terms).toEqual([w('train'), w('puppy')]);
    expect(parseQuery('Wer ist der Eigentümer der Nordwind').terms).toEqual([w('Eigentümer'), w('Nordwind')]);
    expect(parseQuery('"the payment" to Petrov').terms).toEqual([p('the payment'), w('Petrov')]);
    expect(parseQuery('to be or not to be').terms).toEqual([w('to'), w('be'), w('not')]);
    expect(parseQuery('payment -the').excluded).toEqual([w('the')]);
  });

  it('keeps a term once, whatever its case', () => {
    expect(parseQuery('Acme acme ACME "acme"').terms).toEqual([w('Acme'), p('acme')]);
  });

  it(`counts the first ${MAX_QUERY_WORDS} words (a phrase's words each) and ${MAX_EXCLUDED_TERMS} exclusions`, () => {
    const many = Array.from({ length: 30 }, (_, i) => `w${i}`);
    expect(parseQuery(many.join(' ')).terms.map((t) => t.text)).toEqual(many.slice(0, MAX_QUERY_WORDS));
    expect(parseQuery(`"${many.join(' ')}"`).terms).toEqual([p(many.slice(0, MAX_QUERY_WORDS).join(' '))]);
    expect(parseQuery(many.map((x) => `-${x}`).join(' ')).excluded).toHaveLength(MAX_EXCLUDED_TERMS);
  });

  it('never throws, and never yields a term without a word, quotes, control characters or more words than counted', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (q) => {
        const { terms, excluded } = parseQuery(q);
        const words = terms.reduce((n, t) => n + (t.text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0), 0);
        expect(words).toBeLessThanOrEqual(MAX_QUERY_WORDS);
        expect(excluded.length).toBeLessThanOrEqual(MAX_EXCLUDED_TERMS);
        for (const t of [...terms, ...excluded]) {
          expect(t.text).toMatch(/[\p{L}\p{N}]/u);
          expect(t.text).not.toMatch(/["\p{Cc}\p{Cs}]/u);
          if (!t.phrase) expect(t.text).not.toMatch(/^-|\s/u);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('ranking by terms matched', () => {
  const h = (id: string, relevance: number) => ({ id, relevance });

  it('puts hits with every term first, then hits in more term lists, then the more relevant', () => {
    const ranked = rankByTerms([h('all', 0.2)], [[h('one', 0.99), h('two', 0.5), h('all', 0.9)], [h('two', 0.4)], [h('three', 0.7)]]);
    expect(ranked.map((r) => [r.hit.id, r.matched])).toEqual([
      ['all', 3],
      ['two', 2],
      ['one', 1],
      ['three', 1],
    ]);
    expect(ranked[0]?.relevance).toBe(0.9);
  });

  it('scores the share of terms matched, refined by relevance, so more terms always score higher', () => {
    expect(termScore(3, 3, 1)).toBe(1);
    expect(termScore(1, 1, 0.4)).toBe(0.4);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, a, b) => {
          for (let m = 1; m < n; m++) expect(termScore(m + 1, n, a)).toBeGreaterThanOrEqual(termScore(m, n, b));
        },
      ),
    );
  });
});
