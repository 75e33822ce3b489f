import { describe, expect, it } from 'vitest';
import { extractEntities, type EntityType, type Mention } from './extract.ts';

const pick = (mentions: readonly Mention[], type: EntityType): string[] => mentions.filter((m) => m.type === type).map((m) => m.name);
const keys = (mentions: readonly Mention[], type: EntityType): string[] => mentions.filter((m) => m.type === type).map((m) => m.normalised);

describe('extractEntities on newsroom snippets', () => {
  const wirecard =
    'Die Staatsanwaltschaft München ermittelt gegen den früheren Vorstandschef der Wirecard AG, Markus Braun. ' +
    'Laut Oberstaatsanwalt Klaus Meier flossen 1,9 Milliarden Euro über Konten in Singapur und auf den Philippinen.';

  it('finds German organisations, persons after roles, places and amounts', () => {
    const found = extractEntities(wirecard);
    expect(pick(found, 'organisation')).toEqual(['Staatsanwaltschaft München', 'Wirecard AG']);
    expect(pick(found, 'person')).toEqual(['Markus Braun', 'Klaus Meier']);
    expect(pick(found, 'place')).toEqual(['Singapur', 'Philippinen']);
    expect(keys(found, 'money')).toEqual(['EUR 1900000000']);
  });

  it('gives spans that point at the text as written, sorted and not overlapping', () => {
    const found = extractEntities(wirecard);
    for (const m of found) expect(wirecard.slice(m.start, m.end)).toBe(m.name);
    for (let i = 1; i < found.length; i++) expect(found[i]?.start).toBeGreaterThanOrEqual(found[i - 1]?.end ?? 0);
  });

  it('finds English organisations by legal form and keyword, and particles in names', () => {
    const text =
      'Ursula von der Leyen met executives of Deutsche Bank and Goldman Sachs & Co. LLC in Brussels on Tuesday. ' +
      'The Bank of England said it had fined HSBC Holdings plc £63.9 million.';
    const found = extractEntities(text);
    expect(pick(found, 'person')).toEqual(['Ursula von der Leyen']);
    expect(pick(found, 'organisation')).toEqual(['Deutsche Bank', 'Goldman Sachs & Co. LLC', 'Bank of England', 'HSBC Holdings plc']);
    expect(pick(found, 'place')).toEqual(['Brussels']);
    expect(keys(found, 'money')).toEqual(['GBP 63900000']);
  });

  it('finds contact details: international phone, e-mail, URL, with canonical keys', () => {
    const text =
      'Dr. Jürgen Müller-Lüdenscheidt, Geschäftsführer der Müller Bau GmbH & Co. KG, ist unter +49 (0)30 1234 5678 ' +
      'oder J.Mueller@Mueller-Bau.de erreichbar. Details: https://www.Mueller-Bau.de/presse/2024.';
    const found = extractEntities(text);
    expect(found.map((m) => [m.type, m.name, m.normalised])).toEqual([
      ['person', 'Jürgen Müller-Lüdenscheidt', 'jurgen muller ludenscheidt'],
      ['organisation', 'Müller Bau GmbH & Co. KG', 'muller bau gmbh & co kg'],
      ['phone', '+49 (0)30 1234 5678', '+493012345678'],
      ['email', 'J.Mueller@Mueller-Bau.de', 'j.mueller@mueller-bau.de'],
      ['url', 'https://www.Mueller-Bau.de/presse/2024', 'mueller-bau.de/presse/2024'],
    ]);
  });

  it('finds US and national phone formats but not dates or amounts', () => {
    const text = 'Call 202-555-0143 or +1 (202) 555-0199, in Berlin 030/2345678. Am 12.03.2024 kamen 1.250.000 Besucher.';
    expect(
      extractEntities(text)
        .filter((m) => m.type === 'phone')
        .map((m) => m.normalised),
    ).toEqual(['2025550143', '+12025550199', '0302345678']);
  });

  it('reads amounts in English and German notation, with symbols, codes and scale words', () => {
    const text =
      'Transfers of $2.5bn, €1.5m, USD 300k, 500.000 €, EUR 1.250.000,50, 2,3 Mio. Euro, 10 Mrd. Dollar and ' +
      '£1,200 were flagged; also CHF 75 000 and 1.500 Franken.';
    expect(keys(extractEntities(text), 'money')).toEqual([
      'USD 2500000000',
      'EUR 1500000',
      'USD 300000',
      'EUR 500000',
      'EUR 1250000.50',
      'EUR 2300000',
      'USD 10000000000',
      'GBP 1200',
      'CHF 75',
      'CHF 1500',
    ]);
  });

  it('takes a single surname after a title, and drops the title from name and key', () => {
    const found = extractEntities('Herr Schmidt bestätigte den Eingang, sagte Prof. Dr. Anna Weber.');
    expect(found.filter((m) => m.type === 'person').map((m) => [m.name, m.normalised])).toEqual([
      ['Schmidt', 'schmidt'],
      ['Anna Weber', 'anna weber'],
    ]);
  });

  it('does not take sentence starters, months or lone capitalised nouns for names', () => {
    const found = extractEntities(
      'Gestern Abend tagte der Ausschuss. The Committee met in September. Die Firma bestätigte. According To Reports nothing changed.',
    );
    expect(found.filter((m) => ['person', 'organisation'].includes(m.type))).toEqual([]);
  });

  it('keeps an organisation whose name starts with a role or title word whole', () => {
    const found = extractEntities('Shares of General Motors fell, while Dr. Oetker GmbH and Minister Habeck said nothing.');
    expect(found.map((m) => [m.type, m.name])).toEqual([
      ['organisation', 'General Motors'],
      ['organisation', 'Dr. Oetker GmbH'],
      ['person', 'Habeck'],
    ]);
  });

  it('keeps the organisation and the person apart across "of", and reads "X lawyers" as a firm', () => {
    const found = extractEntities('Joe Kaeser of Siemens AG spoke with Mossack Fonseca lawyers in Panama City.');
    expect(found.map((m) => [m.type, m.name])).toEqual([
      ['person', 'Joe Kaeser'],
      ['organisation', 'Siemens AG'],
      ['organisation', 'Mossack Fonseca'],
      ['place', 'Panama City'],
    ]);
  });

  it('normalises names so spellings of one entity meet: case, accents, ß, dots, hyphens', () => {
    const a = extractEntities('Treffen mit Jürgen Groß-Weiß von der Alpha S.A. heute.');
    const b = extractEntities('We meet Jurgen Gross-Weiss of ALPHA SA tomorrow.');
    expect(keys(a, 'organisation')).toEqual(['alpha sa']);
    expect(keys(b, 'organisation')).toEqual(['alpha sa']);
    expect(keys(a, 'person')).toEqual(['jurgen gross weiss']);
    expect(keys(b, 'person')).toEqual(['jurgen gross weiss']);
  });

  it('finds nothing in text without entities', () => {
    expect(extractEntities('nothing to see here, just lower-case words and 42 numbers.')).toEqual([]);
  });
});
