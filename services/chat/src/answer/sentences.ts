/**
 * Sentence splitting for quoted answers. A split happens only after `.`, `!`, `?` or an
 * ellipsis (closing quotes and brackets stay with the sentence) that is followed by whitespace
 * or the end, and never where the next word starts in lower case; a blank line always ends a
 * sentence. So a split never falls inside a number (2.5, 1,234.56, 3.000,50, 12.03.2024), a
 * version, a URL or an e-mail address: none of them holds whitespace.
 *
 * Where a period after a word is ambiguous (Dr., U.S., Inc., J. R. Smith, No. 5, 3 Jan. 2024)
 * the rules below lean to NOT splitting: two sentences quoted as one still say exactly what the
 * document says, while a wrong split can cut a name or an amount off its sentence.
 *
 * Every sentence returned is a verbatim slice of the input, trimmed.
 */

/** Words whose period never ends a sentence: titles before names, and Latin/German abbreviations inside one. */
const NEVER_FINAL = new Set(
  (
    'mr mrs ms mx dr prof sr jr st hr fr frl rev hon gen col capt lt sgt cpl maj adm gov sen rep pres messrs mme mlle ' +
    'e.g i.e z.b bzw vgl ca approx vs cf u.a d.h s.o s.u o.ä u.ä et al incl excl resp dt dipl ing mag mio mrd tsd'
  ).split(' '),
);

/** Words whose period does not end a sentence when a number follows: "No. 5", "Art. 3", "3 Jan. 2024". */
const BEFORE_NUMBER = new Set(
  (
    'no nos nr art abs para sec secs fig figs vol p pp ch chap s ziff tel ref op bd hft lit ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec mär okt dez'
  ).split(' '),
);

/** Company suffixes: part of the name before a lower-case word or another suffix, but "… Acme Inc. The firm …" ends there. */
const COMPANY = new Set('inc ltd corp co llc plc bros assn ag kg gmbh sa nv bv pty'.split(' '));

/** Month names after an ordinal day in German dates ("am 12. März 2024"). */
const MONTHS = new Set(
  (
    'januar jänner februar märz april mai juni juli august september oktober november dezember ' +
    'january february march may june july october december jan feb mär mar apr jun jul aug sep sept okt oct nov dez dec'
  ).split(' '),
);

const OPENERS = `"'“‘„«([{`;

/** A terminator run, its closers, then whitespace or the end; or a blank line. */
const CANDIDATE = /([.!?…]+)([")\]}'”’»]*)(?=\s|$)|\n[ \t]*\n/gu;

/** The word just before `end` (exclusive), opening quotes and brackets stripped, lower-cased. */
function wordBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && !/\s/u.test(text[start - 1] ?? '')) start--;
  let word = text.slice(start, end);
  while (word.length > 0 && OPENERS.includes(word[0] ?? '')) word = word.slice(1);
  return word;
}

/** The next word after `from`, opening quotes and brackets skipped; '' at the end. */
function wordAfter(text: string, from: number): string {
  const rest = text.slice(from, from + 80).replace(/^\s+/u, '');
  let i = 0;
  while (i < rest.length && OPENERS.includes(rest[i] ?? '')) i++;
  return (/^[^\s]*/u.exec(rest.slice(i)) ?? [''])[0];
}

const startsLower = (word: string) => /^\p{Ll}/u.test(word);
const startsDigit = (word: string) => /^\p{N}/u.test(word);
const bare = (word: string) => word.toLowerCase().replace(/[.,;:!?…]+$/u, '');

/** Does the period-final `word` (its period at the candidate) end the sentence, given the `next` word? */
function periodEnds(word: string, next: string): boolean {
  const w = word.toLowerCase();
  if (NEVER_FINAL.has(w)) return false;
  // initials (J. R. Smith) and dotted abbreviations (U.S., U.K., a.m., z.B.)
  if (/^\p{Lu}$/u.test(word) || /^(?:\p{L}{1,2}\.)+\p{L}{1,2}$/u.test(word)) return false;
  if (startsDigit(next) && BEFORE_NUMBER.has(w)) return false;
  // an ordinal day before a month name: "am 12. März 2024"
  if (/^\d{1,2}$/u.test(word) && MONTHS.has(bare(next))) return false;
  if (COMPANY.has(w) && (COMPANY.has(bare(next)) || NEVER_FINAL.has(bare(next)))) return false;
  return true;
}

/** The sentences of `text`, each a trimmed verbatim slice of it, in order; empty pieces dropped. Never throws. */
export function splitSentences(text: string): string[] {
  const cuts: number[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m; m = CANDIDATE.exec(text)) {
    const end = m.index + m[0].length;
    const terminators = m[1];
    if (terminators === undefined) {
      cuts.push(end); // a blank line
      continue;
    }
    const next = wordAfter(text, end);
    if (next === '') {
      cuts.push(end);
      continue;
    }
    if (startsLower(next)) continue;
    // a single period after a word: look at the word
    if (terminators === '.' && !periodEnds(wordBefore(text, m.index), next)) continue;
    cuts.push(end);
  }
  const sentences: string[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    const s = text.slice(from, cut).trim();
    if (s !== '') sentences.push(s);
    from = cut;
  }
  return sentences;
}
