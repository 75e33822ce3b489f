/** A copper-cobalt licence in Kasanga, a signature bonus, and the minister's son. */
import type { Storyline } from './kit.ts';

const RIDGEBACK = { name: 'Ridgeback Minerals plc', iban: 'GB47 BARC 2003 5312 3456 79', bank: 'Barrow & Co. Bank, London' };
const OBSIDIAN = { name: 'Obsidian Trust Holdings Ltd', iban: 'KS44 0007 1100 2233 4455 66', bank: 'Kasanga Merchant Bank, Port Halden' };
const TREASURY = {
  name: 'Republic of Kasanga – Treasury Single Account',
  iban: 'KS01 0001 0000 0000 0000 01',
  bank: 'Central Bank of Kasanga',
};

export const kasanga: Storyline = {
  id: 'kasanga',
  people: [
    { name: 'Joseph Ndoro', role: 'minister of mines, Republic of Kasanga' },
    { name: 'Tomas Ndoro', role: "minister's son, director of Obsidian Trust Holdings" },
    { name: 'Fiona Greaves', role: 'chief executive, Ridgeback Minerals' },
  ],
  companies: [
    {
      name: 'Ridgeback Minerals plc',
      jurisdiction: 'uk',
      number: '08112294',
      address: '1 Bartholomew Lane, London EC2N 2AX',
      incorporated: '2012-06-26',
      capital: 'GBP 4,812,330.10',
      activity: '07290 — Mining of other non-ferrous metal ores',
      directors: ['Fiona Greaves (chief executive)', 'Malcolm Achterberg (chair)', 'Dr Sunil Varma (non-executive)'],
      shareholders: ['Listed on AIM; no person with significant control'],
      tags: ['ridgeback', 'greaves'],
    },
    {
      name: 'Obsidian Trust Holdings Ltd',
      jurisdiction: 'ks',
      number: 'C-2019-04417',
      address: 'Plot 22, Independence Avenue, Port Halden, Republic of Kasanga',
      incorporated: '2019-07-03',
      capital: 'KSD 10,000,000',
      activity: 'General trading, investments, mining services',
      directors: ['Tomas Ndoro (director)', 'Grace Amadi (director)'],
      shareholders: ['Tomas Ndoro — 60%', 'Lumen Nominees (Mauritius) Ltd — 40%'],
      tags: ['obsidian', 'tomas-ndoro', 'about:obsidian-ownership'],
    },
  ],
  transfers: [
    {
      date: '2021-03-19',
      from: RIDGEBACK,
      to: OBSIDIAN,
      amount: 45_000_000,
      currency: 'USD',
      reference: 'SIGNATURE BONUS KIVULI LICENCE PL-7731 (LOCAL PARTNER SHARE)',
      note: 'Signature bonuses are normally payable to the state treasury. This one is paid to a private company in Port Halden. The payer’s board minutes call the recipient the "local partner nominated by the Ministry".',
      tags: ['ridgeback', 'obsidian', 'about:signature-bonus', 'about:kivuli'],
    },
    {
      date: '2021-03-19',
      from: RIDGEBACK,
      to: TREASURY,
      amount: 5_000_000,
      currency: 'USD',
      reference: 'SIGNATURE BONUS KIVULI LICENCE PL-7731 (STATE SHARE)',
      tags: ['ridgeback', 'about:signature-bonus', 'about:kivuli'],
    },
  ],
  invoices: [],
  written: [
    {
      id: 'kasanga-board-minutes',
      type: 'meeting-notes',
      title: 'Ridgeback Minerals plc: board minutes, 11 March 2021 (extract)',
      date: '2021-03-11',
      text: `
        Ridgeback Minerals plc — minutes of a meeting of the board — 11 March 2021 — item 3 (extract)

        The chief executive reported that the Ministry of Mines had confirmed the award of prospecting
        licence PL-7731 (Kivuli copper-cobalt concession, 412 km²) subject to a signature bonus of USD 50
        million. The Ministry had asked that USD 45 million be paid to Obsidian Trust Holdings Ltd as the
        "local partner nominated by the Ministry" and USD 5 million to the Treasury.

        Dr Varma asked who owned Obsidian. The chief executive said she understood it to be "a
        well-connected local family". Dr Varma asked that his concern be minuted and that outside counsel
        advise on the UK Bribery Act before payment. The chair noted the concern; the board resolved by
        majority to proceed.
      `,
      tags: ['ridgeback', 'obsidian', 'greaves', 'about:signature-bonus', 'about:kivuli'],
    },
    {
      id: 'kasanga-news-bonus',
      type: 'news-clipping',
      title: "Miner's $45m 'bonus' went to minister's son's company",
      date: '2022-02-16',
      text: `
        Miner's $45m 'bonus' went to minister's son's company

        A London-listed mining company paid USD 45 million to a private company controlled by the son of
        Kasanga's minister of mines in exchange for one of the country's richest copper and cobalt
        licences, documents show.

        Ridgeback Minerals plc obtained the Kivuli concession, licence PL-7731, in March 2021. Of the
        USD 50 million it paid as a signature bonus, only USD 5 million reached the state treasury. The
        rest went to Obsidian Trust Holdings Ltd, a Port Halden company whose director and majority
        shareholder is Tomas Ndoro, son of the mines minister Joseph Ndoro.

        Ridgeback's chief executive, Fiona Greaves, said the company "acted on written instructions from
        the government". The minister did not respond. Kasanga's parliament has called for an inquiry.
      `,
      tags: [
        'ridgeback',
        'obsidian',
        'tomas-ndoro',
        'joseph-ndoro',
        'greaves',
        'about:signature-bonus',
        'about:kivuli',
        'about:obsidian-ownership',
      ],
    },
    {
      id: 'kasanga-sfo-filing',
      type: 'court-filing',
      title: 'Serious Fraud Office v Ridgeback Minerals plc: statement of facts (deferred prosecution agreement)',
      date: '2024-01-30',
      text: `
        HEADING: IN THE CROWN COURT AT SOUTHWARK — SFO v RIDGEBACK MINERALS PLC — CASE T20240017
        Ridgeback Minerals plc is a company listed on AIM with a copper-cobalt project in the Republic of Kasanga. In March 2021 it obtained licence PL-7731 over the Kivuli concession.

        The company paid USD 45 million to Obsidian Trust Holdings Ltd. Obsidian had no employees, no mining expertise and no role in the project. Its director and majority shareholder, Tomas Ndoro, is the son of the minister of mines who signed the licence.

        A non-executive director raised a written concern before payment; the board proceeded without obtaining legal advice. The company has since replaced its chief executive and chair.

        The company accepts that it failed to prevent bribery by persons associated with it, contrary to section 7 of the Bribery Act 2010. It will pay a financial penalty of GBP 28.4 million and disgorge profits of GBP 11.2 million.
      `,
      tags: ['ridgeback', 'obsidian', 'tomas-ndoro', 'joseph-ndoro', 'about:signature-bonus', 'about:kivuli', 'about:sfo-case'],
    },
    {
      id: 'kasanga-email-greaves',
      type: 'email',
      title: 'Kivuli – payment instructions',
      date: '2021-03-15',
      text: `
        From: Fiona Greaves <fgreaves@ridgebackminerals.example>
        To: Malcolm Achterberg
        Date: 15 March 2021 06:52
        Subject: Kivuli – payment instructions

        Malcolm, the Ministry's letter came overnight: 45 to Obsidian's account at Kasanga Merchant Bank,
        5 to the Treasury, both by Friday, or the licence goes to the Chinese bidder. Sunil will object
        again. I'd rather not wait for counsel — we have the Minister's signature on the instruction and
        that is our cover. Can you sign off today? I'll brief the AIM adviser after the announcement.
        Fiona Greaves
      `,
      tags: ['greaves', 'ridgeback', 'obsidian', 'about:signature-bonus', 'about:kivuli'],
    },
    {
      id: 'kasanga-paraphrase-son',
      type: 'email',
      title: 'Port Halden registry visit',
      date: '2021-08-12',
      text: `
        From: fixer.ph@protonmail.example
        To: desk
        Date: 12 August 2021

        Went to the registrar-general's office today. The Obsidian file shows the young Ndoro as director
        and holder of sixty per cent; the remaining forty per cent sit with a Mauritius nominee. The
        father signed the Kivuli concession four months before the file was updated. Copies attached,
        photographed page by page. The clerk asked no questions.
      `,
      tags: ['obsidian', 'tomas-ndoro', 'joseph-ndoro', 'about:obsidian-ownership', 'paraphrase:politician-child'],
    },
  ],
};
