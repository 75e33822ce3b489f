import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, type Chunk } from './chunk.ts';
import { estimateWordPieceTokens } from './token-estimate.ts';

function expectSpansPointIntoInput(text: string, chunks: readonly Chunk[]): void {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.text.trim()).toBe(c.text);
    expect(c.text.length).toBeGreaterThan(0);
  });
}

/** One token per whitespace-separated word: easy to reason about in examples. */
const wordCount = (t: string): number => t.split(/\s+/).filter((w) => w !== '').length;
/** One token per UTF-16 unit, spaces included: a counter that does not add up word by word. */
const charCount = (t: string): number => t.length;

const sentence = (n: number): string => `Sentence number ${n} talks about the Beta GmbH in Berlin.`; // 10 words
const paragraph = (from: number, count: number): string => Array.from({ length: count }, (_, i) => sentence(from + i)).join(' ');

describe('chunkText', () => {
  it('returns one chunk for a short text, trimmed, with its span', () => {
    const text = '\n\n  Ein kurzer Text.  \n';
    expect(chunkText(text)).toEqual([{ index: 0, text: 'Ein kurzer Text.', start: 4, end: 20 }]);
  });

  it('returns no chunks for empty or whitespace-only text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t ')).toEqual([]);
  });

  it('cuts at paragraph breaks when they fall in the second half of the budget', () => {
    // each paragraph 40 words: two never fit in 70, one always fills more than half
    const paragraphs = [paragraph(0, 4), paragraph(10, 4), paragraph(20, 4)];
    const text = paragraphs.join('\n\n');
    const chunks = chunkText(text, { maxTokens: 70, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.map((c) => c.text)).toEqual(paragraphs);
  });

  it('packs short paragraphs together up to the budget', () => {
    const paragraphs = [paragraph(0, 1), paragraph(10, 1), paragraph(20, 1), paragraph(30, 1)];
    const text = paragraphs.join('\n\n');
    const chunks = chunkText(text, { maxTokens: 25, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.map((c) => c.text)).toEqual([paragraphs.slice(0, 2).join('\n\n'), paragraphs.slice(2).join('\n\n')]);
  });

  it('cuts at a sentence end when no paragraph break fits', () => {
    const text = paragraph(0, 30);
    const chunks = chunkText(text, { maxTokens: 55, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    for (const c of chunks) {
      expect(wordCount(c.text)).toBeLessThanOrEqual(55);
      expect(c.text).toMatch(/^Sentence number \d+ .*Berlin\.$/);
    }
  });

  it('does not end a sentence at an abbreviation or an initial', () => {
    const text = `${'word '.repeat(20)}Dr. Anna Schmidt met J. Smith today. ${'tail '.repeat(20)}`;
    const chunks = chunkText(text, { maxTokens: 30, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks[0]?.text.endsWith('today.')).toBe(true);
  });

  it('cuts at line breaks (CSV rows) before falling back to spaces', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `Name: Person ${i}; Firma: Beta GmbH; Betrag: ${i * 100}`);
    const text = rows.join('\n');
    const chunks = chunkText(text, { maxTokens: 45, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.text.split('\n').every((line) => rows.includes(line))).toBe(true);
  });

  it('cuts at spaces in text without punctuation and hard-cuts a single endless word', () => {
    const words = 'wort '.repeat(100).trim();
    const wordChunks = chunkText(words, { maxTokens: 10, overlapTokens: 0, countTokens: wordCount });
    expectSpansPointIntoInput(words, wordChunks);
    expect(wordChunks.map((c) => c.text)).toEqual(new Array<string>(10).fill('wort '.repeat(10).trim()));

    const blob = 'x'.repeat(250);
    const blobChunks = chunkText(blob, { maxTokens: 100, overlapTokens: 0, countTokens: charCount });
    expect(blobChunks.map((c) => [c.start, c.end])).toEqual([
      [0, 100],
      [100, 200],
      [200, 250],
    ]);
  });

  it('cuts a word a tokenizer reads as one unknown token at maxChars', () => {
    const text = `short words first ${'y'.repeat(1000)} and after`;
    const chunks = chunkText(text, { maxTokens: 50, overlapTokens: 10, countTokens: wordCount, maxChars: 300 });
    expectSpansPointIntoInput(text, chunks);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeLessThanOrEqual(300);
    expect(chunks.map((c) => c.text).join('')).toContain('y'.repeat(100));
  });

  it('never splits a surrogate pair on a hard cut', () => {
    const text = '😀'.repeat(60);
    const chunks = chunkText(text, { maxTokens: 51, overlapTokens: 0, countTokens: charCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.every((c) => c.text.length % 2 === 0)).toBe(true);
    expect(chunks.map((c) => c.text).join('')).toBe(text);
  });

  it('overlaps consecutive chunks by at most overlapTokens, starting at a sentence start', () => {
    const text = paragraph(0, 40);
    const chunks = chunkText(text, { maxTokens: 60, overlapTokens: 25, countTokens: wordCount });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.length).toBeGreaterThan(3);
    for (const [i, cur] of chunks.entries()) {
      const prev = chunks[i - 1];
      if (prev === undefined) continue;
      expect(cur.start).toBeLessThan(prev.end);
      expect(wordCount(text.slice(cur.start, prev.end))).toBeLessThanOrEqual(25);
      expect(cur.start).toBeGreaterThan(prev.start);
      expect(cur.text.startsWith('Sentence number')).toBe(true);
    }
  });

  it('drops the overlap when a word longer than the budget follows, instead of repeating chunks', () => {
    const text = `${paragraph(0, 2)} ${'z'.repeat(500)} ${paragraph(5, 2)}`;
    const chunks = chunkText(text, { maxTokens: 40, overlapTokens: 10, countTokens: estimateWordPieceTokens });
    expectSpansPointIntoInput(text, chunks);
    // the long word's pieces, then the rest: no chunk is repeated with the overlap in front of it
    expect(chunks.map((c) => c.start)).toEqual([0, 110, 230, 350, 470, 590, 641]);
  });

  it('covers the whole text: every non-space character is in some chunk', () => {
    const text = [paragraph(0, 7), paragraph(50, 2), 'x'.repeat(500), paragraph(80, 11)].join('\n\n');
    const chunks = chunkText(text, { maxTokens: 40, overlapTokens: 8 });
    expectSpansPointIntoInput(text, chunks);
    const covered = new Array<boolean>(text.length).fill(false);
    for (const c of chunks) for (let i = c.start; i < c.end; i++) covered[i] = true;
    expect([...text].every((ch, i) => covered[i] === true || /\s/.test(ch))).toBe(true);
  });

  it('is deterministic', () => {
    const text = [paragraph(0, 20), paragraph(30, 25)].join('\n\n');
    expect(chunkText(text)).toEqual(chunkText(text));
  });

  it('makes chunks of at most 200 estimated WordPiece tokens by default, most above half of that', () => {
    const text = paragraph(0, 200);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((c) => estimateWordPieceTokens(c.text)))).toBeLessThanOrEqual(200);
    expect(Math.min(...chunks.slice(0, -1).map((c) => estimateWordPieceTokens(c.text)))).toBeGreaterThanOrEqual(100);
  });

  it('rejects an overlap of more than half the budget, and budgets below one', () => {
    expect(() => chunkText('x', { maxTokens: 100, overlapTokens: 51 })).toThrow(RangeError);
    expect(() => chunkText('x', { maxTokens: 0 })).toThrow(RangeError);
    expect(() => chunkText('x', { maxTokens: 10.5 })).toThrow(RangeError);
    expect(() => chunkText('x', { maxChars: 1 })).toThrow(RangeError);
  });
});

