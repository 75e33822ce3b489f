/**
 * Documents of no storyline: the routine paper any leak or newsroom archive is full of —
 * unrelated companies' register entries, office invoices, rent and salary payments, internal
 * e-mails, local news. They share vocabulary with the storylines (bank, invoice, company,
 * transfer, court) so that a search that merely matches words finds them too. None touches the
 * out-of-corpus topics the queries ask about.
 */
import { type Company, type Doc, type InvoiceSpec, type Transfer, pick, slug, text } from './kit.ts';
import { invoiceDoc, registryExtract, transferDocs } from './templates.ts';

const FIRST = [
  'Harbour',
  'Linden',
  'Crescent',
  'Oakmere',
  'Falkner',
  'Stellar',
  'Birchfield',
  'Kestrel',
  'Granite',
  'Wexford',
  'Ashgrove',
  'Meridian',
  'Copperleaf',
  'Thornbury',
  'Elbtal',
  'Rheinblick',
  'Westpark',
  'Norland',
  'Sunvale',
  'Ironbridge',
];
const SECOND = [
  'Print',
  'Facility',
  'Dental',
  'Software',
  'Logistics',
  'Catering Equipment',
  'Property',
  'Translation',
  'Office',
  'Solar',
  'Courier',
  'Cleaning',
  'Packaging',
  'Event',
  'Data',
];
const SUFFIX_EN = ['Ltd', 'Ltd', 'Services Ltd', 'Group Ltd', 'Solutions Ltd', 'Holdings Ltd'];
const SUFFIX_DE = ['GmbH', 'GmbH', 'Service GmbH', 'GmbH & Co. KG'];
const ACTIVITY: Record<string, string> = {
  Print: 'Printing and reproduction of recorded media',
  Facility: 'Combined facilities support activities',
  Dental: 'Dental practice activities',
  Software: 'Business and domestic software development',
  Logistics: 'Freight transport by road',
  'Catering Equipment': 'Wholesale of machinery for the catering trade',
  Property: 'Letting and operating of own or leased real estate',
  Translation: 'Translation and interpretation activities',
  Office: 'Wholesale of office furniture and supplies',
  Solar: 'Installation of photovoltaic systems',
  Courier: 'Other postal and courier activities',
  Cleaning: 'General cleaning of buildings',
  Packaging: 'Packaging activities',
  Event: 'Organisation of conventions and trade shows',
  Data: 'Data processing, hosting and related activities',
};
const TOWNS_EN = ['Leeds', 'Bristol', 'Norwich', 'Cardiff', 'Reading', 'Derby', 'York', 'Swindon', 'Exeter', 'Luton'];
const TOWNS_DE = ['Bremen', 'Kassel', 'Münster', 'Bielefeld', 'Lübeck', 'Würzburg', 'Ulm', 'Oldenburg'];
const PEOPLE = [
  'Sarah Whitcombe',
  'Tom Ellery',
  'Priya Natarajan',
  'Gareth Lloyd',
  'Helen Marsh',
  'Jonas Becker',
  'Miriam Kühn',
  'Lukas Hoffmann',
  'Chloe Barnes',
  'Ahmed Rahimi',
  'Nina Sørensen',
  'Paul Okafor',
];
const DAYS = (r: () => number, year = 2019 + Math.floor(r() * 5)) =>
  `${year}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;

function companyOf(r: () => number, i: number): Company {
  const de = i % 4 === 3;
  const kind = pick(r, SECOND);
  const name = `${pick(r, FIRST)} ${kind} ${pick(r, de ? SUFFIX_DE : SUFFIX_EN)}`;
  const town = pick(r, de ? TOWNS_DE : TOWNS_EN);
  const director = pick(r, PEOPLE);
  return {
    name,
    jurisdiction: de ? 'de' : 'uk',
    number: de ? `HRB ${10_000 + Math.floor(r() * 90_000)}` : String(10_000_000 + Math.floor(r() * 4_000_000)).padStart(8, '0'),
    address: de
      ? `${pick(r, ['Hauptstraße', 'Bahnhofstraße', 'Am Markt', 'Industrieweg'])} ${1 + Math.floor(r() * 90)}, ${20_000 + Math.floor(r() * 70_000)} ${town}`
      : `${1 + Math.floor(r() * 200)} ${pick(r, ['High Street', 'Station Road', 'Mill Lane', 'Church Street', 'Victoria Road'])}, ${town}`,
    incorporated: DAYS(r, 1995 + Math.floor(r() * 25)),
    capital: de ? '25.000,00 EUR' : `GBP ${pick(r, ['100', '1,000', '10,000', '50,000'])}`,
    activity: de
      ? `${ACTIVITY[kind] ?? 'Dienstleistungen'} (Dienstleistungen für gewerbliche Kunden).`
      : (ACTIVITY[kind] ?? 'Other business support service activities'),
    directors: [de ? `Geschäftsführer: ${director.split(' ').reverse().join(', ')}, ${town}` : `${director} (director)`],
    shareholders: [de ? `${director} (100 %)` : `${director} — 75% or more of shares`],
    tags: [],
  };
}

const EMAILS: Array<(r: () => number) => { title: string; body: string }> = [
  (r) => ({
    title: 'Server maintenance this weekend',
    body: `The file server and the shared drive will be offline on Saturday from ${pick(r, ['06:00', '08:00', '22:00'])} for about four hours while we replace the storage controller. Please save your work and log off on Friday evening. VPN access will not be affected. — IT`,
  }),
  (r) => ({
    title: 'Meeting room bookings',
    body: `From next week meeting rooms ${pick(r, ['2 and 3', 'A and B', 'on the fourth floor'])} must be booked through the calendar; paper lists on the doors will be removed. Please cancel bookings you no longer need so others can use the rooms.`,
  }),
  (r) => ({
    title: 'Travel approval',
    body: `Your trip to ${pick(r, ['Brussels', 'Vienna', 'Copenhagen', 'Lyon', 'Edinburgh'])} from ${DAYS(r)} has been approved. Please book through the travel portal, economy class, and keep all receipts for the expense claim. Hotel cap: ${pick(r, ['EUR 140', 'EUR 160', 'GBP 150'])} per night.`,
  }),
  (r) => ({
    title: 'Reminder: timesheets',
    body: `A friendly reminder that timesheets for ${pick(r, ['March', 'June', 'September', 'November'])} are due by Friday. Missing timesheets delay invoicing for the whole team. Thank you!`,
  }),
  (r) => ({
    title: 'Office move – boxes',
    body: `Crates for the move to the ${pick(r, ['second', 'third', 'fifth'])} floor will be delivered on Monday. Label every crate with your name and new desk number. Personal items are your own responsibility; the movers will not pack desks.`,
  }),
  (r) => ({
    title: 'Password expiry',
    body: `Your network password expires in ${pick(r, ['3', '5', '7'])} days. Choose a passphrase of at least 14 characters. Never share your password; the IT team will never ask you for it by e-mail.`,
  }),
  (r) => ({
    title: 'Fire drill on Thursday',
    body: `There will be a fire drill on Thursday at ${pick(r, ['10:30', '11:00', '14:15'])}. When the alarm sounds, leave by the nearest exit and gather at the assembly point in the car park. Lifts must not be used.`,
  }),
  (r) => ({
    title: 'Printer on level 2',
    body: `The colour printer on level 2 is out of order until the technician visits on ${pick(r, ['Tuesday', 'Wednesday', 'Friday'])}. Please use the machine next to reception in the meantime.`,
  }),
  (r) => ({
    title: 'New starter',
    body: `Please welcome ${pick(r, PEOPLE)}, who joins the ${pick(r, ['research', 'graphics', 'audience', 'legal'])} team on Monday. Their desk is next to the window; laptop and badge are ready at reception.`,
  }),
  () => ({
    title: 'Annual leave planning',
    body: `Please enter your planned annual leave for the summer in the team calendar by the end of the month so we can keep the desk staffed. No more than two people from one team may be away in the same week.`,
  }),
];

const NEWS: Array<(r: () => number) => { title: string; body: string }> = [
  (r) => {
    const town = pick(r, TOWNS_EN);
    return {
      title: `${town} council approves new cycle lane`,
      body: `${town} city council has approved a two-kilometre protected cycle lane along the ring road, at a cost of GBP ${pick(r, ['2.1', '3.4', '4.8'])} million. Works start in spring and will close one lane for traffic for about six months. Shop owners on the route said they were worried about deliveries; the council promised loading bays every 200 metres.`,
    };
  },
  (r) => ({
    title: 'Regional airport passenger numbers rise',
    body: `Passenger numbers at the regional airport rose by ${pick(r, ['7', '12', '18'])} per cent last year to ${pick(r, ['1.2', '1.9', '2.4'])} million, the operator said. Two new routes to southern Europe will start in May. The operator plans to extend the terminal and add 400 parking spaces, subject to planning permission.`,
  }),
  (r) => ({
    title: 'Bridge repairs to last until autumn',
    body: `Repairs to the ${pick(r, ['Mill Street', 'Victoria', 'Old Town', 'Riverside'])} bridge will take until October because corrosion in the steel girders turned out to be worse than expected, the highways department said. Pedestrians can still cross; buses are diverted.`,
  }),
  (r) => ({
    title: 'Trade fair draws record exhibitors',
    body: `The ${pick(r, ['packaging', 'logistics', 'office technology', 'renewable energy'])} trade fair opened yesterday with ${pick(r, ['640', '820', '1,100'])} exhibitors from 30 countries, a record. Organisers expect 40,000 visitors over four days. Hotels in the city are fully booked.`,
  }),
  (r) => ({
    title: 'Library extends opening hours',
    body: `The central library will open until 9 pm on weekdays from next month, after a survey found that students and shift workers wanted later access. The extra hours are funded by a GBP ${pick(r, ['80,000', '120,000'])} grant. The café on the ground floor will stay open as well.`,
  }),
  (r) => ({
    title: 'Stadtwerke erhöhen Fernwärmepreise',
    body: `Die Stadtwerke ${pick(r, TOWNS_DE)} erhöhen zum 1. Januar die Preise für Fernwärme um ${pick(r, ['8', '11', '14'])} Prozent. Begründet wird der Schritt mit gestiegenen Beschaffungskosten. Verbraucherschützer raten, die Abschläge zu prüfen.`,
  }),
  (r) => ({
    title: 'Port volumes flat as container traffic stalls',
    body: `Container volumes at the port were unchanged last quarter at ${pick(r, ['1.1', '1.3', '2.0'])} million TEU, the port authority reported. Bulk cargo rose slightly on grain exports. The authority said dredging of the access channel would begin next year.`,
  }),
];

const SUPPLIES = [
  ['Copy paper A4, 80 g, box of 5 reams', 24.9],
  ['Toner cartridge, black, high yield', 89],
  ['Office chair, ergonomic, mesh back', 289],
  ['Monthly cleaning of office premises', 1_450],
  ['Software licence, document management, per seat/year', 240],
  ['Translation German–English, per standard page', 38],
  ['Courier, same-day, city zone', 32],
  ['Laptop docking station', 189],
  ['Window cleaning, quarterly', 380],
  ['Conference room hire, full day', 650],
] as const;

/** Agenda items of a long set of minutes (a works council, a residents' association, a publisher's board). */
const AGENDA = [
  [
    'Apologies and approval of the previous minutes',
    'Apologies were received from two members. The minutes of the previous meeting were approved as a correct record subject to one amendment: under item 6 the figure for the heating contract should read 41,200, not 42,100. The chair signed the corrected minutes.',
  ],
  [
    'Matters arising',
    'The secretary reported that the letter to the landlord about the lift had been sent and acknowledged; a contractor is due to inspect it within the month. The action on the noticeboard remains open because the glazier has not quoted yet. The member who volunteered to update the contact list asked for everyone to check their details by the end of the week.',
  ],
  [
    'Finance report',
    'The treasurer presented the management accounts for the first half of the year. Income is slightly ahead of budget because two grants were received earlier than expected; expenditure is in line except for repairs, which are over budget after the roof leak in February. Reserves stand at just over four months of running costs. The meeting noted the report and thanked the treasurer.',
  ],
  [
    'Budget for next year',
    'A first draft of next year’s budget was circulated. It assumes a three per cent rise in energy costs and no change in membership fees. Members asked for a second scenario in which fees rise by five per cent and for the repairs line to be increased. A revised draft will be presented at the next meeting for approval.',
  ],
  [
    'Premises and maintenance',
    'The building manager reported on the planned works: repainting of the stairwell in August, replacement of two fire doors and a survey of the drainage at the rear. Members asked that the works be scheduled to avoid the busiest weeks. The fire door replacement is required by the last inspection and cannot be postponed.',
  ],
  [
    'Health and safety',
    'There were no reportable incidents in the period. Two minor accidents were recorded in the accident book, neither requiring treatment beyond first aid. The first-aid kits were checked and restocked. Refresher training for the fire wardens is booked for the autumn. The chair reminded members that corridors must be kept clear.',
  ],
  [
    'Information technology',
    'The replacement of the old desktop computers is complete. The new backup arrangement has been tested by restoring a sample of files, which worked. The broadband contract ends in November; three quotes have been obtained and a recommendation will follow. Members asked for guidance on secure passwords, which the IT volunteer agreed to circulate.',
  ],
  [
    'Staffing',
    'The part-time administrator has agreed to increase her hours from eighteen to twenty-four a week from next month, within the existing budget because of savings elsewhere. The vacancy for a bookkeeper has been advertised; eleven applications were received and four candidates will be interviewed.',
  ],
  [
    'Events programme',
    'The summer open day will take place on the second Saturday of July. Volunteers are needed for setting up, the information stand and clearing away. The autumn talk series has four confirmed speakers; the fifth slot is still open. Members suggested a session on energy saving at home.',
  ],
  [
    'Communications',
    'The newsletter will move from quarterly to bimonthly, with a shorter format. The website has been updated with the new opening hours and the contact form now works again. Members asked that minutes be published on the website within two weeks of each meeting, with personal details removed.',
  ],
  [
    'Membership',
    'Membership stands at 312, an increase of nineteen since the start of the year. Seven members did not renew. A reminder will be sent to those whose subscriptions are due next quarter. The meeting discussed a reduced fee for students and agreed to consider it with the budget.',
  ],
  [
    'Policies due for review',
    'The complaints policy and the data protection policy are due for review. The secretary has compared them with current guidance and proposes only minor changes, mostly to contact details and response times. Members will send comments within two weeks, after which the revised versions will be adopted.',
  ],
  [
    'Insurance renewal',
    'The broker has presented renewal terms for buildings and public liability insurance. The premium rises by six per cent, mainly because of the roof claim. An alternative insurer offered a lower premium with a higher excess. The meeting agreed to renew with the current insurer for one more year and to review the market next spring.',
  ],
  [
    'Parking and access',
    'Residents have again complained about delivery vans blocking the access road in the mornings. The council has been asked to mark a loading bay. In the meantime a polite notice will be placed at the entrance. The bicycle shelter is full and a second one will be priced.',
  ],
  [
    'Energy use',
    'Electricity use fell by nine per cent compared with the same period last year after the lighting was changed to LED and the timers on the heating were reset. The gas contract is fixed until next March. Members asked whether solar panels on the flat roof would be feasible; the building manager will ask for a structural opinion.',
  ],
  [
    'Correspondence',
    'Letters were received from the local school, asking to use the hall for a concert, and from a neighbouring association proposing a joint litter-picking day. Both requests were welcomed. A thank-you letter from a former member was read out.',
  ],
  [
    'Any other business',
    'A member raised the condition of the garden at the rear, which needs attention before summer; a working party will be organised. Another asked whether meetings could start half an hour later; the chair will canvass members by e-mail.',
  ],
  [
    'Date of next meeting',
    'The next meeting will be held on the first Tuesday of next month at 7 pm in the upstairs room. Papers will be circulated a week in advance. The meeting closed at 9.05 pm.',
  ],
] as const;

function longMinutes(r: () => number, i: number): Doc {
  const body = [...AGENDA.slice(0, 2), ...AGENDA.slice(2, -2).filter(() => r() < 0.8), ...AGENDA.slice(-2)];
  const body2 = body.map(
    ([h, p], k) =>
      `${k + 1}. ${h}\n\n${p}${r() < 0.5 ? ` ${pick(r, ['Action: secretary.', 'Action: chair to follow up.', 'No decision was needed.', 'Agreed unanimously.'])}` : ''}`,
  );
  const lines = [
    'Membership fees',
    'Grants',
    'Hall hire income',
    'Donations',
    'Energy',
    'Water and sewerage',
    'Cleaning',
    'Repairs and maintenance',
    'Insurance',
    'Telephone and broadband',
    'Printing and stationery',
    'Postage',
    'Newsletter',
    'Events',
    'Volunteer expenses',
    'Training',
    'Accountancy',
    'Bank charges',
    'Depreciation',
    'Contingency',
  ];
  const annex = lines.map(
    (l) =>
      `  ${l.padEnd(28)} budget ${String(500 + Math.floor(r() * 19_500)).padStart(6)}   actual ${String(400 + Math.floor(r() * 20_000)).padStart(6)}`,
  );
  const org = pick(r, [
    'Linden Court Residents’ Association',
    'Works Council, Westmark Publishing Ltd',
    'Friends of the Central Library',
    'Harbourside Community Trust',
    'Allotment Society, Birchfield',
  ]);
  const date = DAYS(r);
  return {
    id: `other-minutes-${i + 1}`,
    type: 'meeting-notes',
    storyline: null,
    lang: 'en',
    date,
    title: `Minutes: ${org}, ${date}`,
    tags: [],
    text: `${org}\nMinutes of the ordinary meeting held on ${date}\nPresent: ${Array.from({ length: 4 + Math.floor(r() * 4) }, () =>
      pick(r, PEOPLE),
    )
      .filter((p, k, a) => a.indexOf(p) === k)
      .join(
        ', ',
      )}\n\n${body2.join('\n\n')}\n\nAnnex: management accounts, year to date\n${annex.join('\n')}\n\nThe annex was circulated with the papers; figures are unaudited and rounded to the nearest whole unit.`,
  };
}

export function distractors(
  seed: () => number,
  counts: { registry: number; invoices: number; payments: number; emails: number; news: number; minutes: number },
): Doc[] {
  const r = seed;
  const docs: Doc[] = [];
  const companies = Array.from({ length: counts.registry + counts.invoices }, (_, i) => companyOf(r, i));
  const seen = new Set<string>();
  for (const c of companies.slice(0, counts.registry)) {
    const doc = registryExtract(c, 'other', r, DAYS(r, 2021 + Math.floor(r() * 3)));
    if (seen.has(doc.id)) continue;
    seen.add(doc.id);
    docs.push({ ...doc, storyline: null, tags: [] });
  }
  companies.slice(counts.registry).forEach((c, i) => {
    const lines = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
      const [t, unit] = pick(r, SUPPLIES);
      return { text: t, qty: 1 + Math.floor(r() * 20), unit };
    });
    const de = c.jurisdiction === 'de';
    const inv: InvoiceSpec = {
      number: `${slug(c.name).slice(0, 3).toUpperCase()}-${2019 + (i % 5)}-${String(100 + i * 7)}`,
      date: DAYS(r),
      seller: {
        name: c.name,
        address: c.address,
        vat: de
          ? `DE${100_000_000 + Math.floor(r() * 800_000_000)}`
          : `GB ${100 + Math.floor(r() * 800)} ${1000 + Math.floor(r() * 8000)} ${10 + Math.floor(r() * 80)}`,
      },
      buyer: {
        name: pick(r, ['Northern Daily Media Ltd', 'Redaktion Nordkurier Digital GmbH', 'Civic Research Trust', 'Westmark Publishing Ltd']),
        address: pick(r, ['12 King Street, Leeds LS1 2HL', 'Am Hafen 4, 20457 Hamburg', '5 Queen Square, Bristol BS1 4JQ']),
      },
      lines,
      currency: de ? 'EUR' : 'GBP',
      tags: [],
    };
    const doc = invoiceDoc(inv, 'other');
    docs.push({ ...doc, id: `other-invoice-${i + 1}`, storyline: null, tags: [] });
  });
  const payments: Transfer[] = Array.from({ length: counts.payments }, () => {
    const kind = pick(r, ['RENT', 'SALARY', 'UTILITIES', 'INSURANCE PREMIUM', 'VAT RETURN']);
    const payer = pick(r, ['Northern Daily Media Ltd', 'Westmark Publishing Ltd', 'Civic Research Trust']);
    return {
      date: DAYS(r),
      from: {
        name: payer,
        iban: `GB${10 + Math.floor(r() * 89)} LOYD 3094 ${1000 + Math.floor(r() * 8999)} ${1000 + Math.floor(r() * 8999)} 22`,
        bank: 'Lombard Street Bank, London',
      },
      to:
        kind === 'SALARY'
          ? {
              name: pick(r, PEOPLE),
              iban: `GB${10 + Math.floor(r() * 89)} HBUK 4012 ${1000 + Math.floor(r() * 8999)} ${1000 + Math.floor(r() * 8999)} 11`,
              bank: 'Highbury Bank',
            }
          : {
              name: pick(r, [
                'Crown Estate Lettings Ltd',
                'Yorkshire Power & Water plc',
                'Albion Mutual Insurance',
                'HM Revenue & Customs',
              ]),
              iban: `GB${10 + Math.floor(r() * 89)} BARC 2000 ${1000 + Math.floor(r() * 8999)} ${1000 + Math.floor(r() * 8999)} 00`,
              bank: 'Barrow & Co. Bank',
            },
      amount: Math.round((kind === 'SALARY' ? 2_500 + r() * 4_000 : 800 + r() * 40_000) * 100) / 100,
      currency: 'GBP',
      reference: `${kind} ${pick(r, ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'])} ${2019 + Math.floor(r() * 5)}`,
      tags: [],
    };
  });
  transferDocs(payments, 'other', r).forEach((d, i) => docs.push({ ...d, id: `other-payment-${i + 1}`, storyline: null, tags: [] }));
  for (let i = 0; i < counts.emails; i++) {
    const e = pick(r, EMAILS)(r);
    const from = pick(r, PEOPLE);
    const date = DAYS(r);
    docs.push({
      id: `other-email-${i + 1}`,
      type: 'email',
      storyline: null,
      lang: 'en',
      date,
      title: e.title,
      tags: [],
      text:
        text(`
        From: ${from} <${slug(from).replace('-', '.')}@example.org>
        To: all-staff@example.org
        Date: ${date}
        Subject: ${e.title}
      `) + `\n\n${e.body}\n\n${from.split(' ')[0]}`,
    });
  }
  for (let i = 0; i < counts.news; i++) {
    const n = pick(r, NEWS)(r);
    const date = DAYS(r);
    const de = n.title.includes('Stadtwerke');
    const dateline = de ? `${date.split('-').reverse().join('.')} — Lokales` : `${date} — Local news`;
    docs.push({
      id: `other-news-${i + 1}`,
      type: 'news-clipping',
      storyline: null,
      lang: de ? 'de' : 'en',
      date,
      title: n.title,
      tags: [],
      text: `${n.title}\n${dateline}\n\n${n.body}`,
    });
  }
  for (let i = 0; i < counts.minutes; i++) docs.push(longMinutes(r, i));
  return docs;
}
