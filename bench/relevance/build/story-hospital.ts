/** A county hospital's procurement head, an inflated supplier, and his wife's consultancy. */
import type { Storyline } from './kit.ts';

const MEDIVANCE = { name: 'Medivance Supplies Ltd', iban: 'GB82 WEST 1234 5698 7654 32', bank: 'Westbury Bank plc, Leeds' };
const ASTER = { name: 'Aster Advisory LLP', iban: 'GB15 MIDL 4005 1512 3456 78', bank: 'Midland & Counties Bank, Nottingham' };
const HOSPITAL = { name: 'St Aldric County Hospital NHS Trust', iban: 'GB60 GOVT 6016 1300 0045 21', bank: 'Government Banking Service' };

export const hospital: Storyline = {
  id: 'hospital',
  people: [
    { name: 'Gerald Finch', role: 'head of procurement, St Aldric County Hospital' },
    { name: 'Patricia Finch', role: 'designated member, Aster Advisory LLP' },
    { name: 'Owen Rudd', role: 'sales director, Medivance Supplies' },
  ],
  companies: [
    {
      name: 'Medivance Supplies Ltd',
      jurisdiction: 'uk',
      number: '09876543',
      address: 'Unit 4, Kirkstall Trade Park, Leeds LS5 3BT',
      incorporated: '2015-10-01',
      capital: 'GBP 100 (100 ordinary shares)',
      activity: '46460 — Wholesale of pharmaceutical goods; medical devices',
      directors: ['Owen Rudd (director, appointed 1 October 2015)', 'Sandra Rudd (secretary)'],
      shareholders: ['Owen Rudd — 75% or more of shares'],
      tags: ['medivance', 'rudd'],
    },
    {
      name: 'Aster Advisory LLP',
      jurisdiction: 'uk',
      number: 'OC398812',
      address: '12 Orchard Close, Marbury, Cheshire SY13 4LH',
      incorporated: '2017-02-14',
      capital: 'n/a (limited liability partnership)',
      activity: '70229 — Management consultancy activities',
      directors: ['Designated member: Patricia Hale (now Patricia Finch)', 'Designated member: Hale Family Trustees Ltd'],
      shareholders: ['Patricia Finch — right to surplus assets 75% or more'],
      tags: ['aster', 'patricia-finch', 'about:aster'],
    },
  ],
  transfers: [
    {
      date: '2022-06-30',
      from: HOSPITAL,
      to: MEDIVANCE,
      amount: 1_344_000,
      currency: 'GBP',
      reference: 'PO 77-41120 INFUSION PUMPS VX200 X 320',
      tags: ['medivance', 'hospital', 'about:infusion-pumps'],
    },
    {
      date: '2022-07-08',
      from: MEDIVANCE,
      to: ASTER,
      amount: 96_000,
      currency: 'GBP',
      reference: 'MARKET RESEARCH NORTH WEST Q2',
      note: 'Payee is a consultancy partnership at a residential address; payment follows within eight days of a large public-sector receipt. Third payment of this kind in 2022.',
      tags: ['medivance', 'aster', 'about:kickback-payments'],
    },
    {
      date: '2022-10-11',
      from: MEDIVANCE,
      to: ASTER,
      amount: 88_500,
      currency: 'GBP',
      reference: 'MARKET RESEARCH NORTH WEST Q3',
      note: 'Same pattern as July. Designated member of payee shares a surname and address with a procurement officer of the payer’s largest customer.',
      tags: ['medivance', 'aster', 'gerald-finch', 'about:kickback-payments'],
    },
  ],
  invoices: [
    {
      number: 'MS-INV-22-1187',
      date: '2022-06-02',
      seller: { name: 'Medivance Supplies Ltd', address: 'Unit 4, Kirkstall Trade Park, Leeds LS5 3BT', vat: 'GB 318 4471 26' },
      buyer: { name: 'St Aldric County Hospital NHS Trust', address: 'Procurement Department, Aldric Road, Marbury CW5 8QJ' },
      lines: [
        { text: 'Volumetric infusion pump VX200, incl. 5-year service', qty: 320, unit: 4_200 },
        { text: 'Staff training sessions', qty: 8, unit: 0 },
      ],
      currency: 'GBP',
      payTo: 'GB82 WEST 1234 5698 7654 32',
      footer: 'Framework reference: direct award under urgency exemption, authorised by G. Finch.',
      tags: ['medivance', 'gerald-finch', 'about:infusion-pumps'],
    },
    {
      number: 'AA-0031',
      date: '2022-06-30',
      seller: { name: 'Aster Advisory LLP', address: '12 Orchard Close, Marbury, Cheshire SY13 4LH' },
      buyer: { name: 'Medivance Supplies Ltd', address: 'Unit 4, Kirkstall Trade Park, Leeds LS5 3BT' },
      lines: [{ text: 'Market research, hospital sector, North West region, Q2 2022', qty: 1, unit: 96_000 }],
      currency: 'GBP',
      payTo: 'GB15 MIDL 4005 1512 3456 78',
      tags: ['aster', 'medivance', 'about:kickback-payments'],
    },
  ],
  written: [
    {
      id: 'hospital-email-urgency',
      type: 'email',
      title: 'Pumps – urgency route',
      date: '2022-05-20',
      text: `
        From: Gerald Finch <gerald.finch@staldric.nhs.example>
        To: Owen Rudd <owen@medivance.example>
        Date: 20 May 2022 07:58
        Subject: Pumps – urgency route

        Owen – I can put the 320 pumps through as a direct award under the urgency exemption, so no
        tender. Keep the unit price at 4,200 as discussed; the clinical leads won't look at the number.
        Same arrangement as before for the research side.
        G.
      `,
      tags: ['gerald-finch', 'rudd', 'medivance', 'about:infusion-pumps', 'about:kickback-payments'],
    },
    {
      id: 'hospital-paraphrase-wife',
      type: 'memo',
      title: 'Companies House check: Orchard Close address',
      date: '2022-11-03',
      text: `
        Researcher's note, 3 November 2022

        The partnership receiving Medivance's quarterly consultancy fees is registered at 12 Orchard
        Close, Marbury — the home address Gerald Finch gave on his 2019 electoral register entry. Its
        designated member, Patricia Hale, married Finch in 2016 and now uses his surname. The
        partnership filed dormant-style accounts but has received at least GBP 270,000 from Medivance
        since 2021. Finch authorised every Medivance contract at the trust over the same period.
      `,
      tags: ['gerald-finch', 'patricia-finch', 'aster', 'medivance', 'about:kickback-payments', 'paraphrase:procurement-bribe'],
    },
    {
      id: 'hospital-news-pumps',
      type: 'news-clipping',
      title: 'Hospital paid double for infusion pumps, audit finds',
      date: '2023-03-09',
      text: `
        Hospital paid double for infusion pumps, audit finds

        St Aldric County Hospital paid GBP 4,200 each for 320 infusion pumps that neighbouring trusts
        bought for about GBP 2,100, an internal audit has found. The order, worth GBP 1.34 million, was
        placed without competition under an urgency exemption signed by the trust's head of procurement,
        Gerald Finch.

        The supplier, Leeds-based Medivance Supplies Ltd, said its price included a five-year service
        package. The audit found the service terms were the same as those other trusts received free.
        Mr Finch has been suspended on full pay. He has not responded to requests for comment.
      `,
      tags: ['gerald-finch', 'medivance', 'hospital', 'about:infusion-pumps'],
    },
    {
      id: 'hospital-audit-report',
      type: 'regulatory-filing',
      title: 'Internal audit report IA-2023-04: procurement of infusion pumps',
      date: '2023-02-20',
      text: `
        HEADING: ST ALDRIC COUNTY HOSPITAL NHS TRUST — INTERNAL AUDIT SERVICE — RESTRICTED
        The audit examined all contracts awarded to Medivance Supplies Ltd between April 2020 and December 2022, eleven in total with a combined value of GBP 3.9 million.

        Nine of the eleven contracts were direct awards under the urgency exemption. In each case the justification form was completed and signed by the head of procurement alone. No clinical request for urgency was found for any of them.

        Benchmarking against four comparable trusts shows that the trust paid on average 87 per cent above the prices they obtained for the same devices.

        The head of procurement did not declare any interest. The audit was told by a member of staff that the head of procurement's spouse provides consultancy services to suppliers; the audit has referred that allegation to the Counter Fraud Authority.
      `,
      tags: ['gerald-finch', 'medivance', 'hospital', 'about:infusion-pumps', 'about:audit-ia'],
    },
    {
      id: 'hospital-email-rudd',
      type: 'email',
      title: 'Q3 research invoice',
      date: '2022-09-29',
      text: `
        From: Owen Rudd <owen@medivance.example>
        To: Patricia <p.finch@asteradvisory.example>
        Date: 29 September 2022

        Patricia, please send the Q3 invoice — make it 88,500 this time, the trust's September order was
        smaller. Usual wording ("market research North West") is fine. Regards to Gerald.
        Owen
      `,
      tags: ['rudd', 'patricia-finch', 'gerald-finch', 'aster', 'medivance', 'about:kickback-payments'],
    },
  ],
};
