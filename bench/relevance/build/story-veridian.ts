/** A Basel drug maker, liver injuries left out of a trial report, and the physician who noticed. */
import type { Storyline } from './kit.ts';

export const veridian: Storyline = {
  id: 'veridian',
  people: [
    { name: 'Hannah Lindqvist', role: 'former medical safety lead, Veridian Pharma' },
    { name: 'Markus Egli', role: 'head of clinical development, Veridian Pharma' },
  ],
  companies: [
    {
      name: 'Veridian Pharma AG',
      jurisdiction: 'ch',
      number: 'CHE-114.552.908',
      address: 'Aeschenvorstadt 71, 4051 Basel',
      incorporated: '2004-03-08',
      capital: '20.000.000,00 CHF',
      activity: 'Forschung, Entwicklung, Herstellung und Vertrieb von Arzneimitteln.',
      directors: [
        'Egli, Markus, von Basel, in Riehen, Mitglied der Geschäftsleitung, Kollektivunterschrift zu zweien',
        'Dr. Brunner, Sophie, von Zürich, Präsidentin des Verwaltungsrates',
      ],
      shareholders: ['Aktienbuch nicht öffentlich'],
      tags: ['veridian', 'egli'],
    },
  ],
  transfers: [
    {
      date: '2022-08-01',
      from: { name: 'Veridian Pharma AG', iban: 'CH56 0483 5012 3456 7800 9', bank: 'Basler Privatbank AG' },
      to: { name: 'Clinexa Research GmbH', iban: 'DE75 5121 0800 1245 1261 99', bank: 'Frankfurter Volksbank' },
      amount: 2_860_000,
      currency: 'CHF',
      reference: 'VP-CX-301 SITE MONITORING MILESTONE 4',
      tags: ['veridian', 'about:celoxan-trial'],
    },
  ],
  invoices: [
    {
      number: 'CLX-2022-118',
      date: '2022-07-15',
      seller: { name: 'Clinexa Research GmbH', address: 'Mainzer Landstraße 50, 60325 Frankfurt am Main', vat: 'DE301772914' },
      buyer: { name: 'Veridian Pharma AG', address: 'Aeschenvorstadt 71, 4051 Basel' },
      lines: [
        { text: 'Studie VP-CX-301: Monitoring Meilenstein 4 (42 Zentren)', qty: 1, unit: 2_400_000 },
        { text: 'Datenbereinigung und Datenbankschluss', qty: 1, unit: 0 },
      ],
      currency: 'EUR',
      tags: ['veridian', 'about:celoxan-trial'],
    },
  ],
  written: [
    {
      id: 'veridian-email-lindqvist',
      type: 'email',
      title: 'VP-CX-301 hepatic cases – coding',
      date: '2022-09-12',
      text: `
        From: Dr Hannah Lindqvist
        To: Markus Egli
        Date: 12 September 2022 22:37
        Subject: VP-CX-301 hepatic cases – coding

        Markus, I cannot sign the safety section. Fourteen patients on Celoxan had ALT above five times
        the upper limit, two with jaundice meeting Hy's law. The database now codes eleven of them as
        "laboratory abnormality, not clinically significant", and that recoding was done after unblinding.
        That is not a judgement call. If this goes to the EMA as it stands I will have to report it.
        Hannah
      `,
      tags: ['lindqvist', 'egli', 'veridian', 'about:celoxan-liver', 'about:celoxan-trial', 'about:lindqvist'],
    },
    {
      id: 'veridian-paraphrase-liver',
      type: 'memo',
      title: 'Medical reviewer comments on the clinical study report',
      date: '2022-10-04',
      text: `
        Reviewer comments, clinical study report VP-CX-301, section 12 (safety)

        1. Hepatotoxicity: the narrative tables list three hepatic events. The line listings contain
           fourteen subjects with transaminase elevations >5× ULN and two with concurrent bilirubin
           elevation. The report should explain the discrepancy; as written it understates the signal.
        2. Post-unblinding reclassification of events must be documented with dates and reasons.
      `,
      tags: ['veridian', 'about:celoxan-liver', 'paraphrase:hidden-harm'],
    },
    {
      id: 'veridian-news',
      type: 'news-clipping',
      title: 'Veridian accused of playing down liver damage in Celoxan trial',
      date: '2023-05-03',
      text: `
        Veridian accused of playing down liver damage in Celoxan trial

        The Basel drug maker Veridian Pharma reclassified serious liver injuries in the pivotal trial of
        its arthritis drug Celoxan as minor laboratory findings after the results were unblinded,
        according to internal emails and a former employee.

        Dr Hannah Lindqvist, who led medical safety for the trial VP-CX-301 until she resigned in
        November 2022, said she had been asked to sign a report that left out most of the cases. The
        European Medicines Agency has asked the company for the full data. Veridian said all adverse
        events "were assessed according to the study protocol".
      `,
      tags: ['veridian', 'lindqvist', 'about:celoxan-liver', 'about:celoxan-trial', 'about:lindqvist'],
    },
    {
      id: 'veridian-ema-letter',
      type: 'regulatory-filing',
      title: 'Request for supplementary information: Celoxan (procedure EMEA/H/C/005871)',
      date: '2023-06-19',
      text: `
        HEADING: EUROPEAN MEDICINES AGENCY — COMMITTEE FOR MEDICINAL PRODUCTS FOR HUMAN USE
        The applicant, Veridian Pharma AG, submitted a marketing authorisation application for Celoxan (velcitinib) for moderate to severe rheumatoid arthritis, supported by the pivotal study VP-CX-301.

        The committee has received information indicating that hepatic adverse events in study VP-CX-301 were reclassified after unblinding and that the clinical study report does not include all cases meeting Hy's law criteria.

        The applicant is requested to submit the complete line listings of hepatic events, the audit trail of all changes to adverse event coding, and the minutes of the safety review committee meetings. The clock is stopped pending the response.
      `,
      tags: ['veridian', 'about:celoxan-liver', 'about:celoxan-trial', 'about:ema-procedure'],
    },
    {
      id: 'veridian-meeting',
      type: 'meeting-notes',
      title: 'Safety review committee VP-CX-301, meeting 9',
      date: '2022-09-20',
      text: `
        Safety review committee — VP-CX-301 — meeting 9 — 20 September 2022
        Present: M. Egli (chair), H. Lindqvist, two external hepatologists (by phone), biostatistics

        Hepatic events: H. Lindqvist presented 14 cases. M. Egli proposed to follow the coding
        conventions "agreed with the CRO". External hepatologist 1 stated that two cases were
        "textbook Hy's law". No consensus. Action: biostatistics to re-run tables both ways.
        Note added by H. Lindqvist: I do not agree that these minutes reflect the discussion.
      `,
      tags: ['veridian', 'egli', 'lindqvist', 'about:celoxan-liver', 'about:celoxan-trial'],
    },
  ],
};
