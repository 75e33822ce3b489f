/** Solvent waste from a chemical plant that never reached the incinerator. */
import type { Storyline } from './kit.ts';

const VELKOR = { name: 'Velkor Chemie GmbH', iban: 'DE89 4401 0046 0123 4567 89', bank: 'Westfälische Volksbank eG' };
const ECOTRANS = { name: 'EcoTrans Entsorgung GmbH', iban: 'DE02 4405 0199 0001 2233 44', bank: 'Sparkasse Lennetal' };

export const velkor: Storyline = {
  id: 'velkor',
  people: [
    { name: 'Heiko Brandt', role: 'Geschäftsführer, EcoTrans Entsorgung' },
    { name: 'Sabine Roth', role: 'Umweltbeauftragte, Velkor Chemie' },
  ],
  companies: [
    {
      name: 'Velkor Chemie GmbH',
      jurisdiction: 'de',
      number: 'HRB 5531',
      address: 'Industriestraße 12, 58762 Altena',
      incorporated: '1979-04-01',
      capital: '2.000.000,00 EUR',
      activity: 'Herstellung von Lacken, Lösemitteln und chemischen Spezialprodukten.',
      directors: ['Geschäftsführer: Velte, Konrad, Altena, *14.02.1958'],
      shareholders: ['Velte Familienstiftung (100 %)'],
      tags: ['velkor'],
    },
    {
      name: 'EcoTrans Entsorgung GmbH',
      jurisdiction: 'de',
      number: 'HRB 9902',
      address: 'Am Ilmbach 3, 58791 Werdohl',
      incorporated: '2016-08-15',
      capital: '25.000,00 EUR',
      activity: 'Sammlung, Beförderung und Vermittlung von Abfällen.',
      directors: ['Geschäftsführer: Brandt, Heiko, Werdohl, *09.09.1975'],
      shareholders: ['Brandt, Heiko (100 %)'],
      tags: ['ecotrans', 'brandt', 'about:ecotrans'],
    },
  ],
  transfers: [
    {
      date: '2023-08-31',
      from: VELKOR,
      to: ECOTRANS,
      amount: 48_600,
      currency: 'EUR',
      reference: 'RE 2023-081 ENTSORGUNG LOESEMITTELABFAELLE AVV 070104',
      tags: ['velkor', 'ecotrans', 'about:solvent-dumping'],
    },
  ],
  invoices: [
    {
      number: 'ET-2023-081',
      date: '2023-08-25',
      seller: { name: 'EcoTrans Entsorgung GmbH', address: 'Am Ilmbach 3, 58791 Werdohl', vat: 'DE314228807' },
      buyer: { name: 'Velkor Chemie GmbH', address: 'Industriestraße 12, 58762 Altena' },
      lines: [
        { text: 'Abholung halogenfreie Lösemittelabfälle (AVV 07 01 04*), je t', qty: 54, unit: 900 },
        { text: 'Nachweisführung eANV', qty: 1, unit: 0 },
      ],
      currency: 'EUR',
      payTo: 'DE02 4405 0199 0001 2233 44',
      footer: 'Entsorgungsanlage laut Begleitschein: Sonderabfallverbrennung Hagen.',
      tags: ['ecotrans', 'velkor', 'about:solvent-dumping'],
    },
  ],
  written: [
    {
      id: 'velkor-anzeige',
      type: 'regulatory-filing',
      title: 'Fish kill in the Ilmbach: report of the district environmental authority',
      date: '2023-10-02',
      text: `
        HEADING: MÄRKISCHER KREIS — UNTERE WASSERBEHÖRDE (English summary for the public prosecutor)
        On 14 September 2023 some 2,300 dead fish were found over four kilometres of the Ilmbach below Werdohl. Water samples contained xylene and butyl acetate at concentrations several hundred times above the environmental quality standard.

        The substances match the solvent waste that Velkor Chemie GmbH, Altena, handed to EcoTrans Entsorgung GmbH for incineration in August 2023. The incineration plant named on the consignment notes has no record of receiving any delivery from EcoTrans in 2023.

        A tanker trailer registered to EcoTrans was seen near an old mine drainage adit that discharges into the Ilmbach on the night of 12 September.

        The authority has reported the matter to the public prosecutor under section 324 of the Criminal Code (water pollution) and section 326 (unlawful handling of waste).
      `,
      tags: ['velkor', 'ecotrans', 'about:solvent-dumping', 'about:fish-kill'],
    },
    {
      id: 'velkor-news-de',
      type: 'news-clipping',
      lang: 'de',
      title: 'Fischsterben im Ilmbach: Spur führt zu Entsorger aus Werdohl',
      date: '2023-10-06',
      text: `
        Fischsterben im Ilmbach: Spur führt zu Entsorger aus Werdohl

        Nach dem Fischsterben im Ilmbach ermittelt die Staatsanwaltschaft Hagen gegen den Geschäftsführer
        der EcoTrans Entsorgung GmbH, Heiko Brandt. Das Unternehmen soll Lösemittelabfälle der Velkor
        Chemie GmbH aus Altena nicht zur Verbrennung gebracht, sondern in einen alten Stollen gekippt
        haben. Velkor erklärte, man sei selbst Opfer und habe ordnungsgemäß bezahlt. Brandt war für eine
        Stellungnahme nicht erreichbar.
      `,
      tags: ['velkor', 'ecotrans', 'brandt', 'about:solvent-dumping', 'about:fish-kill'],
    },
    {
      id: 'velkor-email-roth',
      type: 'email',
      lang: 'de',
      title: 'Begleitscheine EcoTrans',
      date: '2023-09-20',
      text: `
        Von: Sabine Roth (Umweltbeauftragte)
        An: Geschäftsleitung Velkor
        Datum: 20.09.2023

        Die Begleitscheine für die Augustabholung sind von der Verbrennungsanlage nie quittiert worden.
        EcoTrans war mit 900 Euro je Tonne außerdem weniger als halb so teuer wie unser bisheriger
        Entsorger. Ich hatte im Juni davor gewarnt. Wir sollten der Behörde jetzt selbst Meldung machen.
      `,
      tags: ['velkor', 'ecotrans', 'about:solvent-dumping'],
    },
    {
      id: 'velkor-paraphrase-poison',
      type: 'memo',
      title: 'Site visit: Stollen Eisenkuhle',
      date: '2023-09-16',
      text: `
        Site visit — 16 September 2023, 07:30 — adit "Eisenkuhle" above Werdohl

        Strong smell of paint thinner at the adit mouth. Oily film on the outflow channel. Fresh tyre
        tracks of a heavy trailer on the forestry track, turning point at the fence. Two empty IBC
        containers behind the bushes, labels removed. Samples taken (3 × 1 l glass).
      `,
      tags: ['about:solvent-dumping', 'paraphrase:toxic-dumping'],
    },
  ],
};
