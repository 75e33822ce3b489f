/** Sheffield machine tools, a Jebel Ali forwarder, and an end-user certificate nobody issued. */
import type { Storyline } from './kit.ts';

const TARVIK = { name: 'Tarvik Industrial Ltd', iban: 'GB07 YORK 0911 2400 3387 21', bank: 'Yorkshire Commercial Bank' };
const SILKLINE = { name: 'Silkline Logistics FZE', iban: 'AE46 0260 0010 1523 8871 001', bank: 'Emirates Gulf Bank PJSC, Dubai' };

export const tarvik: Storyline = {
  id: 'tarvik',
  people: [
    { name: 'Neil Ashworth', role: 'export sales manager, Tarvik Industrial' },
    { name: 'Farid Karimov', role: 'general manager, Silkline Logistics' },
  ],
  companies: [
    {
      name: 'Tarvik Industrial Ltd',
      jurisdiction: 'uk',
      number: '04417720',
      address: 'Attercliffe Works, Effingham Road, Sheffield S9 3QD',
      incorporated: '2002-04-22',
      capital: 'GBP 500,000',
      activity: '28410 — Manufacture of metal forming machinery; 28490 — other machine tools',
      directors: ['David Tarvik (managing director)', 'Neil Ashworth (director of export sales)'],
      shareholders: ['Tarvik Family Holdings Ltd — 75% or more'],
      tags: ['tarvik', 'ashworth'],
    },
    {
      name: 'Silkline Logistics FZE',
      jurisdiction: 'ae',
      number: 'JAFZA FZE 168893',
      address: 'Warehouse RA08-CC04, Jebel Ali Free Zone South, Dubai',
      incorporated: '2021-11-30',
      capital: 'AED 500,000',
      activity: 'Freight forwarding, general trading',
      directors: ['Farid Karimov (general manager)'],
      shareholders: ['Farid Karimov — 100%'],
      tags: ['silkline', 'karimov', 'about:silkline'],
    },
  ],
  transfers: [
    {
      date: '2023-04-03',
      from: SILKLINE,
      to: TARVIK,
      amount: 1_940_000,
      currency: 'GBP',
      reference: 'PROFORMA TI-PF-2303 5-AXIS CNC TX5-900 X4',
      note: 'Buyer is a freight forwarder, not a manufacturer; goods are dual-use (export control entry 2B001). Customer states end user is "Al Noor Precision Engineering, Sharjah". Request end-user certificate copy.',
      tags: ['tarvik', 'silkline', 'about:cnc-export', 'about:dual-use'],
    },
    {
      date: '2023-09-12',
      from: SILKLINE,
      to: TARVIK,
      amount: 2_100_000,
      currency: 'GBP',
      reference: 'PROFORMA TI-PF-2309 CNC TX5-900 X4 + SPARES',
      tags: ['tarvik', 'silkline', 'about:cnc-export'],
    },
  ],
  invoices: [
    {
      number: 'TI-EX-23-0091',
      vatRate: 0,
      date: '2023-05-22',
      seller: { name: 'Tarvik Industrial Ltd', address: 'Attercliffe Works, Effingham Road, Sheffield S9 3QD', vat: 'GB 662 1980 41' },
      buyer: { name: 'Silkline Logistics FZE', address: 'Jebel Ali Free Zone South, Dubai' },
      lines: [
        { text: '5-axis machining centre TX5-900, with contouring control', qty: 4, unit: 462_500 },
        { text: 'Seaworthy packing and FOB Felixstowe', qty: 1, unit: 90_000 },
      ],
      currency: 'GBP',
      payTo: 'GB07 YORK 0911 2400 3387 21',
      footer: 'Export licence SIEL GBSIE2023/04117. End user: Al Noor Precision Engineering, Sharjah, UAE. Not for re-export.',
      tags: ['tarvik', 'silkline', 'about:cnc-export', 'about:dual-use'],
    },
  ],
  written: [
    {
      id: 'tarvik-email-euc',
      type: 'email',
      title: 'RE: EUC for Sharjah',
      date: '2023-04-11',
      text: `
        From: Neil Ashworth
        To: Farid Karimov
        Date: 11 April 2023

        Farid, the licensing unit wants the end-user certificate on the end user's letterhead, signed and
        stamped, before we can ship. The one you sent has the Al Noor name typed over another company's
        template. Please get a proper one. I know where these are going after Sharjah and I don't want to
        know more, but the paperwork must be clean.
        Neil
      `,
      tags: ['ashworth', 'karimov', 'tarvik', 'silkline', 'about:end-user-certificate', 'about:cnc-export'],
    },
    {
      id: 'tarvik-hmrc-notice',
      type: 'regulatory-filing',
      title: 'HMRC compound settlement: Tarvik Industrial Ltd, case CE-2024-0311',
      date: '2024-07-15',
      text: `
        HEADING: HM REVENUE & CUSTOMS — EXPORT CONTROL ENFORCEMENT — NOTICE OF COMPOUND SETTLEMENT
        Between May and October 2023 Tarvik Industrial Ltd exported eight 5-axis machining centres, controlled under entry 2B001 of the dual-use list, to Silkline Logistics FZE in the Jebel Ali Free Zone.

        The export licence was granted on the basis of an end-user certificate naming Al Noor Precision Engineering, Sharjah. Al Noor has confirmed to investigators that it never ordered the machines and did not issue the certificate.

        Shipping records show that the machines were re-exported from Jebel Ali within three weeks of arrival to a destination for which a licence would have been refused.

        Tarvik Industrial Ltd has agreed to pay a compound settlement of GBP 1,150,000 under case reference CE-2024-0311. The company's director of export sales has left the company.
      `,
      tags: ['tarvik', 'silkline', 'about:cnc-export', 'about:dual-use', 'about:end-user-certificate', 'about:case-ce'],
    },
    {
      id: 'tarvik-paraphrase-forged',
      type: 'memo',
      title: 'Call note: Al Noor Precision Engineering',
      date: '2023-12-05',
      text: `
        Call note, 5 December 2023, with the operations director of Al Noor Precision Engineering, Sharjah

        He says Al Noor has never bought from Tarvik and never heard of Silkline. The certificate shown to
        him carries their name and a stamp they stopped using in 2019; the signature belongs to nobody
        on their staff. He wants to know who made it.
      `,
      tags: ['tarvik', 'silkline', 'about:end-user-certificate', 'paraphrase:fake-paperwork'],
    },
    {
      id: 'tarvik-news',
      type: 'news-clipping',
      title: 'Sheffield machine tools resurfaced in sanctioned country, papers suggest',
      date: '2024-07-18',
      text: `
        Sheffield machine tools resurfaced in sanctioned country, papers suggest

        Precision machines built by Tarvik Industrial in Sheffield and sold to a Dubai freight forwarder
        ended up with a manufacturer under sanctions, according to customs records. Tarvik has paid
        GBP 1.15 million to settle the case with HMRC. The company said it had been "deceived by a
        forged end-user certificate". The forwarder, Silkline Logistics FZE, did not respond.
      `,
      tags: ['tarvik', 'silkline', 'about:cnc-export', 'about:end-user-certificate', 'about:case-ce'],
    },
  ],
};
