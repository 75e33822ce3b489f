/** A Kensington house bought through a Jersey company, and an unexplained wealth order. */
import type { Storyline } from './kit.ts';

const HALCYON = { name: 'Halcyon Estates Ltd', iban: 'JE72 ROYB 0000 1234 5678 12', bank: 'Royal Channel Bank (Jersey) Ltd' };
const PEMBERTON = { name: 'Pemberton & Rowe LLP Client Account', iban: 'GB33 LOYD 3094 1200 6655 44', bank: 'Lombard Street Bank, London' };

export const ashby: Storyline = {
  id: 'ashby',
  people: [
    { name: 'Lorraine Ashby', role: 'owner of Halcyon Estates, respondent to the unexplained wealth order' },
    { name: 'Charles Pemberton', role: 'partner, Pemberton & Rowe LLP' },
  ],
  companies: [
    {
      name: 'Halcyon Estates Ltd',
      jurisdiction: 'je',
      number: '118204',
      address: '3rd Floor, 44 Esplanade, St Helier, Jersey JE4 9WG',
      incorporated: '2018-01-15',
      capital: 'GBP 2 (2 ordinary shares)',
      activity: 'Holding of real property',
      directors: ['Esplanade Directors One Ltd', 'Esplanade Directors Two Ltd'],
      shareholders: [
        'Bayview Nominees Ltd — 2 shares (nominee; beneficial owner disclosed under the Register of Overseas Entities: Lorraine Ashby)',
      ],
      tags: ['halcyon', 'ashby', 'about:halcyon-ownership'],
    },
    {
      name: 'Pemberton & Rowe LLP',
      jurisdiction: 'uk',
      number: 'OC301447',
      address: '9 Gray’s Inn Square, London WC1R 5JQ',
      incorporated: '2003-05-01',
      capital: 'n/a (limited liability partnership)',
      activity: '69102 — Solicitors',
      directors: ['Designated member: Charles Pemberton', 'Designated member: Alison Rowe'],
      shareholders: ['No person with significant control'],
      tags: ['pemberton'],
    },
  ],
  transfers: [
    {
      date: '2018-03-06',
      from: { name: 'Alder Peak Trading Ltd', iban: 'GI75 NWBK 0000 0000 7099 453', bank: 'Rock Bank (Gibraltar) Ltd' },
      to: PEMBERTON,
      amount: 11_500_000,
      currency: 'GBP',
      reference: 'COMPLETION 27 AUBREY CRESCENT W8 FAO HALCYON ESTATES',
      note: 'Purchase money for a residential property in London paid by a Gibraltar trading company that is not the buyer. Solicitors did not record the source of funds.',
      tags: ['halcyon', 'pemberton', 'alder-peak', 'about:aubrey-crescent', 'about:property-purchase'],
    },
    {
      date: '2018-03-07',
      from: PEMBERTON,
      to: { name: 'Hartwell & Sons Estates (seller’s solicitors)', iban: 'GB94 BARC 1020 3022 2233 44', bank: 'Barrow & Co. Bank' },
      amount: 11_450_000,
      currency: 'GBP',
      reference: '27 AUBREY CRESCENT COMPLETION MONIES',
      tags: ['pemberton', 'about:aubrey-crescent', 'about:property-purchase'],
    },
    {
      date: '2019-06-20',
      from: HALCYON,
      to: { name: 'Cavendish Interiors Ltd', iban: 'GB11 HBUK 4012 3456 7890 12', bank: 'Highbury Bank' },
      amount: 1_380_000,
      currency: 'GBP',
      reference: 'REFURBISHMENT 27 AUBREY CRESCENT FINAL',
      tags: ['halcyon', 'about:aubrey-crescent'],
    },
  ],
  invoices: [
    {
      number: 'PR-18-0412',
      date: '2018-03-12',
      seller: { name: 'Pemberton & Rowe LLP', address: '9 Gray’s Inn Square, London WC1R 5JQ', vat: 'GB 771 2034 55' },
      buyer: { name: 'Halcyon Estates Ltd', address: '44 Esplanade, St Helier, Jersey' },
      lines: [
        { text: 'Acting on purchase of 27 Aubrey Crescent, London W8 (freehold)', qty: 1, unit: 38_000 },
        { text: 'Stamp duty land tax return and Land Registry filing', qty: 1, unit: 2_400 },
      ],
      currency: 'GBP',
      tags: ['pemberton', 'halcyon', 'about:aubrey-crescent'],
    },
  ],
  written: [
    {
      id: 'ashby-uwo-judgment',
      type: 'court-filing',
      title: 'National Crime Agency v Lorraine Ashby: approved judgment on the unexplained wealth order, UWO-2023-0147',
      date: '2023-11-22',
      text: `
        HEADING: IN THE HIGH COURT OF JUSTICE, KING'S BENCH DIVISION — CLAIM No. UWO-2023-0147
        The respondent, Lorraine Ashby, is the beneficial owner of Halcyon Estates Ltd, a Jersey company which in March 2018 bought 27 Aubrey Crescent, London W8, for GBP 11.45 million. The purchase money was paid by Alder Peak Trading Ltd, a company registered in Gibraltar.

        The respondent's declared income in the ten years before the purchase did not exceed GBP 90,000 a year. She told the agency that the money was a gift from a friend she declined to name.

        The agency relies on records showing that Alder Peak Trading Ltd received, in the same month, funds from customer accounts of a cryptocurrency exchange based in Gibraltar.

        The court is satisfied that there are reasonable grounds for suspecting that the respondent's lawfully obtained income would have been insufficient to acquire the property. The unexplained wealth order is continued, together with the interim freezing order over the property.
      `,
      tags: ['ashby', 'halcyon', 'alder-peak', 'about:uwo', 'about:aubrey-crescent', 'about:property-purchase', 'about:ashby'],
    },
    {
      id: 'ashby-news',
      type: 'news-clipping',
      title: 'Kensington mansion owner ordered to explain her wealth',
      date: '2023-11-23',
      text: `
        Kensington mansion owner ordered to explain her wealth

        The owner of an GBP 11m townhouse on Aubrey Crescent in Kensington must explain to the National
        Crime Agency how she paid for it, the High Court ruled yesterday. Lorraine Ashby, 41, a former
        events manager, bought the house in 2018 through Halcyon Estates Ltd, a company in Jersey.

        The court heard the money came from Alder Peak Trading, a Gibraltar company. Ms Ashby's lawyers
        said the funds were a gift and that she had done nothing wrong. It is the eighth unexplained
        wealth order obtained by the agency since the power was introduced.
      `,
      tags: ['ashby', 'halcyon', 'alder-peak', 'about:uwo', 'about:aubrey-crescent', 'about:ashby'],
    },
    {
      id: 'ashby-email-solicitor',
      type: 'email',
      title: 'Aubrey Crescent – funds',
      date: '2018-02-26',
      text: `
        From: Charles Pemberton
        To: Lorraine Ashby
        Date: 26 February 2018

        Lorraine, completion is set for 6 March. The funds will come from the Gibraltar company, as you
        said; to keep things simple we will not ask for anything beyond their letter. Please make sure
        the Jersey company's board minutes approving the purchase are signed by the 2nd.
        Charles
      `,
      tags: ['ashby', 'pemberton', 'halcyon', 'alder-peak', 'about:property-purchase', 'about:aubrey-crescent'],
    },
    {
      id: 'ashby-paraphrase-house',
      type: 'memo',
      title: 'Land Registry title: 27 Aubrey Crescent',
      date: '2023-01-09',
      text: `
        Title number NGL 944120 — 27 Aubrey Crescent, London W8 4QS — freehold
        Proprietor: Halcyon Estates Ltd (Jersey, registration 118204), registered 14 March 2018
        Price paid: GBP 11,450,000
        Restriction: no disposition without the consent of the court (interim freezing order, 2023)
      `,
      tags: ['halcyon', 'about:aubrey-crescent', 'paraphrase:property-vehicle'],
    },
  ],
};