/** Text with the shapes documents have: words, sentence ends, line and paragraph breaks, endless words, awkward code points. */
const documentText = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('Anna', 'Schmidt', 'Staatsanwaltschaft', 'the', 'Beta', 'GmbH', '1,9', 'Mrd.', 'Dr.', 'J.') },
      { weight: 3, arbitrary: fc.constantFrom(' ', ' ', '. ', '! ', '\n', '\n\n', '\t', ' \n \n ') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
      { weight: 1, arbitrary: fc.nat({ max: 400 }).map((n) => 'q'.repeat(n)) },
      { weight: 1, arbitrary: fc.constantFrom('😀', '\ud800', '\udc00', '\u0000', '\u200b', '北京市', 'ﬃ') },
    ),
    { maxLength: 300 },
  )
  .map((parts) => parts.join(''));

const counters = fc.constantFrom(
  { name: 'estimate', count: estimateWordPieceTokens },
  { name: 'words', count: wordCount },
  { name: 'chars', count: charCount },
);

describe('chunkText properties', () => {
  it('spans point into the input, every chunk is within the budget, the text is covered, the result is deterministic', () => {
    fc.assert(
      fc.property(
        documentText,
        counters,
        fc.integer({ min: 4, max: 80 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (text, counter, maxTokens, share) => {
          const options = { maxTokens, overlapTokens: Math.floor(maxTokens * share), countTokens: counter.count, maxChars: 500 };
          const chunks = chunkText(text, options);
          expectSpansPointIntoInput(text, chunks);
          for (const c of chunks) {
            // a lone character over the budget is the one thing that cannot be cut shorter
            if (c.text.length > 2) expect(counter.count(c.text)).toBeLessThanOrEqual(maxTokens);
            expect(c.text.length).toBeLessThanOrEqual(500);
          }
          for (const [i, c] of chunks.entries()) if (i > 0) expect(c.start).toBeGreaterThan(chunks[i - 1]?.start ?? -1);
          const covered = new Array<boolean>(text.length).fill(false);
          for (const c of chunks) for (let i = c.start; i < c.end; i++) covered[i] = true;
          for (let i = 0; i < text.length; i++) if (!/\s/.test(text[i] ?? '')) expect(covered[i]).toBe(true);
          expect(chunkText(text, options)).toEqual(chunks);
        },
      ),
      { numRuns: 300 },
    );
  });
});
