/** Party donations split below the reporting threshold and refunded by an employer. */
import type { Storyline } from './kit.ts';

const BRIGHTWATER = { name: 'Brightwater Holdings Ltd', iban: 'IE29 AIBK 9311 5212 3456 78', bank: 'Allied Irish Commercial, Dublin' };
const PARTY = { name: 'Civic Renewal Party – Central Account', iban: 'IE64 IRCE 9205 0112 3456 78', bank: 'Irish Civic Credit Bank' };

const donors = ['Aoife Brennan', 'Declan Moore', 'Ciara Walsh', 'Liam Gallagher-Ryan', 'Sinead Kearney', 'Padraig Dunne'];

export const civic: Storyline = {
  id: 'civic',
  people: [
    { name: 'Martin Keel', role: 'treasurer, Civic Renewal Party' },
    { name: 'Eamon Brightwater', role: 'chairman, Brightwater Holdings' },
  ],
  companies: [
    {
      name: 'Brightwater Holdings Ltd',
      jurisdiction: 'uk',
      number: 'NI 612883',
      address: '40 Donegall Quay, Belfast BT1 3EA',
      incorporated: '2008-09-09',
      capital: 'GBP 1,000,000',
      activity: '41100 — Development of building projects',
      directors: ['Eamon Brightwater (chairman)', 'Rachel Quinn (finance director)'],
      shareholders: ['Eamon Brightwater — 75% or more'],
      tags: ['brightwater', 'eamon-brightwater'],
    },
  ],
  transfers: [
    {
      date: '2023-05-01',
      from: BRIGHTWATER,
      to: { name: donors[0] ?? '', iban: 'IE11 AIBK 9311 5240 0012 34', bank: 'Allied Irish Commercial, Dublin' },
      amount: 9_900,
      currency: 'EUR',
      reference: 'BONUS SPECIAL MAY 2023',
      tags: ['brightwater', 'about:split-donations'],
    },
    ...donors.slice(0, 4).map((name, i) => ({
      date: `2023-05-${String(2 + i).padStart(2, '0')}`,
      from: { name, iban: `IE${String(11 + i * 7)} AIBK 9311 52${String(40 + i)} 0${i}12 34`, bank: 'Allied Irish Commercial, Dublin' },
      to: PARTY,
      amount: 9_900,
      currency: 'EUR',
      reference: 'DONATION CIVIC RENEWAL',
      ...(i === 0
        ? {
            note: 'Fourth donation of EUR 9,900 to the same party in four days from employees of one company, each just under the EUR 10,000 reporting threshold. Each donor received EUR 9,900 from Brightwater Holdings Ltd the previous day.',
          }
        : {}),
      tags: ['civic-party', 'about:split-donations', ...(i === 0 ? ['brightwater'] : [])],
    })),
  ],
  invoices: [],
  written: [
    {
      id: 'civic-email-keel',
      type: 'email',
      title: 'Donations – keep under the line',
      date: '2023-04-27',
      text: `
        From: Martin Keel <treasurer@civicrenewal.example>
        To: Rachel Quinn <r.quinn@brightwater.example>
        Date: 27 April 2023

        Rachel, as discussed with Eamon: six of your people, 9,900 each, in the first week of May. Anything
        at 10,000 or more has to be reported with the donor's name and employer, so please keep every one
        under the line. The refunds to them are your side — just not from the same day, please.
        Martin Keel, Treasurer
      `,
      tags: ['keel', 'brightwater', 'civic-party', 'about:split-donations', 'about:keel'],
    },
    {
      id: 'civic-paraphrase-straw',
      type: 'memo',
      title: 'Payroll ledger extract: Brightwater Holdings, May 2023',
      date: '2023-05-31',
      text: `
        Brightwater Holdings Ltd — payroll ledger, May 2023 — non-salary payments
        01/05  A. Brennan      EUR 9,900  "bonus – special"
        02/05  D. Moore        EUR 9,900  "bonus – special"
        03/05  C. Walsh        EUR 9,900  "bonus – special"
        04/05  L. Gallagher-Ryan EUR 9,900 "bonus – special"
        05/05  S. Kearney      EUR 9,900  "bonus – special"
        06/05  P. Dunne        EUR 9,900  "bonus – special"
        Approved: R. Quinn. Comment: per E.B., not to be shown as payroll in the annual report.
      `,
      tags: ['brightwater', 'about:split-donations', 'paraphrase:straw-donors'],
    },
    {
      id: 'civic-commission-report',
      type: 'regulatory-filing',
      title: 'Standards in Public Office Commission: report on donations to the Civic Renewal Party, 2023',
      date: '2024-03-12',
      text: `
        HEADING: STANDARDS IN PUBLIC OFFICE COMMISSION — REPORT UNDER SECTION 4 OF THE ELECTORAL ACT
        In May 2023 the Civic Renewal Party received six donations of EUR 9,900 each from individuals employed by Brightwater Holdings Ltd, a property developer. None of the donations was declared, each being below the EUR 10,000 threshold.

        Each donor had received a payment of EUR 9,900 from the employer one day before making the donation. The Commission is satisfied that the true donor of all six donations, totalling EUR 59,400, was Brightwater Holdings Ltd, which as a body corporate could not lawfully donate more than EUR 2,500.

        The party's treasurer, Martin Keel, told the Commission that he had not known the source of the funds. Correspondence provided by a donor indicates otherwise. The matter has been referred to the Director of Public Prosecutions.
      `,
      tags: ['civic-party', 'brightwater', 'keel', 'about:split-donations', 'about:keel'],
    },
    {
      id: 'civic-news',
      type: 'news-clipping',
      title: 'Developer channelled €59,400 to party through staff, watchdog finds',
      date: '2024-03-13',
      text: `
        Developer channelled €59,400 to party through staff, watchdog finds

        A Belfast property developer secretly funded the Civic Renewal Party by paying six employees to
        make donations in their own names, the ethics watchdog said yesterday. Each gift was set at
        €9,900, just below the level at which donors must be named. The party's treasurer, Martin Keel,
        has stepped aside. Brightwater Holdings said it "regrets any misunderstanding".
      `,
      tags: ['civic-party', 'brightwater', 'keel', 'about:split-donations', 'about:keel'],
    },
  ],
};
