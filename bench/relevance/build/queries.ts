/**
 * The queries and the rules that grade every document for each (3 answers it, 2 substantially
 * relevant, 1 mentions it in passing, 0 not relevant). Rules read the tags the storylines give
 * their documents (`about:<facet>` for a document's subject) and the documents' text; the
 * generator applies them once and writes the grades out, so the judgements are data a reviewer
 * can read and correct, not code that runs at evaluation time.
 */
import type { Doc } from './kit.ts';

export type Kind = 'name' | 'exact' | 'paraphrase' | 'entity' | 'partial' | 'topic' | 'out-of-corpus';

export interface QuerySpec {
  text: string;
  kind: Kind;
  note: string;
  grade(d: Doc): number;
}

const hay = (d: Doc) => `${d.title}\n${d.text}`.toLowerCase();
const count = (d: Doc, s: string) => hay(d).split(s.toLowerCase()).length - 1;
const has = (d: Doc, ...ss: string[]) => ss.some((s) => count(d, s) > 0);
const about = (d: Doc, facet: string) => d.tags.includes(`about:${facet}`);

/** The lines that make a person a document's author, addressee, participant or officer. */
const ROLE_LINE = /^\s*(from|to|cc|von|an|teilnehmer|present|vorstand|geschäftsführer(in)?)\s*:/i;
const inRoleLine = (d: Doc, name: string) =>
  d.text.split('\n').some((l) => ROLE_LINE.test(l) && l.toLowerCase().includes(name.toLowerCase()));

/** A person: 3 if the document is about them or names them three times or more; 2 twice or as author, addressee, participant or officer; 1 once. */
function person(full: string, surname: string, facet?: string): QuerySpec {
  return {
    text: full,
    kind: 'name',
    note: `3: about ${full} or "${surname}" ≥3 times; 2: twice, or in a From/To/participants/officer line; 1: once`,
    grade: (d) => {
      const n = count(d, surname);
      if ((facet && about(d, facet)) || n >= 3) return 3;
      if (n === 2 || (n === 1 && inRoleLine(d, surname))) return 2;
      return n;
    },
  };
}

/** An identifier: 3 where it is written; `near` facets (documents about the thing without the identifier) 1 or 2. */
function exact(term: string, near: Array<[string, number]> = []): QuerySpec {
  return {
    text: term,
    kind: 'exact',
    note: `3: contains "${term}"${near.map(([f, g]) => `; ${g}: about ${f}`).join('')}`,
    grade: (d) => (has(d, term) ? 3 : Math.max(0, ...near.map(([f, g]) => (about(d, f) ? g : 0)))),
  };
}

/** A query sharing no content word with its grade-3 documents (checked by the data test). */
function paraphrase(text: string, target: string, related: string[], passing: string[] = []): QuerySpec {
  return {
    text,
    kind: 'paraphrase',
    note: `3: the document written for this wording (paraphrase:${target}); 2: about ${related.join(', ')}${passing.length ? `; 1: about ${passing.join(', ')}` : ''}`,
    grade: (d) =>
      d.tags.includes(`paraphrase:${target}`) ? 3 : related.some((f) => about(d, f)) ? 2 : passing.some((f) => about(d, f)) ? 1 : 0,
  };
}

function rule(text: string, kind: Kind, note: string, grade: (d: Doc) => number): QuerySpec {
  return { text, kind, note, grade };
}

const nothing = (text: string): QuerySpec => rule(text, 'out-of-corpus', 'no document is relevant', () => 0);

