import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractEntities, type Mention } from './extract.ts';
import { ORG_SUFFIXES, ORG_TAIL_WORDS, ROLES, STOPWORDS, TITLES } from './gazetteer.ts';
import { normaliseName } from './normalise.ts';

const typed = (text: string): string[][] =>
  extractEntities(text)
    .filter((m) => ['person', 'organisation', 'place'].includes(m.type))
    .map((m) => [m.type, m.name]);

describe('entity typing by shape and context', () => {
  it('types "Nordwind Shipping" an organisation, not a person (the reported case)', () => {
    expect(typed('Prosecutors in Hamburg accuse Nordwind Shipping of hiding fuel surcharges.')).toEqual([
      ['place', 'Hamburg'],
      ['organisation', 'Nordwind Shipping'],
    ]);
    expect(extractEntities('Invoices of Nordwind Shipping').map((m) => [m.type, m.normalised])).toEqual([
      ['organisation', 'nordwind shipping'],
    ]);
  });

  it('takes legal forms in lower case and in parts ("plc", "S.à r.l."), and ends a registry line at the legal form', () => {
    expect(typed('Registre: Aurelia Invest S.à r.l., gérant Marc Dumont.')).toEqual([
      ['organisation', 'Aurelia Invest S.à r.l.'],
      ['person', 'Marc Dumont'],
    ]);
    expect(typed('Company name: NORDWIND SHIPPING LIMITED Registered office: Isle of Man')).toEqual([
      ['organisation', 'NORDWIND SHIPPING LIMITED'],
      ['place', 'Isle of Man'],
    ]);
    // "limited" in prose closes nothing
    expect(typed('Osprey Capital Partners LP, a Delaware limited partnership')).toEqual([
      ['organisation', 'Osprey Capital Partners LP'],
      ['place', 'Delaware'],
    ]);
  });

  it('types a name without legal form by its context: "the company X", "X\'s board", "director of X", "die Firma X"', () => {
    expect(typed('The company Castellan denied it.')).toEqual([['organisation', 'Castellan']]);
    expect(typed("Castellan's board approved the sale.")).toEqual([['organisation', 'Castellan']]);
    expect(typed('Hallberg, a former director of Castellan, now lives in Marbella.')).toEqual([
      ['person', 'Hallberg'],
      ['organisation', 'Castellan'],
      ['place', 'Marbella'],
    ]);
    expect(typed('Die Firma Nordwind hat ihren Sitz in Bremen.')).toEqual([
      ['organisation', 'Nordwind'],
      ['place', 'Bremen'],
    ]);
    expect(typed("Dalton's lawyers at Baker Finch appealed.")).toEqual([
      ['person', 'Dalton'],
      ['organisation', 'Baker Finch'],
    ]);
  });

  it('types persons by titles, "said X", greetings, registry layout and earlier mentions', () => {
    expect(typed('Thanks Peter, I spoke with Mrs. Oduya and Mrs. Sydney Park.')).toEqual([
      ['person', 'Peter'],
      ['person', 'Oduya'],
      ['person', 'Sydney Park'],
    ]);
    expect(typed('Die Reederei hat gekündigt, sagte Wagner.')).toEqual([['person', 'Wagner']]);
    const registry = extractEntities('DIRECTOR: LINDQVIST, Karin Appointed 12/03/2019');
    expect(registry.map((m) => [m.type, m.name, m.normalised])).toEqual([['person', 'LINDQVIST, Karin', 'karin lindqvist']]);
    expect(typed('Craig Dalton founded it. Dalton denies everything.')).toEqual([
      ['person', 'Craig Dalton'],
      ['person', 'Dalton'],
    ]);
  });

  it('keeps people whose names are places apart from the places', () => {
    expect(typed('Paris Hilton was photographed in Paris with Florence Adebayo.')).toEqual([
      ['person', 'Paris Hilton'],
      ['place', 'Paris'],
      ['person', 'Florence Adebayo'],
    ]);
  });

  it('finds organisations known by name, but lets a legal form that follows make the name longer', () => {
    expect(typed('Gazprom and HSBC Holdings plc were named by OFAC; Wirecard AG collapsed.')).toEqual([
      ['organisation', 'Gazprom'],
      ['organisation', 'HSBC Holdings plc'],
      ['organisation', 'OFAC'],
      ['organisation', 'Wirecard AG'],
    ]);
  });

  it('does not make places of German set phrases after "nach" or "in"', () => {
    expect(typed('Nach Angaben der Behörde trat das Gesetz in Kraft.')).toEqual([]);
  });
});

// ---- generated input ----------------------------------------------------------------------

const NOT_NAME_WORDS = new Set([...STOPWORDS, ...TITLES, ...ROLES, ...ORG_SUFFIXES, ...ORG_TAIL_WORDS]);
const capitalisedWord = fc
  .tuple(fc.constantFrom(...'ABCDEFGHIJKLMNOPRSTUVWZÄÖÜ'), fc.stringMatching(/^[a-zäöüß]{2,9}$/))
  .map(([a, b]) => a + b)
  .filter((w) => !NOT_NAME_WORDS.has(normaliseName(w)));
const suffix = fc.constantFrom(
  'GmbH',
  'AG',
  'Ltd',
  'Ltd.',
  'LLC',
  'Inc.',
  'plc',
  'S.A.',
  'SA',
  'S.à r.l.',
  'GmbH & Co. KG',
  'LLP',
  'Holdings',
  'Shipping',
  'Logistics',
  'Trading',
);
const context = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('said', 'Dr.', 'Mr', 'Minister', 'Herr', 'Dear', 'the company', 'director of', 'in', 'Anna', 'von der', 'CEO'),
);

describe('extractEntities on generated text', () => {
  it('never throws, and every span points at its name in the input, sorted and not overlapping', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.lorem({ maxCount: 40 })),
        (text) => {
          const found: Mention[] = extractEntities(text);
          for (const m of found) {
            expect(m.start).toBeGreaterThanOrEqual(0);
            expect(m.end).toBeLessThanOrEqual(text.length);
            expect(text.slice(m.start, m.end)).toBe(m.name);
          }
          for (let i = 1; i < found.length; i++) expect(found[i]?.start).toBeGreaterThanOrEqual(found[i - 1]?.end ?? 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never types a capitalised phrase with a legal form or business word at its end a person, whatever stands around it', () => {
    fc.assert(
      fc.property(
        context,
        fc.array(capitalisedWord, { minLength: 1, maxLength: 3 }),
        suffix,
        fc.constantFrom(', ', '. ', ' '),
        context,
        (before, words, legal, sep, after) => {
          const phrase = `${words.join(' ')} ${legal}`;
          const text = `${before} ${phrase}${sep}${after}`;
          const start = before.length + 1;
          const end = start + phrase.length;
          const persons = extractEntities(text).filter((m) => m.type === 'person' && m.start < end && start < m.end);
          expect(persons).toEqual([]);
          // and it is found as an organisation
          expect(extractEntities(text).some((m) => m.type === 'organisation' && m.start < end && start < m.end)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
