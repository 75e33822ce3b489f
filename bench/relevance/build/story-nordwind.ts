/** A Hamburg shipowner, its Cypriot parent and a tanker that goes dark off Ceuta. */
import type { Storyline } from './kit.ts';

const NORDWIND = { name: 'Nordwind Shipping GmbH', iban: 'DE44 2005 0550 1234 5678 90', bank: 'Hamburger Sparkasse AG' };
const TESSALY = { name: 'Tessaly Holdings Ltd', iban: 'CY17 0020 0128 0000 0012 0052 7600', bank: 'Hellenic Commerce Bank Ltd, Limassol' };
const ORION = { name: 'Baltic Orion Trading FZE', iban: 'AE07 0331 2345 6789 0123 456', bank: 'Emirates Gulf Bank PJSC, Dubai' };

export const nordwind: Storyline = {
  id: 'nordwind',
  people: [
    { name: 'Boris Petrov', role: 'beneficial owner of Tessaly Holdings' },
    { name: 'Anke Vollmer', role: 'managing director, Nordwind Shipping', email: 'a.vollmer@nordwind-shipping.de' },
    { name: 'Dmitri Lasko', role: 'master of MV Kaspian Dawn' },
    { name: 'Jens Harder', role: 'chartering manager, Nordwind Shipping', email: 'j.harder@nordwind-shipping.de' },
  ],
  companies: [
    {
      name: 'Nordwind Shipping GmbH',
      jurisdiction: 'de',
      number: 'HRB 148273',
      address: 'Große Elbstraße 145, 22767 Hamburg',
      incorporated: '2011-06-20',
      capital: '250.000,00 EUR',
      activity: 'Bereederung und Befrachtung von Seeschiffen, insbesondere Tankschiffen, sowie alle damit zusammenhängenden Geschäfte.',
      directors: ['Geschäftsführerin: Vollmer, Anke, Hamburg, *12.04.1971, einzelvertretungsberechtigt'],
      shareholders: ['Tessaly Holdings Ltd, Limassol (Zypern), Geschäftsanteil 250.000,00 EUR (100 %)'],
      tags: ['nordwind', 'tessaly', 'vollmer', 'about:nordwind-ownership'],
    },
    {
      name: 'Tessaly Holdings Ltd',
      jurisdiction: 'cy',
      number: 'HE 389114',
      address: 'Arch. Makariou III 155, Proteas House, 3026 Limassol, Cyprus',
      incorporated: '2010-11-02',
      capital: 'EUR 1,000 divided into 1,000 ordinary shares of EUR 1 each',
      activity: 'Holding of investments',
      directors: ['Andreas Christodoulou (director, appointed 2 November 2010)', 'Limassol Corporate Secretaries Ltd (secretary)'],
      shareholders: ['Marlow Nominees Ltd — 1,000 ordinary shares (held on trust; declaration of trust not filed)'],
      tags: ['tessaly', 'about:nordwind-ownership'],
    },
    {
      name: 'Baltic Orion Trading FZE',
      jurisdiction: 'ae',
      number: 'JAFZA FZE 172044',
      address: 'LOB 16, Office 1607, Jebel Ali Free Zone, Dubai, United Arab Emirates',
      incorporated: '2022-05-09',
      capital: 'AED 1,000,000',
      activity: 'Trading in crude oil and petroleum products',
      directors: ['Rustam Aliyev (manager)'],
      shareholders: ['Rustam Aliyev — 100%'],
      tags: ['baltic-orion', 'aliyev'],
    },
  ],
  transfers: [
    {
      date: '2023-02-27',
      from: ORION,
      to: NORDWIND,
      amount: 1_850_000,
      currency: 'USD',
      reference: 'CHARTER HIRE KASPIAN DAWN CP 14FEB2023 1ST INSTALMENT',
      tags: ['nordwind', 'baltic-orion', 'kaspian-dawn'],
    },
    {
      date: '2023-03-21',
      from: NORDWIND,
      to: TESSALY,
      amount: 2_400_000,
      currency: 'EUR',
      reference: 'MGMT FEE Q1 2023 AS PER AGREEMENT 01JAN2019',
      note: 'Third "management fee" to the Cypriot parent in twelve months, each paid within days of a charter payment from the UAE. No management services agreement on file; customer has not answered two requests for it. Beneficiary IBAN CY17 0020 0128 0000 0012 0052 7600.',
      tags: ['nordwind', 'tessaly', 'about:tessaly-iban', 'about:management-fee'],
    },
    {
      date: '2023-04-18',
      from: ORION,
      to: NORDWIND,
      amount: 1_850_000,
      currency: 'USD',
      reference: 'CHARTER HIRE KASPIAN DAWN 2ND INSTALMENT',
      tags: ['nordwind', 'baltic-orion', 'kaspian-dawn'],
    },
    {
      date: '2023-05-02',
      from: TESSALY,
      to: { name: 'Marlow Nominees Ltd', iban: 'GB29 NWBK 6016 1331 9268 19', bank: 'NatWest, London' },
      amount: 2_150_000,
      currency: 'EUR',
      reference: 'LOAN REPAYMENT BP',
      note: 'Outgoing within eleven days of the Nordwind receipt. Reference "BP" unexplained; open-source research links the nominee to Boris Petrov.',
      tags: ['tessaly', 'petrov', 'about:tessaly-iban'],
    },
  ],
  invoices: [
    {
      number: 'NWS-2023-0117',
      vatRate: 0,
      date: '2023-02-15',
      seller: { name: 'Nordwind Shipping GmbH', address: 'Große Elbstraße 145, 22767 Hamburg', vat: 'DE298814455' },
      buyer: { name: 'Baltic Orion Trading FZE', address: 'Jebel Ali Free Zone, Dubai' },
      lines: [
        { text: 'Time charter hire MT Kaspian Dawn, 30 days @ USD 61,666.67', qty: 30, unit: 61_666.67 },
        { text: 'Bunker adjustment', qty: 1, unit: 42_500 },
      ],
      currency: 'USD',
      payTo: 'DE44 2005 0550 1234 5678 90 (Hamburger Sparkasse)',
      footer: 'Leistungszeitraum: 14.02.2023–15.03.2023. Steuerschuldnerschaft des Leistungsempfängers.',
      tags: ['nordwind', 'baltic-orion', 'kaspian-dawn'],
    },
    {
      number: 'TH-M-2023/01',
      date: '2023-03-15',
      seller: { name: 'Tessaly Holdings Ltd', address: 'Arch. Makariou III 155, 3026 Limassol, Cyprus' },
      buyer: { name: 'Nordwind Shipping GmbH', address: 'Große Elbstraße 145, 22767 Hamburg' },
      lines: [{ text: 'Strategic management and advisory services, Q1 2023', qty: 1, unit: 2_400_000 }],
      currency: 'EUR',
      payTo: 'CY17 0020 0128 0000 0012 0052 7600',
      tags: ['tessaly', 'nordwind', 'about:management-fee'],
    },
  ],
  written: [
    {
      id: 'nordwind-email-sts',
      type: 'email',
      title: 'RE: Kaspian Dawn – positioning',
      date: '2023-03-09',
      text: `
        From: Jens Harder <j.harder@nordwind-shipping.de>
        To: Dmitri Lasko <master.kaspiandawn@shipmail.net>
        Cc: Anke Vollmer <a.vollmer@nordwind-shipping.de>
        Date: 9 March 2023 18:42
        Subject: RE: Kaspian Dawn – positioning

        Captain,

        Charterers confirm the lightering rendezvous for 11 March, approx. 14 nm east of Ceuta, outside
        Spanish waters. Receiving vessel is the "Sea Amber" (Cameroon flag). Please switch AIS to
        standby once you pass Cabo de Gata and keep it that way until the transfer is complete; the
        cargo papers will show Novorossiysk as load port, nothing else. Log the transfer as "bunkering".

        Do not discuss the cargo on VHF. Owners (Mr P.) have asked to be kept informed directly.

        Best regards
        Jens Harder
        Chartering, Nordwind Shipping GmbH
      `,
      tags: ['nordwind', 'kaspian-dawn', 'harder', 'lasko', 'petrov', 'about:sts-transfer', 'about:ais-gap'],
    },
    {
      id: 'nordwind-ais-report',
      type: 'memo',
      title: 'Vessel tracking note: MT Kaspian Dawn (IMO 9387412), March 2023',
      date: '2023-03-20',
      text: `
        TRACKING NOTE — MT KASPIAN DAWN — IMO 9387412 — MMSI 511100934 — flag Palau
        Prepared by the data desk, 20 March 2023

        08 Mar 2023 21:14 UTC  last position before the gap: 36°41'N 002°11'W, course 262°, 11.8 kn
        11 Mar 2023            no transmissions (gap of 71 hours)
        12 Mar 2023 00:47 UTC  signal resumes at 35°56'N 005°02'W, draught 8.9 m (was 14.6 m)

        Summary: the tanker went dark for three days in the western Mediterranean and reappeared close to
        Ceuta riding more than five metres higher, i.e. after discharging most of its cargo. Satellite
        imagery (Sentinel-1, 11 March 05:58 UTC) shows two hulls side by side at 35°57'N 005°01'W. The
        second vessel matches the length of the "Sea Amber". No port call was recorded in between.
        Registered manager: Nordwind Shipping GmbH, Hamburg.
      `,
      tags: ['kaspian-dawn', 'nordwind', 'about:ais-gap', 'about:sts-transfer', 'about:kaspian-dawn'],
    },
    {
      id: 'nordwind-news-dark-tanker',
      type: 'news-clipping',
      title: 'Hamburg-managed tanker "went dark" before mid-sea oil transfer',
      date: '2023-06-14',
      text: `
        Hamburg-managed tanker "went dark" before mid-sea oil transfer
        By our shipping correspondent — 14 June 2023

        A tanker managed from an office on Hamburg's Große Elbstraße switched off its location
        transponder for three days in March and unloaded most of its cargo onto another ship off the
        North African coast, according to tracking data and satellite images reviewed by this
        newspaper.

        The Kaspian Dawn, a 2007-built Aframax tanker registered in Palau, is managed by Nordwind
        Shipping GmbH. Company filings show that Nordwind is wholly owned by Tessaly Holdings Ltd, a
        company in Limassol, Cyprus, whose shares are held by a nominee. Two people familiar with the
        company said the ultimate owner is Boris Petrov, a businessman who made his fortune in fuel
        distribution and who holds Cypriot and Russian passports.

        Ship-to-ship transfers are legal in themselves, but they are a common way of disguising the
        origin of oil subject to the G7 price cap. The Kaspian Dawn's papers give Novorossiysk as its
        load port. Its charterer, Baltic Orion Trading FZE, was registered in Dubai in May 2022 and has
        one listed manager.

        Nordwind's managing director, Anke Vollmer, said the company "complies with all applicable
        sanctions and price-cap rules" and that the vessel's transponder had "malfunctioned". She did
        not answer questions about Mr Petrov. Mr Petrov could not be reached for comment; a lawyer in
        Limassol who acts for Tessaly said his client does not comment on private business matters.

        The German customs investigation office (Zollfahndungsamt) declined to say whether it was
        examining the voyage. Under EU rules, a service provider that enables a transport above the
        price cap can face fines and the loss of its licence.
      `,
      tags: [
        'kaspian-dawn',
        'nordwind',
        'tessaly',
        'petrov',
        'vollmer',
        'baltic-orion',
        'about:sts-transfer',
        'about:nordwind-ownership',
        'about:kaspian-dawn',
      ],
    },
    {
      id: 'nordwind-email-fee',
      type: 'email',
      title: 'Quarterly fee to Limassol',
      date: '2023-03-16',
      text: `
        From: Anke Vollmer <a.vollmer@nordwind-shipping.de>
        To: Buchhaltung <buchhaltung@nordwind-shipping.de>
        Date: Thu, 16 Mar 2023 09:05

        Hi Petra,

        please release the Q1 transfer of EUR 2.4m to Tessaly in Limassol as soon as the Orion charter
        money has cleared. Use the Cypriot account on the invoice, not the old one at Marfin. Book it as
        advisory services, same as the last two quarters. If the bank asks for the services agreement,
        forward the request to me and I will deal with it.

        Gruß
        Anke
      `,
      tags: ['nordwind', 'tessaly', 'vollmer', 'about:management-fee'],
    },
    {
      id: 'nordwind-paraphrase-shell',
      type: 'memo',
      title: 'Note for file: where the charter proceeds went',
      date: '2023-05-10',
      text: `
        Note for file — 10 May 2023

        Reading the Hamburger Sparkasse statements together with the Limassol register entries: within
        days of each charter payment arriving in Hamburg, the company transferred funds to a Cypriot
        shell company that has no staff, no premises of its own and a nominee director who sits on
        forty other boards. The shell then paid on to a London nominee account with the reference "BP".

        Open questions: who signed the services agreement (if there is one); whether the auditors in
        Hamburg ever asked about it; whether the Cypriot shell files accounts at all.
      `,
      tags: ['nordwind', 'tessaly', 'about:management-fee', 'paraphrase:offshore-money'],
    },
    {
      id: 'nordwind-meeting-notes',
      type: 'meeting-notes',
      title: 'Editorial meeting: Nordwind / Kaspian Dawn',
      date: '2023-05-24',
      text: `
        Editorial meeting — Nordwind / Kaspian Dawn — 24 May 2023
        Present: investigations desk (4), data desk (2), legal (1)

        1. Ownership: Handelsregister shows Tessaly Holdings Ltd as sole shareholder of Nordwind Shipping
           GmbH. Tessaly's shares held by Marlow Nominees Ltd. Two sources name Boris Petrov as the
           person behind Marlow. Need a document, not just sources — ask the Cyprus partner to pull the
           bank-account opening file if anyone can.
        2. The March voyage: AIS gap of 71 hours, Sentinel image of two hulls, draught change. Strong.
           Ask a maritime lawyer whether "bunkering" in the log is a false entry under German law.
        3. Money: three quarterly "management fees" of EUR 2.4m each to Limassol. No agreement on file.
        4. Right of reply: Vollmer (Nordwind), Petrov via Limassol lawyer, Baltic Orion via its manager
           Rustam Aliyev. Deadline for answers: 7 June.
        5. Legal: do not name the captain (Lasko) unless his role goes beyond following instructions.
      `,
      tags: [
        'nordwind',
        'tessaly',
        'petrov',
        'vollmer',
        'lasko',
        'aliyev',
        'kaspian-dawn',
        'about:nordwind-ownership',
        'about:sts-transfer',
      ],
    },
    {
      id: 'nordwind-filing-customs',
      type: 'regulatory-filing',
      title: 'Notice of administrative fine: Nordwind Shipping GmbH, case ZFA-HH-2024-0388',
      date: '2024-02-08',
      text: `
        HEADING: GENERALZOLLDIREKTION — SANCTIONS ENFORCEMENT UNIT (English courtesy translation)
        The addressee, Nordwind Shipping GmbH, Hamburg (HRB 148273), acted as technical and commercial manager of the tanker Kaspian Dawn (IMO 9387412) between January 2021 and August 2023.

        Between 8 and 12 March 2023 the vessel's automatic identification system was deliberately set to standby. During that period the vessel discharged approximately 620,000 barrels of crude oil loaded at Novorossiysk onto the tanker Sea Amber east of Ceuta. The master's log recorded the operation as bunkering.

        The purchase price of the cargo, as shown by the charterer's documents obtained from the bank of Baltic Orion Trading FZE, exceeded the price cap applicable to crude oil of Russian origin. The addressee did not obtain the attestation required from its charterer.

        The addressee's sole shareholder is Tessaly Holdings Ltd, Limassol. The authority has received information that the beneficial owner of that company is Boris Petrov; this notice makes no finding on that point, which is not necessary to its decision.

        A fine of EUR 1,250,000 is imposed on the addressee under case number ZFA-HH-2024-0388. The managing director, Anke Vollmer, is heard separately.
      `,
      tags: [
        'nordwind',
        'kaspian-dawn',
        'tessaly',
        'petrov',
        'vollmer',
        'baltic-orion',
        'about:sts-transfer',
        'about:case-zfa',
        'about:kaspian-dawn',
      ],
    },
    {
      id: 'nordwind-email-petrov',
      type: 'email',
      title: 'Fwd: Mr Petrov – yacht crew invoices',
      date: '2022-09-02',
      text: `
        From: Anke Vollmer <a.vollmer@nordwind-shipping.de>
        To: Jens Harder <j.harder@nordwind-shipping.de>
        Date: Fri, 2 Sep 2022 16:20
        Subject: Fwd: Mr Petrov – yacht crew invoices

        Jens, Boris Petrov's office wants us to pay the crew of his yacht "Lazurit" through our crewing
        account again and recharge it to Tessaly. I said no last time. Can you check with the auditors
        whether that is even allowed? I don't want this on our books.

        ---------- Forwarded message ----------
        From: office@bp-family.cy
        Boris asks that the August payroll for Lazurit (EUR 86,400) be handled as before. Thank you.
      `,
      tags: ['petrov', 'vollmer', 'harder', 'nordwind', 'tessaly', 'about:petrov'],
    },
    {
      id: 'nordwind-news-petrov-profile',
      type: 'news-clipping',
      title: 'The fuel trader who keeps his name off every register',
      date: '2023-07-01',
      text: `
        The fuel trader who keeps his name off every register

        Boris Petrov, 55, rarely gives interviews and appears in no company register in Germany, Cyprus
        or the United Kingdom. Yet former employees, bank records seen by this newspaper and court papers
        in Limassol describe him as the man who decides what Nordwind Shipping's tankers carry and where.

        Born in Rostov-on-Don, Petrov built a chain of filling stations in southern Russia in the 1990s
        and sold it in 2008. He acquired Cypriot citizenship in 2014 under the island's since-abolished
        investment programme. Friends describe a private man who spends summers on his yacht, the
        Lazurit, and winters in Limassol.

        His lawyer says Mr Petrov "has no ownership interest in Nordwind Shipping GmbH" and that any
        suggestion otherwise is defamatory. The lawyer did not answer a question about Marlow Nominees
        Ltd, the company that holds Tessaly Holdings' shares, nor about payments marked "BP" that passed
        through Marlow's London account.
      `,
      tags: ['petrov', 'nordwind', 'tessaly', 'about:petrov', 'about:nordwind-ownership'],
    },
  ],
};
