/** A Riga bank, British partnerships with Seychelles members, and the compliance officer who objected. */
import type { Storyline } from './kit.ts';

const BALTICA = 'Baltica Commerce Bank AS, Riga';
const GREYFIELD = { name: 'Greyfield Ventures Ltd', iban: 'LV80 BCBA 0000 4351 9500 1', bank: BALTICA };
const REDWATER = { name: 'Redwater Commercial LLP', iban: 'LV41 BCBA 0000 4377 0211 8', bank: BALTICA };
const KORSAKOV = { name: 'Severo Agroprom OOO', iban: 'LV12 BCBA 0000 4290 1187 3', bank: BALTICA };

export const baltica: Storyline = {
  id: 'baltica',
  people: [
    { name: 'Ilse Marquardt', role: 'former head of compliance, Baltica Commerce Bank' },
    { name: 'Viktor Sarnov', role: 'chairman of the management board, Baltica Commerce Bank' },
  ],
  companies: [
    {
      name: 'Baltica Commerce Bank AS',
      jurisdiction: 'lv',
      number: '40003912345',
      address: 'Elizabetes iela 41, Riga, LV-1010, Latvia',
      incorporated: '1996-03-12',
      capital: 'EUR 38,000,000',
      activity: 'Credit institution (licence of the Financial and Capital Market Commission)',
      directors: [
        'Viktor Sarnov (chairman of the management board)',
        'Aija Ozola (board member)',
        'Ilse Marquardt (head of compliance, until 30 June 2021)',
      ],
      shareholders: ['Sarnov Capital SIA — 62%', 'free float and minority holders — 38%'],
      tags: ['baltica', 'sarnov', 'marquardt'],
    },
    {
      name: 'Greyfield Ventures Ltd',
      jurisdiction: 'bvi',
      number: 'BVI Company No. 1873342',
      address: 'Trident Chambers, Wickhams Cay, Road Town, Tortola, British Virgin Islands',
      incorporated: '2015-08-19',
      capital: 'USD 50,000 authorised, 1 share issued',
      activity: 'Not stated (BVI Business Company)',
      directors: ['Unicorp Directors Ltd (corporate director)'],
      shareholders: ['Bearer of share certificate no. 1 (not disclosed to the registry)'],
      tags: ['greyfield', 'about:greyfield'],
    },
    {
      name: 'Redwater Commercial LLP',
      jurisdiction: 'uk',
      number: 'OC412876',
      address: 'Suite 2, 29 Harley Street, London W1G 9QR',
      incorporated: '2016-04-07',
      capital: 'n/a (limited liability partnership)',
      activity: '70229 — Management consultancy activities other than financial management',
      directors: ['Designated member: Orlen Finance Ltd (Seychelles)', 'Designated member: Maribel Services Ltd (Seychelles)'],
      shareholders: ['No person with significant control (statement filed 2017)'],
      tags: ['redwater', 'about:redwater'],
    },
  ],
  transfers: [
    {
      date: '2020-11-03',
      from: KORSAKOV,
      to: REDWATER,
      amount: 3_900_000,
      currency: 'USD',
      reference: 'PAYMENT FOR AGRICULTURAL EQUIPMENT CONTRACT 11/2020',
      note: 'Payer and payee both hold accounts in this bank, opened the same week; neither has activity consistent with equipment trade. Seventh round-sum payment of this pattern in October–November 2020.',
      tags: ['baltica', 'redwater', 'about:laundromat'],
    },
    {
      date: '2020-11-04',
      from: REDWATER,
      to: GREYFIELD,
      amount: 3_880_000,
      currency: 'USD',
      reference: 'LOAN AGREEMENT 4/2020',
      note: 'Funds received from Severo Agroprom one day earlier and passed on in full less a fee. Greyfield Ventures Ltd beneficial owner on KYC form: "not applicable". Escalated by I. Marquardt.',
      tags: ['baltica', 'redwater', 'greyfield', 'marquardt', 'about:laundromat', 'about:greyfield-iban'],
    },
    {
      date: '2021-01-22',
      from: GREYFIELD,
      to: { name: 'Sarnov Capital SIA', iban: 'LV55 BCBA 0000 4100 0001 2', bank: BALTICA },
      amount: 1_200_000,
      currency: 'EUR',
      reference: 'CONSULTING SERVICES 2020',
      note: "Payment from a client company under investigation to the chairman's holding. Not disclosed to the supervisory board.",
      tags: ['baltica', 'greyfield', 'sarnov', 'about:laundromat', 'about:greyfield-iban'],
    },
    {
      date: '2020-12-15',
      from: REDWATER,
      to: { name: 'Alpine Horology SA', iban: 'CH93 0076 2011 6238 5295 7', bank: 'Banque Cantonale, Geneva' },
      amount: 640_000,
      currency: 'CHF',
      reference: 'INV 2020-883 WATCHES',
      tags: ['redwater', 'baltica'],
    },
  ],
  invoices: [
    {
      number: 'RC-2020/11-07',
      date: '2020-10-29',
      seller: { name: 'Redwater Commercial LLP', address: 'Suite 2, 29 Harley Street, London W1G 9QR' },
      buyer: { name: 'Severo Agroprom OOO', address: 'ul. Lenina 14, Krasnodar' },
      lines: [
        { text: 'Combine harvester, model TX-880 (used)', qty: 6, unit: 520_000 },
        { text: 'Delivery and customs clearance', qty: 1, unit: 780_000 },
      ],
      currency: 'USD',
      payTo: 'LV41 BCBA 0000 4377 0211 8 (Baltica Commerce Bank AS)',
      tags: ['redwater', 'about:laundromat'],
    },
  ],
  written: [
    {
      id: 'baltica-letter-whistleblower',
      type: 'email',
      title: 'Formal notice to the supervisory board',
      date: '2021-02-11',
      text: `
        From: Ilse Marquardt
        To: Members of the Supervisory Board, Baltica Commerce Bank AS
        Date: 11 February 2021

        Dear members of the Supervisory Board,

        As head of compliance I am obliged to inform you directly. Since October 2020 I have reported
        forty-one suspicious transactions to the management board; none was forwarded to the Financial
        Intelligence Unit. Most involve British partnerships whose only members are Seychelles companies,
        and a company in Tortola whose owner we have never identified.

        On 22 January a payment of EUR 1.2 million went from that Tortola company to a holding of our
        chairman. I asked the chairman about it and was told that it was "not a compliance matter".

        I ask that the board commission an external review. I have kept copies of my reports.

        Ilse Marquardt
      `,
      tags: ['baltica', 'marquardt', 'sarnov', 'greyfield', 'about:whistleblower', 'paraphrase:whistleblower'],
    },
    {
      id: 'baltica-news-laundromat',
      type: 'news-clipping',
      title: "Riga bank moved $1bn through 'ghost partnerships', leak shows",
      date: '2021-09-30',
      text: `
        Riga bank moved $1bn through 'ghost partnerships', leak shows

        Baltica Commerce Bank, a mid-sized lender in Riga, processed more than one billion dollars for
        British limited liability partnerships controlled by anonymous Seychelles companies between 2018
        and 2021, according to leaked transaction records.

        The records show money arriving from Russian and Kazakh companies, passing through accounts of
        partnerships such as Redwater Commercial LLP, registered at a London address shared with 400
        other firms, and leaving the same day for companies in the British Virgin Islands, chiefly
        Greyfield Ventures Ltd. Payments were labelled as loans or as trade in farm machinery.

        The bank's former head of compliance, Ilse Marquardt, left in June 2021. People who worked with
        her say she repeatedly warned the management board, led by chairman Viktor Sarnov, about the
        pattern. Ms Marquardt declined to comment. The bank said it "rejects the allegations" and that
        it cooperates fully with its supervisor.
      `,
      tags: ['baltica', 'redwater', 'greyfield', 'marquardt', 'sarnov', 'about:laundromat', 'about:whistleblower'],
    },
    {
      id: 'baltica-fine-decision',
      type: 'regulatory-filing',
      title: 'Decision imposing a fine on Baltica Commerce Bank AS, case FKTK-2022/114',
      date: '2022-04-27',
      text: `
        HEADING: FINANCIAL AND CAPITAL MARKET COMMISSION OF LATVIA — DECISION No. FKTK-2022/114
        The Commission examined the anti-money-laundering controls of Baltica Commerce Bank AS between 2018 and 2021, after a report received from a member of the bank's own staff.

        The bank serviced 312 customers registered as limited liability partnerships in the United Kingdom whose members were companies in the Seychelles or Belize, without identifying their beneficial owners. Transactions of these customers totalled USD 1.06 billion.

        Reports of the head of compliance concerning 41 transactions were not forwarded to the Financial Intelligence Unit. The chairman of the management board, Viktor Sarnov, personally approved the continuation of the relationship with Greyfield Ventures Ltd, account LV80 BCBA 0000 4351 9500 1.

        The Commission imposes a fine of EUR 4,200,000 and requires the bank to terminate all relationships with shell customers within six months. The Commission proposes that the shareholders consider the suitability of the chairman.
      `,
      tags: ['baltica', 'sarnov', 'greyfield', 'redwater', 'about:fine-fktk', 'about:laundromat', 'about:greyfield-iban'],
    },
    {
      id: 'baltica-email-sarnov',
      type: 'email',
      title: 'RE: Greyfield file',
      date: '2021-01-25',
      text: `
        From: Viktor Sarnov
        To: Ilse Marquardt
        Date: 25 January 2021 20:11
        Subject: RE: Greyfield file

        Ilse, Greyfield is a long-standing client introduced by people we trust. The consulting payment
        to my company is documented and has been declared for tax. I do not want any further reports on
        this client sent to the board without going through me first. Please close the alert.
        V.S.
      `,
      tags: ['baltica', 'sarnov', 'marquardt', 'greyfield', 'about:whistleblower'],
    },
    {
      id: 'baltica-meeting-board',
      type: 'meeting-notes',
      title: 'Minutes: management board, Baltica Commerce Bank, 3 March 2021 (extract)',
      date: '2021-03-03',
      text: `
        Minutes of the management board meeting — 3 March 2021 — extract, item 4
        Present: V. Sarnov (chair), A. Ozola, K. Bērziņš; I. Marquardt for item 4 only

        Item 4 — Compliance reports on partnership customers.
        The head of compliance presented a list of 41 alerts concerning UK partnerships and one BVI
        company. The chairman stated that the customers had been introduced by a reputable agent and
        that exits would cost the bank approximately EUR 9 million a year in fees. Decision: relationships
        continue; enhanced monitoring to be "considered". The head of compliance asked that her
        dissent be minuted. Minuted.
      `,
      tags: ['baltica', 'sarnov', 'marquardt', 'about:whistleblower', 'about:laundromat'],
    },
    {
      id: 'baltica-paraphrase-ownerless',
      type: 'memo',
      title: 'KYC gap analysis: Tortola client',
      date: '2021-05-19',
      text: `
        KYC gap analysis — client no. 4351-95 — 19 May 2021

        The account holder was incorporated in Tortola in 2015 with a single bearer share. Our onboarding
        file contains a passport copy of a corporate service agent employee only. The section naming the
        ultimate beneficial owner reads "not applicable". Since 2019 the account received USD 212 million,
        nearly all of it forwarded within forty-eight hours.

        Recommendation: suspend outgoing payments until the ultimate beneficial owner is identified.
      `,
      tags: ['baltica', 'greyfield', 'about:greyfield', 'paraphrase:unknown-owner'],
    },
  ],
};