export const QUERIES: QuerySpec[] = [
  person('Boris Petrov', 'Petrov', 'petrov'),
  person('Anke Vollmer', 'Vollmer'),
  person('Ilse Marquardt', 'Marquardt', 'whistleblower'),
  person('Viktor Sarnov', 'Sarnov'),
  person('Gerald Finch', 'Finch'),
  person('Klaus Reinholt', 'Reinholt'),
  person('Rui Talavera', 'Talavera'),
  person('Tomas Ndoro', 'Ndoro', 'obsidian-ownership'),
  person('Lorraine Ashby', 'Ashby', 'ashby'),
  person('Hannah Lindqvist', 'Lindqvist', 'lindqvist'),
  person('Martin Keel', 'Keel', 'keel'),
  person('Jonah Vesely', 'Vesely'),
  person('Heiko Brandt', 'Brandt'),
  person('Fiona Greaves', 'Greaves'),

  exact('CY17 0020 0128 0000 0012 0052 7600', [['management-fee', 2]]),
  exact('LV80 BCBA 0000 4351 9500 1', [['greyfield-iban', 2]]),
  rule('Kaspian Dawn', 'exact', '3: about the vessel; 2: names it', (d) => (about(d, 'kaspian-dawn') ? 3 : has(d, 'Kaspian Dawn') ? 2 : 0)),
  exact('UWO-2023-0147', [['uwo', 2]]),
  exact('FKTK-2022/114', [['fine-fktk', 2]]),
  exact('CP-2022-0457', [['alvar-sul', 1]]),
  exact('PL-7731', [['kivuli', 1]]),
  exact('CE-2024-0311', [['case-ce', 2]]),
  rule('VP-CX-301', 'exact', '3: names the trial id and is about the trial; 2: names it; 1: about the trial', (d) =>
    has(d, 'VP-CX-301') ? (about(d, 'celoxan-trial') ? 3 : 2) : about(d, 'celoxan-trial') ? 1 : 0,
  ),
  exact('bc1q9h7garjv5xk3lq2w8y0d6e4rzf3n5m7t8s2v4u', [['wallet', 1]]),
  exact('HRB 148273', [['nordwind-ownership', 1]]),
  exact('IMO 9387412', [['kaspian-dawn', 1]]),
  exact('ZFA-HH-2024-0388', [['case-zfa', 2]]),

  paraphrase('money moved to an offshore firm', 'offshore-money', ['management-fee'], ['laundromat']),
  paraphrase('employee who raised the alarm about dirty cash at a lender', 'whistleblower', ['whistleblower'], ['laundromat']),
  paraphrase('anonymous proprietor behind a secretive island entity', 'unknown-owner', ['greyfield'], ['greyfield-iban']),
  paraphrase('bribes paid to the man buying equipment for the clinic', 'procurement-bribe', ['kickback-payments'], ['infusion-pumps']),
  paraphrase('a deliberately losing offer to fake competition', 'cover-bid', ['bid-rigging'], ['tender-cp']),
  paraphrase("cabinet member's offspring controls a business", 'politician-child', ['obsidian-ownership'], ['signature-bonus']),
  paraphrase('mansion in the capital held by an island entity', 'property-vehicle', ['aubrey-crescent'], ['uwo']),
  paraphrase('drug firm hid harmful side effects', 'hidden-harm', ['celoxan-liver'], ['celoxan-trial']),
  paraphrase('counterfeit paperwork for machining equipment', 'fake-paperwork', ['end-user-certificate'], ['cnc-export']),
  paraphrase('staff reimbursed for political contributions', 'straw-donors', ['split-donations']),
  paraphrase("clients' digital currency diverted to the boss's company", 'crypto-siphon', ['customer-funds'], ['withdrawal-freeze']),
  paraphrase('chemicals poured illegally into a stream', 'toxic-dumping', ['solvent-dumping', 'fish-kill']),

  rule('who owns Nordwind Shipping', 'entity', '3: about its ownership; 2: names Nordwind and Tessaly; 1: names Nordwind', (d) =>
    about(d, 'nordwind-ownership') ? 3 : has(d, 'Nordwind') && has(d, 'Tessaly') ? 2 : has(d, 'Nordwind') ? 1 : 0,
  ),
  rule('who is behind Greyfield Ventures', 'entity', '3: about who holds it; 2: its account; 1: names it', (d) =>
    about(d, 'greyfield') ? 3 : about(d, 'greyfield-iban') ? 2 : has(d, 'Greyfield') ? 1 : 0,
  ),
  rule('who controls Obsidian Trust Holdings', 'entity', '3: about its ownership; 1: names it', (d) =>
    about(d, 'obsidian-ownership') ? 3 : has(d, 'Obsidian') ? 1 : 0,
  ),
  rule('owner of Halcyon Estates', 'entity', '3: its register entry or the judgment naming its owner; 1: names it', (d) =>
    about(d, 'halcyon-ownership') || (about(d, 'ashby') && has(d, 'Halcyon')) ? 3 : has(d, 'Halcyon') ? 1 : 0,
  ),
  rule('who owns Alder Peak Trading', 'entity', '3: register entry; 2: names it with its owner Vesely; 1: names it', (d) =>
    about(d, 'alder-peak-ownership') ? 3 : has(d, 'Alder Peak') && has(d, 'Vesely') ? 2 : has(d, 'Alder Peak') ? 1 : 0,
  ),
  rule('who runs Silkline Logistics', 'entity', '3: register entry; 2: names its manager Karimov; 1: names it', (d) =>
    about(d, 'silkline') ? 3 : has(d, 'Karimov') ? 2 : has(d, 'Silkline') ? 1 : 0,
  ),
  rule('who is behind Solmar Consultoria', 'entity', '3: register entry or the e-mail naming its owner; 1: names Solmar', (d) =>
    about(d, 'solmar') ? 3 : has(d, 'Solmar') ? 1 : 0,
  ),
  rule(
    'what is Aster Advisory',
    'entity',
    '3: register entry or the note on who runs it; 2: its invoices and payments; 1: names it',
    (d) =>
      about(d, 'aster') || d.tags.includes('paraphrase:procurement-bribe')
        ? 3
        : has(d, 'Aster Advisory') && about(d, 'kickback-payments')
          ? 2
          : has(d, 'Aster')
            ? 1
            : 0,
  ),
  rule('who owns EcoTrans Entsorgung', 'entity', '3: register entry; 2: names its managing director Brandt; 1: names EcoTrans', (d) =>
    about(d, 'ecotrans') ? 3 : has(d, 'Brandt') && has(d, 'EcoTrans') ? 2 : has(d, 'EcoTrans') ? 1 : 0,
  ),
  rule('who is the treasurer of the Civic Renewal Party', 'entity', '3: about Martin Keel; 1: names the party', (d) =>
    about(d, 'keel') ? 3 : has(d, 'Civic Renewal') ? 1 : 0,
  ),

  rule(
    'Petrov yacht Monaco crew salaries',
    'partial',
    '"Monaco" and "salaries" occur nowhere. 3: the yacht Lazurit; 1: names Petrov',
    (d) => (has(d, 'Lazurit') ? 3 : has(d, 'Petrov') ? 1 : 0),
  ),
  rule(
    'Sarnov consulting payment Zurich villa',
    'partial',
    '"Zurich" and "villa" occur nowhere. 3: the consulting payment to Sarnov; 1: names Sarnov',
    (d) => (has(d, 'Sarnov') && (has(d, 'consult') || has(d, '1.2 million')) ? 3 : has(d, 'Sarnov') ? 1 : 0),
  ),
  rule(
    'Finch infusion pumps tender Birmingham',
    'partial',
    '"Birmingham" occurs nowhere. 3: the pump order and Finch; 2: the pump order; 1: names Finch',
    (d) => (about(d, 'infusion-pumps') ? (has(d, 'Finch') ? 3 : 2) : has(d, 'Finch') ? 1 : 0),
  ),
  rule(
    'Kivuli cobalt licence helicopter survey',
    'partial',
    '"helicopter" and "survey" occur nowhere. 3: about the licence and names cobalt; 2: about the licence',
    (d) => (about(d, 'kivuli') ? (has(d, 'cobalt') ? 3 : 2) : 0),
  ),
  rule(
    'Celoxan jaundice lawsuit Texas',
    'partial',
    '"lawsuit" and "Texas" occur nowhere. 3: names jaundice or Hy\'s law; 2: about the liver cases; 1: names Celoxan',
    (d) => (has(d, 'jaundice', "hy's law") ? 3 : about(d, 'celoxan-liver') ? 2 : has(d, 'Celoxan') ? 1 : 0),
  ),
  rule(
    'Ilmbach fish deaths toxicology laboratory',
    'partial',
    '"toxicology" and "laboratory" (in this sense) occur nowhere. 3: the fish kill; 1: the dumping',
    (d) => (about(d, 'fish-kill') ? 3 : about(d, 'solvent-dumping') ? 1 : 0),
  ),
  rule('CoinHarbor cold wallet hacker', 'partial', '"hacker" occurs nowhere. 3: about the cold wallet; 1: names CoinHarbor', (d) =>
    about(d, 'wallet') ? 3 : has(d, 'CoinHarbor') ? 1 : 0,
  ),
  rule(
    'Brennholt Sines road secret arrangement',
    'partial',
    '"secret" and "arrangement" occur nowhere. 3: names Sines and is about the rigging; 2: about the rigging; 1: names Brennholt',
    (d) => (about(d, 'bid-rigging') ? (has(d, 'Sines') ? 3 : 2) : has(d, 'Brennholt') ? 1 : 0),
  ),

  rule('ship-to-ship transfer AIS switched off', 'topic', '3: about the transfer at sea or the AIS gap; 1: names the vessel', (d) =>
    about(d, 'sts-transfer') || about(d, 'ais-gap') ? 3 : has(d, 'Kaspian') ? 1 : 0,
  ),
  rule('unexplained wealth order', 'topic', '3: about the order; 1: about the property', (d) =>
    about(d, 'uwo') ? 3 : about(d, 'aubrey-crescent') ? 1 : 0,
  ),
  rule('end-user certificate', 'topic', '3: about the certificate; 1: about the export', (d) =>
    about(d, 'end-user-certificate') ? 3 : about(d, 'cnc-export') ? 1 : 0,
  ),
  rule('signature bonus mining licence', 'topic', '3: about the bonus; 1: about the concession', (d) =>
    about(d, 'signature-bonus') ? 3 : about(d, 'kivuli') ? 1 : 0,
  ),

  nothing('zzzqqq nonsense'),
  nothing('recipe for banana bread'),
  nothing('football transfer rumours'),
  nothing('how to train a puppy'),
  nothing('knitting pattern for a winter scarf'),
  nothing('best hiking trails in Patagonia'),
  nothing('Eurovision song contest winners'),
  nothing('volcanic eruption lava Iceland'),
  nothing('chess opening Sicilian defence'),
  nothing('wedding dress alterations'),
];
