/**
 * Layouts of the structured documents: registry extracts (by jurisdiction), payment
 * confirmations and compliance memos, invoices, and the procedural frame around a court or
 * regulatory filing's own paragraphs. The facts come from the storylines; the wording varies
 * with the seeded random source.
 */
import {
  type Company,
  type Doc,
  type InvoiceSpec,
  type Storyline,
  type Transfer,
  type Written,
  dotted,
  geld,
  langDatum,
  longDate,
  money,
  pick,
  slug,
  text,
} from './kit.ts';

const REGISTERS: Record<Company['jurisdiction'], { authority: string; lang: 'en' | 'de' }> = {
  de: { authority: 'Amtsgerichts', lang: 'de' },
  uk: { authority: 'Companies House, Cardiff', lang: 'en' },
  cy: { authority: 'Department of Registrar of Companies and Intellectual Property, Nicosia', lang: 'en' },
  bvi: { authority: 'BVI Financial Services Commission, Registry of Corporate Affairs, Road Town, Tortola', lang: 'en' },
  lv: { authority: 'Register of Enterprises of the Republic of Latvia (Uzņēmumu reģistrs), Riga', lang: 'en' },
  ch: { authority: 'Handelsregisteramt des Kantons Basel-Stadt', lang: 'de' },
  gi: { authority: 'Companies House Gibraltar', lang: 'en' },
  ae: { authority: 'Jebel Ali Free Zone Authority (JAFZA), Dubai', lang: 'en' },
  je: { authority: 'Jersey Financial Services Commission, Companies Registry, St Helier', lang: 'en' },
  pt: { authority: 'Conservatória do Registo Comercial de Lisboa', lang: 'en' },
  ks: { authority: 'Registrar-General of Companies, Republic of Kasanga, Port Halden', lang: 'en' },
};

export function registryExtract(c: Company, storyline: string, r: () => number, date: string): Doc {
  const reg = REGISTERS[c.jurisdiction];
  const id = `${storyline}-registry-${slug(c.name)}`;
  const base = { id, type: 'registry-extract' as const, storyline, date, tags: [...c.tags, 'registry'] };
  if (reg.lang === 'de') {
    const court =
      c.jurisdiction === 'de'
        ? `${reg.authority} ${
            c.address
              .split(',')
              .pop()
              ?.trim()
              .replace(/^\d+\s*/, '') ?? ''
          }`
        : reg.authority;
    return {
      ...base,
      lang: 'de',
      title: `Handelsregisterauszug ${c.name}`,
      text: text(`
        Handelsregister ${c.number.startsWith('CHE') ? '' : 'B '}des ${court}
        Ausdruck – Aktueller Abdruck, abgerufen am ${dotted(date)}
        Nummer der Firma: ${c.number}

        1. Anzahl der bisherigen Eintragungen: ${2 + Math.floor(r() * 9)}
        2. a) Firma: ${c.name}
           b) Sitz, Niederlassung, inländische Geschäftsanschrift: ${c.address}
           c) Gegenstand des Unternehmens: ${c.activity}
        3. Grund- oder Stammkapital: ${c.capital}
        4. a) Allgemeine Vertretungsregelung: ${c.name.endsWith('AG') ? 'Die Gesellschaft wird durch zwei Mitglieder des Vorstands oder durch ein Mitglied des Vorstands gemeinsam mit einem Prokuristen vertreten.' : 'Ist nur ein Geschäftsführer bestellt, so vertritt er die Gesellschaft allein. Sind mehrere Geschäftsführer bestellt, so wird die Gesellschaft durch zwei Geschäftsführer oder durch einen Geschäftsführer gemeinsam mit einem Prokuristen vertreten.'}
           b) Vertretungsberechtigte und besondere Vertretungsbefugnis:
        ${c.directors.map((d) => `      ${d}`).join('\n')}
        5. Prokura: ${pick(r, ['–', 'Einzelprokura: keine', 'Gesamtprokura gemeinsam mit einem Geschäftsführer'])}
        6. a) Rechtsform, Beginn, Satzung oder Gesellschaftsvertrag: ${c.name.endsWith('AG') ? 'Aktiengesellschaft' : 'Gesellschaft mit beschränkter Haftung'}; Gesellschaftsvertrag vom ${dotted(c.incorporated)}
           b) Sonstige Rechtsverhältnisse: Gesellschafter laut Gesellschafterliste: ${c.shareholders.join('; ')}
        7. a) Tag der letzten Eintragung: ${dotted(date)}
      `),
    };
  }
  const kind = c.jurisdiction === 'uk' || c.jurisdiction === 'gi' ? 'Company overview' : 'Certificate of incumbency and extract';
  return {
    ...base,
    lang: 'en',
    title: `${kind}: ${c.name}`,
    text: text(`
      ${reg.authority}
      ${kind.toUpperCase()} — ${c.name.toUpperCase()}
      Extract produced on ${longDate(date)}

      Registered number: ${c.number}
      Registered office address: ${c.address}
      Company status: ${pick(r, ['Active', 'Active', 'Active — proposal to strike off suspended', 'Active'])}
      Company type: ${c.name.endsWith('plc') ? 'Public limited company' : c.name.endsWith('LLP') ? 'Limited liability partnership' : c.name.endsWith('FZE') ? 'Free Zone Establishment' : 'Private limited company'}
      Incorporated on: ${longDate(c.incorporated)}
      Nature of business: ${c.activity}
      Issued share capital: ${c.capital}

      Officers
      ${c.directors.map((d) => `  - ${d}`).join('\n')}

      Shareholders / persons with significant control
      ${c.shareholders.map((s) => `  - ${s}`).join('\n')}

      Filing history (latest first)
        ${longDate(date)}  Confirmation statement made with ${pick(r, ['no updates', 'updates'])}
        ${longDate(c.incorporated)}  Incorporation
      This extract reflects information delivered to the registrar; the registrar does not verify its accuracy.
    `),
  };
}

