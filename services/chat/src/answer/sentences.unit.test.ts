import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerWith, extractiveGenerator } from './generate.ts';
import { type Passage } from './passages.ts';
import { splitSentences } from './sentences.ts';

interface Case {
  sentences: string[];
  text?: string;
}
const corpus = (JSON.parse(readFileSync(new URL('./sentences.corpus.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;

/** Numbers as written: 2.5, 1,234.56, 3.000,50, 12.03.2024, 2024-03-12, 12.5%, v2.4.1. */
const NUMBER = /\p{N}+(?:[.,:/-]\p{N}+)*%?/gu;
const numbersIn = (text: string) => text.match(NUMBER) ?? [];
const squash = (s: string) => s.replace(/\s+/gu, ' ').trim();

describe('sentence splitting: the hand-written corpus', () => {
  it('holds at least 60 cases', () => expect(corpus.length).toBeGreaterThanOrEqual(60));

  it.each(corpus.map((c, i) => [i, c.text ?? c.sentences.join(' '), c.sentences] as const))('case %i: %s', (_i, text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });
});

// Sentences built from parts that trip naive splitters: amounts, dates, abbreviations, initials, URLs.
const subject = fc.constantFrom(
  'Acme Holdings',
  'Maria Gonzalez',
  'Mr. J. R. Smith',
  'Dr. Anna Weber',
  'Prof. Dr. Jan Novak',
  'Globex Corp.',
  'Smith & Co. Ltd.',
  'The U.S. Treasury',
  'Banco Nacional S.A.',
  'Die Müller GmbH',
  'St. Mary’s Trust',
);
const verb = fc.constantFrom('paid', 'received', 'moved', 'wired', 'zahlte', 'booked');
const digits = (min: number, max: number) => fc.integer({ min, max }).map(String);
const amount = fc.oneof(
  fc.tuple(digits(0, 999), digits(0, 99)).map(([a, b]) => `${a}.${b.padStart(2, '0')} million USD`),
  fc.tuple(digits(1, 999), digits(0, 999), digits(0, 99)).map(([a, b, c]) => `${a},${b.padStart(3, '0')}.${c.padStart(2, '0')} EUR`),
  fc.tuple(digits(1, 999), digits(0, 999), digits(0, 99)).map(([a, b, c]) => `${a}.${b.padStart(3, '0')},${c.padStart(2, '0')} EUR`),
  fc.tuple(digits(0, 99), digits(0, 9)).map(([a, b]) => `${a}.${b}% of the shares`),
  fc.tuple(digits(1, 99), digits(0, 99)).map(([a, b]) => `$${a}.${b}m`),
  fc.tuple(digits(1, 9), digits(0, 9)).map(([a, b]) => `ca. ${a},${b} Mio. Euro`),
);
const date = fc.oneof(
  fc.tuple(digits(1, 28), digits(1, 12), digits(1990, 2030)).map(([d, m, y]) => `${d.padStart(2, '0')}.${m.padStart(2, '0')}.${y}`),
  fc.tuple(digits(1, 28), fc.constantFrom('Jan.', 'Feb.', 'Oct.', 'Dec.'), digits(1990, 2030)).map(([d, m, y]) => `${d} ${m} ${y}`),
  fc.tuple(digits(1990, 2030), digits(1, 12), digits(1, 28)).map(([y, m, d]) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`),
  fc.tuple(digits(1, 28), fc.constantFrom('März', 'Mai', 'Oktober'), digits(1990, 2030)).map(([d, m, y]) => `am ${d}. ${m} ${y}`),
);
const middle = fc.constantFrom(
  'to Brightwater Ltd. in London',
  'under invoice No. 4711',
  'nach Art. 3 Abs. 2',
  'e.g. in cash',
  'i.e. twice',
  'via https://example.org/files/report.v2.pdf',
  'to jane.doe@example.co.uk',
  'with version 2.4.1 of the tool',
  'at 10 a.m. sharp',
  'bzw. per Scheck',
  '(see p. 12)',
  '',
);
const end = fc.constantFrom('.', '!', '?', '."', '.)');
const sentence = fc
  .tuple(subject, verb, amount, middle, date, end)
  .map(([s, v, a, m, d, e]) =>
    e === '."' ? `"${s} ${v} ${a}${m ? ` ${m}` : ''} on ${d}."` : `${s} ${v} ${a}${m ? ` ${m}` : ''} on ${d}${e}`,
  )
  .map((s) => (s.endsWith('.)') ? `(${s}` : s));
const paragraph = fc.array(sentence, { minLength: 1, maxLength: 6 });

const passage = (n: number, text: string): Passage => ({
  n,
  document_id: `0190a000-0000-7000-8000-${String(200 + n).padStart(12, '0')}`,
  chunk_id: `0190a000-0000-7000-8000-${String(100 + n).padStart(12, '0')}`,
  project_ids: [],
  title: null,
  text,
});

describe('sentence splitting: properties', () => {
  it('recovers generated sentences exactly, whatever numbers, dates and abbreviations they hold', () => {
    fc.assert(
      fc.property(paragraph, fc.constantFrom(' ', '  ', '\n', ' \n '), (sentences, gap) => {
        expect(splitSentences(sentences.join(gap))).toEqual(sentences);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, and every sentence is a verbatim slice of the input, in order', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('.', '!', '?', '…', ' ', '\n', 'a', 'B', '1', '"', ')', '(', 'Mr', 'U.S'), maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        let from = 0;
        for (const s of splitSentences(t)) {
          const at = t.indexOf(s, from);
          expect(at).toBeGreaterThanOrEqual(from);
          expect(s).toBe(s.trim());
          expect(s).not.toBe('');
          from = at + s.length;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('extractive answers never change a fact', () => {
  it('quotes each sentence whole from its cited passage: every number of it unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paragraph, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('paid', 'received', 'Acme Holdings', 'Smith', 'million', 'Treasury', 'Euro'),
        async (paragraphs, question) => {
          const passages = paragraphs.map((p, i) => passage(i + 1, p.join(' ')));
          const answer = await answerWith(extractiveGenerator, { project: null, scope: 'project', question, passages, connections: [] });
          for (const line of answer.content.split('\n')) {
            const marker = /^(.*) \[(\d+)\]$/su.exec(line);
            expect(marker, line).not.toBeNull();
            const [, quoted = '', k = '0'] = marker ?? [];
            const cited = answer.citations[Number(k) - 1];
            const source = passages.find((p) => p.chunk_id === cited?.chunk_id);
            expect(source, `citation [${k}]`).toBeDefined();
            expect(squash(source?.text ?? '')).toContain(squash(quoted));
            // the sentence it quotes, as written, holds exactly the numbers the answer shows
            const original = paragraphs[(source?.n ?? 1) - 1]?.find((s) => squash(s).includes(squash(quoted)));
            expect(original, quoted).toBeDefined();
            expect(numbersIn(quoted)).toEqual(numbersIn(original ?? ''));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('quotes a sentence holding [2] or 2.5 exactly as the document has it', async () => {
    const passages = [passage(1, 'Acme Holdings paid 2.5 million USD under clause [2] of the deal. Nothing else.')];
    const answer = await answerWith(extractiveGenerator, {
      project: null,
      scope: 'project',
      question: 'Acme paid',
      passages,
      connections: [],
    });
    expect(answer.content).toBe('Acme Holdings paid 2.5 million USD under clause [2] of the deal. [1]');
  });

  it('never throws on any passage text or question', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { maxLength: 4 }),
        fc.string(),
        async (texts, question) => {
          const passages = texts.map((t, i) => passage(i + 1, t));
          const answer = await answerWith(extractiveGenerator, { project: null, scope: 'project', question, passages, connections: [] });
          expect(typeof answer.content).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });
});
