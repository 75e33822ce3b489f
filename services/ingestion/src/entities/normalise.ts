/**
 * The dedup key of a named entity (with its type): case-folded, accents folded, `ß` → `ss`,
 * dots and apostrophes dropped, hyphens and slashes as spaces, whitespace collapsed. So
 * "Dr. Jürgen Müller-Lüdenscheidt" and "JURGEN MULLER LUDENSCHEIDT" meet, as do "S.A." and "SA".
 * Known limit: transliterations ("Mueller" vs "Müller") and inflections ("Deutschen Bank" vs
 * "Deutsche Bank") stay apart; merging them is the entity-merge feature's job.
 */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[.'’`´]/g, '')
    .replace(/[-‐‑–—_/]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