function paymentConfirmation(t: Transfer, id: string, storyline: string, r: () => number): Doc {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const uetr = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return {
    id,
    type: 'bank-transfer',
    storyline,
    lang: 'en',
    date: t.date,
    title: `Payment confirmation ${t.reference}`,
    tags: [...t.tags, 'transfer'],
    text: text(`
      ${t.from.bank}
      OUTGOING PAYMENT — CUSTOMER CREDIT TRANSFER (MT103)
      Value date: ${t.date}        UETR: ${uetr}

      :50K: Ordering customer: ${t.from.name}
            Account: ${t.from.iban}
      :57A: Beneficiary bank: ${t.to.bank}
      :59:  Beneficiary: ${t.to.name}
            Account: ${t.to.iban}
      :32A: Amount: ${money(t.amount, t.currency)}
      :70:  Remittance information: ${t.reference}
      :71A: Charges: ${pick(r, ['OUR', 'SHA', 'SHA', 'BEN'])}

      Status: ${pick(r, ['Executed', 'Executed', 'Executed — released after manual review'])}
      This confirmation is generated automatically and is valid without signature.
    `),
  };
}

function complianceMemo(t: Transfer, id: string, storyline: string, r: () => number): Doc {
  return {
    id,
    type: 'memo',
    storyline,
    lang: 'en',
    date: t.date,
    title: `Transaction review: ${t.from.name} to ${t.to.name}`,
    tags: [...t.tags, 'transfer', 'compliance'],
    text: text(`
      INTERNAL — ${t.from.bank} — Financial Crime Compliance
      Transaction monitoring alert ${pick(r, ['TM', 'AML', 'FCC'])}-${t.date.replaceAll('-', '')}-${Math.floor(100 + r() * 900)}

      Payer: ${t.from.name} (${t.from.iban})
      Payee: ${t.to.name} (${t.to.iban}), held at ${t.to.bank}
      Amount: ${money(t.amount, t.currency)} on ${longDate(t.date)}
      Stated purpose: "${t.reference}"

      Analyst comment: ${t.note ?? 'No adverse findings; payment consistent with the customer profile.'}

      Disposition: ${pick(r, ['escalated to the MLRO for a decision on a suspicious activity report', 'closed after review; file retained for five years', 'escalated; relationship manager asked for supporting contracts'])}.
    `),
  };
}

