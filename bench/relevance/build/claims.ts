/** What the newsroom put to the people of each storyline before publishing, and to whom (see `replyLetters`). */
import type { Storyline } from './kit.ts';

type Reply = Pick<Storyline, 'claims' | 'replyTo'> & { date: string };

export const REPLIES: Record<string, Reply> = {
  nordwind: {
    date: '2023-05-31',
    claims: [
      {
        text: 'Nordwind Shipping GmbH is wholly owned by Tessaly Holdings Ltd of Limassol, whose shares are held by a nominee on behalf of Boris Petrov.',
        tags: ['about:nordwind-ownership', 'petrov'],
      },
      {
        text: 'In March 2023 the tanker Kaspian Dawn switched off its transponder for 71 hours and discharged most of its cargo onto the Sea Amber east of Ceuta.',
        tags: ['about:sts-transfer', 'about:ais-gap', 'kaspian-dawn'],
      },
      { text: 'The master was instructed in writing to record the operation as bunkering.', tags: ['about:sts-transfer'] },
      {
        text: 'Nordwind paid EUR 2.4 million a quarter to Tessaly as management fees without any services agreement on file.',
        tags: ['about:management-fee'],
      },
    ],
    replyTo: [
      { name: 'Anke Vollmer', salutation: 'Dear Ms Vollmer', address: 'Nordwind Shipping GmbH, Hamburg', tags: ['vollmer', 'nordwind'] },
      { name: 'Boris Petrov', salutation: 'Dear Mr Petrov', address: 'c/o his lawyers, Limassol', tags: ['petrov'] },
      { name: 'Rustam Aliyev', salutation: 'Dear Mr Aliyev', address: 'Baltic Orion Trading FZE, Dubai', tags: ['aliyev', 'baltic-orion'] },
    ],
  },
  baltica: {
    date: '2021-09-20',
    claims: [
      {
        text: 'Between 2018 and 2021 the bank processed more than USD 1 billion for UK partnerships owned by Seychelles companies, without identifying their beneficial owners.',
        tags: ['about:laundromat'],
      },
      {
        text: 'Your head of compliance reported 41 suspicious transactions to the management board; none was passed on to the Financial Intelligence Unit.',
        tags: ['about:whistleblower'],
      },
      {
        text: 'In January 2021 Greyfield Ventures Ltd paid EUR 1.2 million to Sarnov Capital SIA, a company of the chairman.',
        tags: ['greyfield', 'sarnov'],
      },
      {
        text: 'Redwater Commercial LLP passed USD 3.88 million to Greyfield one day after receiving it, labelled as a loan.',
        tags: ['about:laundromat', 'redwater'],
      },
    ],
    replyTo: [
      { name: 'Viktor Sarnov', salutation: 'Dear Mr Sarnov', address: 'Baltica Commerce Bank AS, Riga', tags: ['sarnov', 'baltica'] },
      {
        name: 'Baltica Commerce Bank AS press office',
        salutation: 'Dear Sir or Madam',
        address: 'Elizabetes iela 41, Riga',
        tags: ['baltica'],
      },
    ],
  },
  hospital: {
    date: '2023-03-01',
    claims: [
      {
        text: 'St Aldric County Hospital paid GBP 4,200 each for 320 infusion pumps that other trusts bought for about half that price.',
        tags: ['about:infusion-pumps'],
      },
      {
        text: 'Gerald Finch placed the order as a direct award under an urgency exemption, without a tender.',
        tags: ['about:infusion-pumps', 'gerald-finch'],
      },
      {
        text: 'Medivance Supplies Ltd paid Aster Advisory LLP, run by Patricia Finch, at least GBP 270,000 for "market research".',
        tags: ['about:kickback-payments', 'aster'],
      },
    ],
    replyTo: [
      { name: 'Gerald Finch', salutation: 'Dear Mr Finch', address: 'by e-mail', tags: ['gerald-finch'] },
      { name: 'Owen Rudd', salutation: 'Dear Mr Rudd', address: 'Medivance Supplies Ltd, Leeds', tags: ['rudd', 'medivance'] },
      { name: 'Patricia Finch', salutation: 'Dear Mrs Finch', address: 'Aster Advisory LLP, Marbury', tags: ['patricia-finch', 'aster'] },
    ],
  },
  porto: {
    date: '2023-09-25',
    claims: [
      {
        text: 'Representatives of Brennholt Bau AG, Castellan Infraestruturas SA and Obras Duarte SA met in Lisbon in May 2022 and agreed who would win the Alvar Sul terminal contract (procedure CP-2022-0457).',
        tags: ['about:bid-rigging', 'about:alvar-sul'],
      },
      {
        text: 'Brennholt paid EUR 1.75 million in consultancy fees to Solmar Consultoria Lda, owned by Inês Talavera, two weeks before the award.',
        tags: ['about:solmar-payments', 'talavera'],
      },
      {
        text: 'Brennholt submitted a deliberately high bid for the Sines road contract so that Obras Duarte would win it.',
        tags: ['about:bid-rigging'],
      },
    ],
    replyTo: [
      {
        name: 'Klaus Reinholt',
        salutation: 'Sehr geehrter Herr Reinholt',
        address: 'Brennholt Bau AG, Düsseldorf',
        tags: ['reinholt', 'brennholt'],
      },
      { name: 'Rui Talavera', salutation: 'Dear Minister', address: 'Ministry of Infrastructure, Lisbon', tags: ['talavera'] },
      {
        name: 'Paulo Mendonça',
        salutation: 'Dear Mr Mendonça',
        address: 'Castellan Infraestruturas SA, Lisbon',
        tags: ['mendonca', 'castellan'],
      },
    ],
  },
  kasanga: {
    date: '2022-02-07',
    claims: [
      {
        text: 'Of the USD 50 million signature bonus for licence PL-7731, USD 45 million was paid to Obsidian Trust Holdings Ltd rather than to the treasury.',
        tags: ['about:signature-bonus', 'about:kivuli'],
      },
      { text: 'Obsidian is controlled by Tomas Ndoro, son of the minister of mines Joseph Ndoro.', tags: ['about:obsidian-ownership'] },
      {
        text: 'A director objected in writing before the payment and asked for legal advice, which was not obtained.',
        tags: ['about:signature-bonus'],
      },
    ],
    replyTo: [
      { name: 'Fiona Greaves', salutation: 'Dear Ms Greaves', address: 'Ridgeback Minerals plc, London', tags: ['greaves', 'ridgeback'] },
      { name: 'Joseph Ndoro', salutation: 'Dear Minister', address: 'Ministry of Mines, Port Halden', tags: ['joseph-ndoro'] },
      {
        name: 'Tomas Ndoro',
        salutation: 'Dear Mr Ndoro',
        address: 'Obsidian Trust Holdings Ltd, Port Halden',
        tags: ['tomas-ndoro', 'obsidian'],
      },
    ],
  },
  ashby: {
    date: '2023-11-10',
    claims: [
      {
        text: 'Halcyon Estates Ltd, a Jersey company you own, bought 27 Aubrey Crescent, London W8, in March 2018 for GBP 11.45 million.',
        tags: ['about:aubrey-crescent', 'about:halcyon-ownership'],
      },
      {
        text: 'The purchase money came from Alder Peak Trading Ltd of Gibraltar, a company of Jonah Vesely.',
        tags: ['about:property-purchase', 'alder-peak'],
      },
      {
        text: 'The National Crime Agency has obtained an unexplained wealth order against you (claim UWO-2023-0147).',
        tags: ['about:uwo'],
      },
    ],
    replyTo: [
      { name: 'Lorraine Ashby', salutation: 'Dear Ms Ashby', address: 'c/o Pemberton & Rowe LLP', tags: ['ashby', 'about:ashby'] },
      { name: 'Charles Pemberton', salutation: 'Dear Mr Pemberton', address: 'Pemberton & Rowe LLP, London', tags: ['pemberton'] },
    ],
  },
  veridian: {
    date: '2023-04-24',
    claims: [
      {
        text: 'After unblinding, eleven of fourteen serious liver injuries in trial VP-CX-301 were recoded as minor laboratory findings.',
        tags: ['about:celoxan-liver', 'about:celoxan-trial'],
      },
      {
        text: 'The medical safety lead refused to sign the safety section of the Celoxan study report and resigned.',
        tags: ['about:lindqvist', 'about:celoxan-liver'],
      },
      { text: "Two cases met Hy's law criteria and were left out of the narrative tables.", tags: ['about:celoxan-liver'] },
    ],
    replyTo: [
      { name: 'Markus Egli', salutation: 'Dear Mr Egli', address: 'Veridian Pharma AG, Basel', tags: ['egli', 'veridian'] },
      {
        name: 'Veridian Pharma AG media relations',
        salutation: 'Dear Sir or Madam',
        address: 'Aeschenvorstadt 71, Basel',
        tags: ['veridian'],
      },
    ],
  },
  tarvik: {
    date: '2024-07-08',
    claims: [
      {
        text: 'Tarvik Industrial Ltd sold eight 5-axis machining centres to Silkline Logistics FZE, a Dubai freight forwarder.',
        tags: ['about:cnc-export', 'silkline'],
      },
      {
        text: 'The end-user certificate naming Al Noor Precision Engineering was forged; Al Noor never ordered the machines.',
        tags: ['about:end-user-certificate'],
      },
      {
        text: 'The machines were re-exported from Jebel Ali to a destination for which no licence would have been granted.',
        tags: ['about:dual-use', 'about:cnc-export'],
      },
    ],
    replyTo: [
      { name: 'Neil Ashworth', salutation: 'Dear Mr Ashworth', address: 'Sheffield', tags: ['ashworth'] },
      { name: 'Farid Karimov', salutation: 'Dear Mr Karimov', address: 'Silkline Logistics FZE, Dubai', tags: ['karimov', 'silkline'] },
      { name: 'David Tarvik', salutation: 'Dear Mr Tarvik', address: 'Tarvik Industrial Ltd, Sheffield', tags: ['tarvik'] },
    ],
  },
  civic: {
    date: '2024-03-05',
    claims: [
      {
        text: 'Six employees of Brightwater Holdings Ltd each gave EUR 9,900 to the Civic Renewal Party in May 2023, just under the EUR 10,000 threshold.',
        tags: ['about:split-donations'],
      },
      { text: 'Each of them had received EUR 9,900 from Brightwater the day before.', tags: ['about:split-donations', 'brightwater'] },
      { text: 'Martin Keel, the party treasurer, arranged the donations with Brightwater’s finance director.', tags: ['about:keel'] },
    ],
    replyTo: [
      { name: 'Martin Keel', salutation: 'Dear Mr Keel', address: 'Civic Renewal Party, Dublin', tags: ['keel', 'about:keel'] },
      {
        name: 'Eamon Brightwater',
        salutation: 'Dear Mr Brightwater',
        address: 'Brightwater Holdings Ltd, Belfast',
        tags: ['eamon-brightwater', 'brightwater'],
      },
    ],
  },
  coinharbor: {
    date: '2023-03-20',
    claims: [
      {
        text: 'On 8 and 9 November 2022 CoinHarbor moved GBP 31.5 million out of its client money account to Alder Peak Trading Ltd, a company you own.',
        tags: ['about:customer-funds', 'about:alder-peak-ownership'],
      },
      {
        text: 'About 1,104 bitcoin left the exchange’s cold wallet hours before withdrawals were suspended.',
        tags: ['about:wallet', 'about:withdrawal-freeze'],
      },
      { text: 'Alder Peak paid for a London house bought through a Jersey company.', tags: ['alder-peak', 'halcyon'] },
    ],
    replyTo: [
      { name: 'Jonah Vesely', salutation: 'Dear Mr Vesely', address: 'by e-mail', tags: ['vesely'] },
      { name: 'Simone Ferraro', salutation: 'Dear Ms Ferraro', address: 'by e-mail', tags: ['ferraro'] },
    ],
  },
  velkor: {
    date: '2023-10-09',
    claims: [
      {
        text: 'Solvent waste collected from Velkor Chemie GmbH in August 2023 never reached the incineration plant named on the consignment notes.',
        tags: ['about:solvent-dumping'],
      },
      {
        text: 'A tanker trailer of EcoTrans Entsorgung GmbH was seen at the Eisenkuhle adit the night before the fish kill in the Ilmbach.',
        tags: ['about:fish-kill', 'about:solvent-dumping'],
      },
      { text: 'EcoTrans charged less than half the usual price for hazardous solvent waste.', tags: ['about:solvent-dumping', 'ecotrans'] },
    ],
    replyTo: [
      {
        name: 'Heiko Brandt',
        salutation: 'Sehr geehrter Herr Brandt',
        address: 'EcoTrans Entsorgung GmbH, Werdohl',
        tags: ['brandt', 'ecotrans'],
      },
      { name: 'Konrad Velte', salutation: 'Sehr geehrter Herr Velte', address: 'Velkor Chemie GmbH, Altena', tags: ['velkor'] },
    ],
  },
};
