/** A container terminal tender in Porto Alvar, a German builder, a Lisbon partner and a minister. */
import type { Storyline } from './kit.ts';

const BRENNHOLT = { name: 'Brennholt Bau AG', iban: 'DE21 3007 0010 0555 1212 00', bank: 'Rheinische Handelsbank AG, Düsseldorf' };
const CASTELLAN = {
  name: 'Castellan Infraestruturas SA',
  iban: 'PT50 0033 0000 4532 1098 7650 5',
  bank: 'Banco Atlântico Comercial, Lisboa',
};
const SOLMAR = { name: 'Solmar Consultoria Lda', iban: 'PT50 0045 1402 3300 0412 9880 1', bank: 'Caixa Regional do Algarve' };

export const porto: Storyline = {
  id: 'porto',
  people: [
    { name: 'Klaus Reinholt', role: 'Vorstand, Brennholt Bau AG' },
    { name: 'Rui Talavera', role: 'minister of infrastructure' },
    { name: 'Inês Talavera', role: 'managing partner, Solmar Consultoria' },
    { name: 'Paulo Mendonça', role: 'CEO, Castellan Infraestruturas' },
  ],
  companies: [
    {
      name: 'Brennholt Bau AG',
      jurisdiction: 'de',
      number: 'HRB 77412',
      address: 'Kaistraße 18, 40221 Düsseldorf',
      incorporated: '1998-09-01',
      capital: '12.500.000,00 EUR',
      activity: 'Planung und Ausführung von Hoch-, Tief- und Wasserbauvorhaben im In- und Ausland.',
      directors: ['Vorstand: Reinholt, Klaus, Düsseldorf, *03.11.1963', 'Vorstand: Dr. Sievers, Marion, Köln, *21.07.1970'],
      shareholders: ['Familie Brennholt Beteiligungs-KG (58 %)', 'Streubesitz (42 %)'],
      tags: ['brennholt', 'reinholt'],
    },
    {
      name: 'Castellan Infraestruturas SA',
      jurisdiction: 'pt',
      number: 'NIPC 509 442 871',
      address: 'Avenida da Liberdade 190, 1250-147 Lisboa, Portugal',
      incorporated: '2009-02-17',
      capital: 'EUR 25,000,000',
      activity: 'Civil engineering and port construction',
      directors: ['Paulo Mendonça (chief executive)', 'Teresa Aguiar (director)'],
      shareholders: ['Mendonça SGPS SA — 71%', 'others — 29%'],
      tags: ['castellan', 'mendonca'],
    },
    {
      name: 'Solmar Consultoria Lda',
      jurisdiction: 'pt',
      number: 'NIPC 514 209 338',
      address: 'Rua do Comércio 7, 8700-300 Olhão, Portugal',
      incorporated: '2017-03-30',
      capital: 'EUR 5,000',
      activity: 'Business consultancy',
      directors: ['Inês Talavera (managing partner)'],
      shareholders: ['Inês Talavera — 100%'],
      tags: ['solmar', 'ines-talavera', 'talavera', 'about:solmar'],
    },
  ],
  transfers: [
    {
      date: '2022-09-14',
      from: BRENNHOLT,
      to: SOLMAR,
      amount: 1_750_000,
      currency: 'EUR',
      reference: 'BERATUNGSHONORAR MARKTZUGANG PORTUGAL TRANCHE 1',
      note: 'Consultancy fee to a two-year-old single-member company in Olhão whose owner shares a surname with the minister responsible for the Alvar Sul tender. Paid two weeks before the award.',
      tags: ['brennholt', 'solmar', 'talavera', 'about:solmar-payments'],
    },
    {
      date: '2022-12-01',
      from: CASTELLAN,
      to: SOLMAR,
      amount: 980_000,
      currency: 'EUR',
      reference: 'SERVICOS DE CONSULTORIA 2022',
      tags: ['castellan', 'solmar', 'about:solmar-payments'],
    },
  ],
  invoices: [
    {
      number: 'BB-2022-33871',
      vatRate: 0,
      date: '2023-03-31',
      seller: { name: 'Brennholt Bau AG', address: 'Kaistraße 18, 40221 Düsseldorf', vat: 'DE119377420' },
      buyer: { name: 'Administração do Porto de Alvar SA', address: 'Cais Sul, Porto Alvar, Portugal' },
      lines: [
        { text: 'Abschlagsrechnung Nr. 3: Kaimauer Los 2, Terminal Alvar Sul', qty: 1, unit: 18_400_000 },
        { text: 'Nachtrag 14: Baugrundverbesserung', qty: 1, unit: 2_950_000 },
      ],
      currency: 'EUR',
      payTo: 'DE21 3007 0010 0555 1212 00',
      tags: ['brennholt', 'about:alvar-sul'],
    },
  ],
  written: [
    {
      id: 'porto-protokoll-lissabon',
      type: 'meeting-notes',
      lang: 'de',
      title: 'Protokoll: Abstimmung Angebote Alvar Sul, Lissabon',
      date: '2022-05-17',
      text: `
        Vertraulich — Gesprächsnotiz
        Ort: Hotel Avenida Palace, Lissabon, 17.05.2022, 19:30 Uhr
        Teilnehmer: K. Reinholt (Brennholt), P. Mendonça (Castellan), Hr. Duarte (Obras Duarte)

        1. Ausschreibung CP-2022-0457 (Containerterminal Alvar Sul, ca. 212 Mio. EUR): Brennholt/Castellan
           bieten als ARGE. Obras Duarte gibt ein Schutzangebot ca. 9 % über unserem Preis ab.
        2. Im Gegenzug erhält Obras Duarte den Zuschlag für die Hafenstraße Sines (2023); wir bieten dort
           nur zum Schein.
        3. Beratung vor Ort läuft über Solmar (Fr. Talavera). Honorar 2,5 % der Auftragssumme, in
           Tranchen, davon Castellan ein Drittel.
        4. Keine E-Mails zu diesem Thema. Nächstes Treffen nach Angebotsabgabe.
      `,
      tags: [
        'brennholt',
        'castellan',
        'reinholt',
        'mendonca',
        'solmar',
        'talavera',
        'about:bid-rigging',
        'about:alvar-sul',
        'about:tender-cp',
      ],
    },
    {
      id: 'porto-news-de',
      type: 'news-clipping',
      lang: 'de',
      title: 'Verdacht auf Preisabsprachen beim Hafenprojekt Alvar Sul',
      date: '2023-10-05',
      text: `
        Verdacht auf Preisabsprachen beim Hafenprojekt Alvar Sul
        Düsseldorf/Lissabon, 5. Oktober 2023

        Die portugiesische Wettbewerbsbehörde ermittelt gegen den Düsseldorfer Baukonzern Brennholt Bau AG
        und seinen Lissaboner Partner Castellan Infraestruturas wegen des Verdachts verbotener
        Absprachen bei der Vergabe des Containerterminals Alvar Sul. Das Projekt hat ein Volumen von
        rund 212 Millionen Euro.

        Nach Informationen dieser Zeitung sollen sich die Bieter bereits im Mai 2022 in einem Lissaboner
        Hotel getroffen und die Angebote untereinander aufgeteilt haben. Zudem flossen Beraterhonorare
        in Millionenhöhe an eine kleine Firma an der Algarve, deren Inhaberin die Schwester des
        Infrastrukturministers Rui Talavera ist. Brennholt-Vorstand Klaus Reinholt wies die Vorwürfe
        zurück: Man habe sich „jederzeit an Recht und Gesetz gehalten“.
      `,
      tags: ['brennholt', 'castellan', 'reinholt', 'talavera', 'solmar', 'about:bid-rigging', 'about:alvar-sul'],
    },
    {
      id: 'porto-paraphrase-cover',
      type: 'email',
      title: 'Sines road – our number',
      date: '2023-02-06',
      text: `
        From: K. Reinholt
        To: Kalkulation Brennholt
        Date: 6 Feb 2023

        For Sines please calculate as usual and then add eleven per cent. It must look serious but must
        not succeed. Duarte's people will tell us their figure the day before submission so we stay
        above it. Do not put this in writing to anyone outside this list.
      `,
      tags: ['brennholt', 'reinholt', 'about:bid-rigging', 'paraphrase:cover-bid'],
    },
    {
      id: 'porto-award-notice',
      type: 'regulatory-filing',
      title: 'Award notice: container terminal Alvar Sul, procedure CP-2022-0457',
      date: '2022-09-28',
      text: `
        HEADING: MINISTRY OF INFRASTRUCTURE — CONTRACT AWARD NOTICE (English version)
        Procedure CP-2022-0457, open procedure for the design and construction of the Alvar Sul container terminal, Porto Alvar, published in the Official Journal on 3 March 2022.

        Three tenders were received: the joint venture Brennholt Bau AG / Castellan Infraestruturas SA (EUR 211,870,000), Obras Duarte SA (EUR 231,040,000) and Construtora Atlântida SA (EUR 246,500,000).

        The contract is awarded to the joint venture Brennholt Bau AG / Castellan Infraestruturas SA as the most economically advantageous tender. The award decision was signed by the Minister of Infrastructure, Rui Talavera.

        Standstill period: ten days from publication. Review body: Administrative Court of Lisbon.
      `,
      tags: ['brennholt', 'castellan', 'talavera', 'about:alvar-sul', 'about:tender-cp'],
    },
    {
      id: 'porto-email-talavera',
      type: 'email',
      lang: 'de',
      title: 'AW: Solmar – zweite Tranche',
      date: '2022-11-21',
      text: `
        Von: Marion Sievers
        An: Klaus Reinholt
        Datum: 21.11.2022 11:03
        Betreff: AW: Solmar – zweite Tranche

        Klaus, die Revision fragt nach Leistungsnachweisen für Solmar Consultoria. Außer einer
        zweiseitigen „Marktstudie“ haben wir nichts. Die Inhaberin ist laut portugiesischem Register Inês
        Talavera – ist das die Schwester des Ministers? Ich gebe die zweite Tranche erst frei, wenn das
        geklärt ist.
        Marion
      `,
      tags: ['brennholt', 'reinholt', 'solmar', 'ines-talavera', 'talavera', 'about:solmar-payments', 'about:solmar'],
    },
  ],
};