/** Each transfer as its payment confirmation; those with a note also as the compliance memo about it. */
export function transferDocs(ts: Transfer[], storyline: string, r: () => number): Doc[] {
  return ts.flatMap((t, i) => {
    const n = String(i + 1).padStart(2, '0');
    const docs = [paymentConfirmation(t, `${storyline}-transfer-${n}`, storyline, r)];
    if (t.note) docs.push(complianceMemo(t, `${storyline}-alert-${n}`, storyline, r));
    return docs;
  });
}

export function invoiceDoc(inv: InvoiceSpec, storyline: string): Doc {
  const net = inv.lines.reduce((s, l) => s + l.qty * l.unit, 0);
  const vatRate = inv.vatRate ?? (inv.seller.vat ? (inv.seller.vat.startsWith('DE') ? 0.19 : 0.2) : 0);
  const de = inv.seller.vat?.startsWith('DE') ?? false;
  const fmt = (n: number) => (de ? geld(n, inv.currency) : money(n, inv.currency));
  const lines = inv.lines.map(
    (l, i) =>
      `${String(i + 1).padStart(2, '0')}  ${l.text.padEnd(58)} ${String(l.qty).padStart(4)} × ${fmt(l.unit)} = ${fmt(l.qty * l.unit)}`,
  );
  return {
    id: `${storyline}-invoice-${slug(inv.number)}`,
    type: 'invoice',
    storyline,
    lang: de ? 'de' : 'en',
    date: inv.date,
    title: `${de ? 'Rechnung' : 'Invoice'} ${inv.number}`,
    tags: [...inv.tags, 'invoice'],
    text: text(`
      ${inv.seller.name}
      ${inv.seller.address}${inv.seller.vat ? `\n${de ? 'USt-IdNr.' : 'VAT no.'} ${inv.seller.vat}` : ''}

      ${de ? 'RECHNUNG' : 'INVOICE'} ${inv.number}
      ${de ? 'Rechnungsdatum' : 'Date'}: ${de ? dotted(inv.date) : longDate(inv.date)}
      ${de ? 'Rechnungsempfänger' : 'Bill to'}: ${inv.buyer.name}, ${inv.buyer.address}

      ${lines.join('\n')}

      ${de ? 'Nettobetrag' : 'Net'}: ${fmt(net)}
      ${vatRate ? `${de ? 'Umsatzsteuer' : 'VAT'} ${vatRate * 100}%: ${fmt(net * vatRate)}\n` : ''}${de ? 'Gesamtbetrag' : 'Total due'}: ${fmt(net * (1 + vatRate))}
      ${inv.payTo ? `${de ? 'Zahlbar innerhalb von 14 Tagen auf' : 'Payable within 30 days to'}: ${inv.payTo}` : ''}
      ${inv.footer ?? ''}
    `).trimEnd(),
  };
}

