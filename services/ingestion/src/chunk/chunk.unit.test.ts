import { describe, expect, it } from 'vitest';
import { chunkText, type Chunk } from './chunk.ts';

function expectSpansPointIntoInput(text: string, chunks: readonly Chunk[]): void {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.text.trim()).toBe(c.text);
    expect(c.text.length).toBeGreaterThan(0);
  });
}

const sentence = (n: number): string => `Sentence number ${n} talks about the Beta GmbH in Berlin.`;
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

  it('cuts at paragraph breaks when they fall in the second half of the target', () => {
    // each paragraph ~230 characters: two never fit in 400, one always fills more than half
    const paragraphs = [paragraph(0, 4), paragraph(10, 4), paragraph(20, 4)];
    const text = paragraphs.join('\n\n');
    const chunks = chunkText(text, { targetChars: 400, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.map((c) => c.text)).toEqual(paragraphs);
  });

  it('packs short paragraphs together up to the target', () => {
    const paragraphs = [paragraph(0, 1), paragraph(10, 1), paragraph(20, 1), paragraph(30, 1)];
    const text = paragraphs.join('\n\n');
    const chunks = chunkText(text, { targetChars: 130, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.map((c) => c.text)).toEqual([paragraphs.slice(0, 2).join('\n\n'), paragraphs.slice(2).join('\n\n')]);
  });

  it('cuts at a sentence end when no paragraph break fits', () => {
    const text = paragraph(0, 30);
    const chunks = chunkText(text, { targetChars: 300, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(c.text).toMatch(/^Sentence number \d+ .*Berlin\.$/);
    }
  });

  it('does not end a sentence at an abbreviation or an initial', () => {
    const text = `${'word '.repeat(20)}Dr. Anna Schmidt met J. Smith today. ${'tail '.repeat(20)}`;
    const chunks = chunkText(text, { targetChars: 140, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks[0]?.text.endsWith('today.')).toBe(true);
  });

  it('cuts at line breaks (CSV rows) before falling back to spaces', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `Name: Person ${i}; Firma: Beta GmbH; Betrag: ${i * 100}`);
    const text = rows.join('\n');
    const chunks = chunkText(text, { targetChars: 250, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    for (const c of chunks) expect(c.text.split('\n').every((line) => rows.includes(line))).toBe(true);
  });

  it('cuts at spaces in text without punctuation and hard-cuts a single endless word', () => {
    const words = 'wort '.repeat(100).trim();
    const wordChunks = chunkText(words, { targetChars: 52, overlapChars: 0 });
    expectSpansPointIntoInput(words, wordChunks);
    expect(wordChunks.every((c) => /^(wort )*wort$/.test(c.text))).toBe(true);

    const blob = 'x'.repeat(250);
    const blobChunks = chunkText(blob, { targetChars: 100, overlapChars: 0 });
    expect(blobChunks.map((c) => [c.start, c.end])).toEqual([
      [0, 100],
      [100, 200],
      [200, 250],
    ]);
  });

  it('never splits a surrogate pair on a hard cut', () => {
    const text = '😀'.repeat(60);
    const chunks = chunkText(text, { targetChars: 51, overlapChars: 0 });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.every((c) => c.text.length % 2 === 0)).toBe(true);
    expect(chunks.map((c) => c.text).join('')).toBe(text);
  });

  it('overlaps consecutive chunks by at most overlapChars, starting at a sentence start', () => {
    const text = paragraph(0, 40);
    const chunks = chunkText(text, { targetChars: 300, overlapChars: 120 });
    expectSpansPointIntoInput(text, chunks);
    expect(chunks.length).toBeGreaterThan(3);
    for (const [i, cur] of chunks.entries()) {
      const prev = chunks[i - 1];
      if (prev === undefined) continue;
      expect(cur.start).toBeLessThan(prev.end);
      expect(prev.end - cur.start).toBeLessThanOrEqual(120);
      expect(cur.start).toBeGreaterThan(prev.start);
      expect(cur.text.startsWith('Sentence number')).toBe(true);
    }
  });

  it('covers the whole text: every non-space character is in some chunk', () => {
    const text = [paragraph(0, 7), paragraph(50, 2), 'x'.repeat(500), paragraph(80, 11)].join('\n\n');
    const chunks = chunkText(text, { targetChars: 200, overlapChars: 40 });
    expectSpansPointIntoInput(text, chunks);
    const covered = new Array<boolean>(text.length).fill(false);
    for (const c of chunks) for (let i = c.start; i < c.end; i++) covered[i] = true;
    expect([...text].every((ch, i) => covered[i] === true || /\s/.test(ch))).toBe(true);
  });

  it('is deterministic', () => {
    const text = [paragraph(0, 20), paragraph(30, 25)].join('\n\n');
    expect(chunkText(text)).toEqual(chunkText(text));
  });

  it('uses 1200 characters with 150 overlap by default', () => {
    const text = paragraph(0, 100);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(4);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeLessThanOrEqual(1200);
    expect(Math.min(...chunks.slice(0, -1).map((c) => c.text.length))).toBeGreaterThanOrEqual(600);
  });

  it('rejects an overlap of half the target or more', () => {
    expect(() => chunkText('x', { targetChars: 100, overlapChars: 51 })).toThrow(RangeError);
    expect(() => chunkText('x', { targetChars: 1 })).toThrow(RangeError);
  });
});
