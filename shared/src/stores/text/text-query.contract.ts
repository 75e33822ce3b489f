import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { TextDocument, TextIndex } from './port.ts';
import { MAX_QUERY_WORDS } from './query.ts';

/**
 * How every TextIndex adapter reads query text (part of `describeTextIndex`, run inside its
 * describe block): any term finds, more terms rank first, phrases and exclusions hold, and no
 * text, however hostile, throws or hangs. Words are far apart in spelling and never prefixes of
 * one another, so Meilisearch's typo tolerance and prefix search change nothing.
 */
export function describeTextQueries(ctx: {
  index: () => TextIndex;
  newTenant: () => Promise<string>;
  doc: (p?: Partial<TextDocument>) => TextDocument;
}): void {
  const { index, newTenant, doc } = ctx;
  const ids = (hits: Array<{ id: string }>): string[] => hits.map((h) => h.id);

  it('finds documents with any of the words, those with every word first, then those with more', async () => {
    const t = await newTenant();
    const every = doc({ content: 'Boris Petrov approved the payment on Friday.' });
    const two = doc({ content: 'Boris Petrov met the officials.' });
    const last = doc({ content: 'A payment was wired overnight.' });
    const first = doc({ content: 'Boris left early.' });
    await index().upsert(t, [last, first, two, every, doc()]);
    const hits = await index().search(t, 'Boris Petrov payment', { limit: 10 });
    expect(ids(hits.slice(0, 2))).toEqual([every.id, two.id]);
    expect(new Set(ids(hits.slice(2)))).toEqual(new Set([last.id, first.id]));
    expect(hits.map((h) => h.matched_terms)).toEqual([3, 2, 1, 1]);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores[0] ?? 0).toBeGreaterThan(scores[1] ?? 0);
    expect(scores[1] ?? 0).toBeGreaterThan(Math.max(scores[2] ?? 0, scores[3] ?? 0));
    // the word order decides nothing
    expect(ids((await index().search(t, 'payment Petrov Boris', { limit: 2 })).slice(0, 1))).toEqual([every.id]);
  });

  it('keeps quoted phrases together, never shows excluded words or phrases, and a bare OR is no word', async () => {
    const t = await newTenant();
    const phrase = doc({ content: 'The offshore leaks reached Malta.' });
    const apart = doc({ content: 'Leaks about offshore trusts.' });
    const plain = doc({ content: 'Offshore accounts in Malta.' });
    await index().upsert(t, [phrase, apart, plain]);
    const find = async (q: string) => ids(await index().search(t, q, { limit: 10 }));
    expect(await find('"offshore leaks"')).toEqual([phrase.id]);
    expect(new Set(await find('offshore -leaks'))).toEqual(new Set([plain.id]));
    expect(new Set(await find('offshore -"offshore leaks"'))).toEqual(new Set([apart.id, plain.id]));
    expect((await find('"offshore leaks" Malta'))[0]).toBe(phrase.id);
    expect(new Set(await find('"offshore leaks" Malta'))).toEqual(new Set([phrase.id, plain.id]));
    expect(new Set(await find('trusts OR accounts'))).toEqual(new Set([apart.id, plain.id]));
    for (const q of ['-offshore', '-"offshore leaks"', 'OR', '"" - -- ()', '&|!:*']) expect(await find(q), q).toEqual([]);
  });

  it(`counts the first ${MAX_QUERY_WORDS} words of a long query`, async () => {
    const t = await newTenant();
    const early = doc({ content: 'the ledger' });
    const late = doc({ content: 'the zeppelin' });
    await index().upsert(t, [early, late]);
    const filler = Array.from({ length: MAX_QUERY_WORDS - 1 }, (_, i) => `filler${i}`).join(' ');
    expect(ids(await index().search(t, `${filler} ledger zeppelin`, { limit: 10 }))).toEqual([early.id]);
  });

  // a small corpus and queries over its words: what each adapter answers is what the syntax says
  const VOCABULARY = ['walrus', 'quintet', 'bazooka', 'lemonade', 'pyramid', 'saxophone'] as const;
  type Word = (typeof VOCABULARY)[number];
  type Term = { words: Word[]; excluded: boolean };
  const render = (t: Term) => `${t.excluded ? '-' : ''}${t.words.length > 1 ? `"${t.words.join(' ')}"` : (t.words[0] ?? '')}`;
  const contains = (text: Word[], phrase: Word[]) => text.some((_, i) => phrase.every((w, j) => text[i + j] === w));
  const word = fc.constantFrom(...VOCABULARY);
  const term: fc.Arbitrary<Term> = fc.record({
    words: fc.oneof(fc.tuple(word), fc.tuple(word, word)),
    excluded: fc.boolean(),
  });

  it('answers generated queries as the syntax says: any term finds, excluded terms never, more terms matched first', async () => {
    const t = await newTenant();
    const texts: Word[][] = fc.sample(fc.shuffledSubarray([...VOCABULARY], { minLength: 1 }), { numRuns: 12, seed: 7 });
    const docs = texts.map((words) => doc({ content: words.join(' ') }));
    await index().upsert(t, docs);
    const words = new Map(docs.map((d, i) => [d.id, texts[i] ?? []]));
    await fc.assert(
      fc.asyncProperty(fc.array(term, { minLength: 1, maxLength: 4 }), async (terms) => {
        const wanted = terms.filter((x) => !x.excluded);
        const matched = (text: Word[]) => new Set(wanted.filter((x) => contains(text, x.words)).map(render)).size;
        const expected = docs
          .filter((d) => {
            const text = words.get(d.id) ?? [];
            return matched(text) > 0 && !terms.some((x) => x.excluded && contains(text, x.words));
          })
          .map((d) => d.id);
        const hits = await index().search(t, terms.map(render).join(' '), { limit: 20 });
        expect(new Set(ids(hits))).toEqual(new Set(expected));
        const counts = hits.map((h) => matched(words.get(h.id) ?? []));
        expect(counts).toEqual([...counts].sort((a, b) => b - a));
        expect(hits.map((h) => h.matched_terms)).toEqual(counts);
      }),
      { numRuns: 60 },
    );
  });

  it('never throws or hangs on hostile text: operators only, unbalanced quotes, thousands of words, control characters', async () => {
    const t = await newTenant();
    await index().upsert(t, [doc({ content: 'offshore "leaks" and more' }), doc({ content: 'a ledger of payments' })]);
    const piece = fc.oneof(
      fc.constantFrom('"', '-', '--', 'OR', 'or', 'AND', 'NOT', '(', ')', '&', '|', '!', ':*', '<->', '\\', "'", '*', '%', '_', '~', '^'),
      fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\uE000', '\uE001', '\uD800', '\uDFFF', '\u200b', '\uFEFF', '\n', '\t'),
      fc.constantFrom('offshore', 'leaks', 'ledger', 'payments', '🙂', 'Müller', '東京', 'x'.repeat(3_000)),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const hostile = fc.oneof(
      fc.array(piece, { maxLength: 40 }).map((ps) => ps.join('')),
      fc.array(piece, { maxLength: 40 }).map((ps) => ps.join(' ')),
      fc
        .array(fc.constantFrom('offshore', 'ledger', '-leaks', '"and', 'more"', 'zzz'), { minLength: 1_000, maxLength: 3_000 })
        .map((ws) => ws.join(' ')),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (q) => {
        const hits = await index().search(t, q, { limit: 5 });
        expect(Array.isArray(hits)).toBe(true);
        for (const h of hits) expect(h.score).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 80 },
    );
  });
}