const FILING_FRAME = {
  opening: [
    'This matter comes before the court on the application set out below. The court has read the papers filed by both sides, including the witness statements and the exhibits referred to in them, and has heard counsel at an oral hearing. Nothing in this document is a finding of criminal guilt; the standard applied is the civil one unless stated otherwise.',
    'The following is filed in accordance with the practice direction on disclosure. Documents referred to by exhibit number are contained in the hearing bundle; page references are to that bundle. Where a document was produced in a language other than English, the certified translation has been relied on.',
  ],
  procedure: [
    'Directions were given at the case management conference, fixing a timetable for disclosure, witness statements and expert evidence. The respondents sought an extension of time on two occasions, which was granted in part. The applicant complied with its disclosure obligations within the time allowed; the respondents served their list of documents late and without several categories that had been ordered.',
    'Service was effected on the first respondent at its registered office and, by order permitting alternative service, on the remaining respondents by e-mail to their solicitors. No acknowledgement of service was filed by one respondent within the time limited, and the court proceeded on the basis that it had notice of the hearing.',
  ],
  evidence: [
    'The evidence consists of the documents disclosed by the parties, the records obtained from third parties under the orders made earlier in these proceedings, and the witness statements served on each side. Where the witnesses were cross-examined, the court has had the advantage of seeing them give evidence; where they were not, their statements are given such weight as the documents that support them allow.',
    'Much of the documentary record consists of bank statements, company filings and electronic correspondence. The authenticity of those documents is not challenged. What is challenged is the inference to be drawn from them, and in particular whether the pattern of payments is consistent with ordinary commercial dealings, as the respondents say, or with an arrangement designed to conceal the true beneficiary, as the applicant says.',
    'An expert forensic accountant was instructed by each side. Their joint statement records substantial agreement on the flow of funds and disagreement mainly on the characterisation of particular payments. Where they disagree, the court prefers the evidence that is more closely anchored in the contemporaneous documents.',
    'Several of the persons most closely involved did not give evidence. No satisfactory explanation was offered for their absence. The court has borne in mind that there may be reasons, unconnected with the merits, why a person declines to give evidence, and draws no adverse inference beyond what the documents themselves support.',
    'The respondents criticise the manner in which some of the material came into the applicant’s possession. That criticism goes, if anywhere, to the question of costs; it does not affect the admissibility of the material in these proceedings, and no application to exclude it was made at the appropriate stage.',
  ],
  law: [
    'The applicable principles are not in dispute. The applicant must show a good arguable case, and a real risk that, absent the order, a judgment would go unsatisfied because assets would be dissipated. The court must also be satisfied that it is just and convenient to grant the relief sought, having regard to the interests of third parties who may be affected.',
    'The burden lies on the party asserting a fact. Where a respondent has had the opportunity to explain a transaction and has chosen not to, the court may draw inferences from that silence, though it must do so with care and only where the evidence already calls for an answer.',
    'Questions of corporate ownership are to be decided on the documents and on the realities of control, not on the names recorded in a register. A nominee who holds shares on the instructions of another does not thereby become their owner in any sense relevant to these proceedings.',
    'Proportionality requires the authority to weigh the seriousness of the breach, its duration, the degree of cooperation shown once it came to light, the financial capacity of the addressee and the need for deterrence. A sanction must be effective and dissuasive without being out of proportion to the conduct it addresses.',
    'A statutory defence of adequate procedures is available. It is for the party relying on it to show, on the balance of probabilities, that the procedures in place at the relevant time were adequate to prevent the conduct in question; procedures adopted afterwards, however thorough, do not meet that test.',
    'The limitation period does not begin to run while the relevant facts are deliberately concealed. Concealment need not be active; it suffices that a fact relevant to the right of action was kept from the claimant in circumstances where it was unlikely to be discovered for some time.',
  ],
  closing: [
    'Costs are reserved. Any application consequential upon this decision is to be made in writing within fourteen days of its handing down. The parties are to agree a draft order reflecting these conclusions; failing agreement, each is to submit its own draft with a short note of the points of difference.',
    'The matter is adjourned to a date to be fixed, with a time estimate of two days. Liberty to apply. The court thanks counsel on both sides for their clear written and oral submissions.',
  ],
};

/** `n` distinct paragraphs of `list`, in the list's order. */
function some(r: () => number, list: readonly string[], n: number): string[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(n, list.length)) chosen.add(Math.floor(r() * list.length));
  return [...chosen].sort((a, b) => a - b).map((i) => list[i] ?? '');
}

/** A filing's own paragraphs inside the procedural frame: numbered, with the sections a court or regulator uses. */
export function filing(w: Written, storyline: string, r: () => number, heading: string): Doc {
  const own = w.text.split(/\n\s*\n/).map((p) => p.replace(/\s*\n\s*/g, ' ').trim());
  const sections: Array<[string, string[]]> = [
    ['INTRODUCTION', [pick(r, FILING_FRAME.opening)]],
    ['THE FACTS', own],
    ['PROCEDURAL HISTORY', FILING_FRAME.procedure],
    ['THE EVIDENCE', some(r, FILING_FRAME.evidence, 2 + Math.floor(r() * 3))],
    ['THE LAW', some(r, FILING_FRAME.law, 2 + Math.floor(r() * 3))],
    ['DISPOSAL', [pick(r, FILING_FRAME.closing)]],
  ];
  let n = 0;
  const body = sections.map(([h, ps]) => `${h}\n\n${ps.map((p) => `${++n}. ${p}`).join('\n\n')}`).join('\n\n');
  return {
    id: w.id,
    type: w.type,
    storyline,
    lang: 'en',
    date: w.date,
    title: w.title,
    tags: w.tags,
    text: `${heading}\n${w.title}\nDated ${longDate(w.date)}\n\n${body}`,
  };
}

/** A hand-written document as it stands; filings get their frame. */
export function written(w: Written, storyline: string, r: () => number): Doc {
  if (w.type === 'court-filing' || w.type === 'regulatory-filing') {
    const heading = w.text.startsWith('HEADING:') ? (w.text.split('\n')[0] ?? '').slice(8).trim() : '';
    const rest = heading ? { ...w, text: w.text.split('\n').slice(1).join('\n') } : w;
    return filing(
      rest,
      storyline,
      r,
      heading || (w.type === 'court-filing' ? 'IN THE HIGH COURT OF JUSTICE' : 'NOTICE OF REGULATORY DECISION'),
    );
  }
  return { id: w.id, type: w.type, storyline, lang: w.lang ?? 'en', date: w.date, title: w.title, tags: w.tags, text: text(w.text) };
}

/**
 * The right-of-reply letters a newsroom sends before publishing: the claims it intends to make, put
 * to each person concerned, with a deadline. Each letter carries the facets of the claims it puts.
 */
export function replyLetters(s: Storyline, r: () => number, date: string): Doc[] {
  const claims = s.claims ?? [];
  return (s.replyTo ?? []).map((to, i) => {
    const put = claims.filter((_, j) => (j + i) % 4 !== 3);
    const deadline = longDate(date.replace(/-(\d\d)$/, (_, d: string) => `-${String(Math.min(28, Number(d) + 7)).padStart(2, '0')}`));
    return {
      id: `${s.id}-reply-${slug(to.name)}`,
      type: 'email' as const,
      storyline: s.id,
      lang: 'en' as const,
      date,
      title: `Request for comment: ${to.name}`,
      tags: [...to.tags, ...put.flatMap((c) => c.tags)].filter((t, k, a) => a.indexOf(t) === k),
      text:
        text(`
        From: Investigations desk <investigations@northern-daily.example>
        To: ${to.name}, ${to.address}
        Date: ${longDate(date)}
        Subject: Request for comment — publication planned

        ${to.salutation},

        We are preparing an article for publication and, in fairness, want to give you the opportunity to
        respond before it appears. ${pick(r, ['We intend to report the following:', 'The article will state, in substance:', 'Our reporting has established the following, which we intend to publish:'])}

      `) +
        '\n\n' +
        put.map((c, k) => `${k + 1}. ${c.text}`).join('\n') +
        '\n\n' +
        text(`
          Please let us have any response, correction or further context by ${deadline}, 12:00 UK time. If you believe any
          of the above is inaccurate, please tell us which points and why; we will reflect your answer fairly.
          ${pick(r, ['If you are represented by lawyers, feel free to forward this letter to them.', 'We are happy to speak by phone if you prefer.', 'Any response will be reported in full or in fair summary.'])}

          Yours sincerely,
          Investigations desk, Northern Daily
        `),
    };
  });
}

export { langDatum };
