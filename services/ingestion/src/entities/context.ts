import { FIRST_NAMES, ORG_KEYWORDS, ORG_TAIL_WORDS, ROLES } from './gazetteer.ts';
import type { Mention } from './extract.ts';

/**
 * The second step of the name heuristic: what the words around a name say about it. Shape alone
 * (see `names.ts`) types "Nordwind Shipping" and "Kestrel Holdings Ltd"; it cannot type "the
 * company Castellan", "Castellan's board" or "said Wagner". A candidate is a name found by
 * shape (a person, organisation or place) or a lone capitalised word (`type: null`).
 *
 * - Organisation cues ("the company X", "director of X", "X's board", "die Firma X") type a lone
 *   word, and retype a person found by shape alone (not one after a title: "Dr. X" stays a person).
 * - Person cues ("said X", "Dear X", "X told", "X's lawyers", "X, a former director") type a lone word.
 * - Place cues ("in X", "near X", "nach X") type a lone word that is not a given name.
 * - Within the text, a lone word takes the type its other mentions got: "Dalton" after "Craig
 *   Dalton" is a person, "Castellan" once typed an organisation is one everywhere in the chunk.
 * Lone words no rule types are dropped (precision over recall).
 */
export interface Candidate extends Omit<Mention, 'type'> {
  type: 'person' | 'organisation' | 'place' | null;
  /** found after a title or role ("Dr.", "Minister"): a person whatever the context */
  titled: boolean;
}

const ORG_BEFORE: readonly RegExp[] = [
  /\b(?:the|a|an|this|that|its|their|his|her)\s+(?:(?:shell|holding|parent|offshore|trading|shipping|investment|letterbox|front)\s+)?(?:company|firm|group|bank|lender|insurer|carrier|conglomerate|subsidiary|fund|broker|consultancy|charity|outlet|newspaper|agency|airline|operator|shipowner|registrar)\s+$/i,
  /\b(?:directors?|board|shareholders?|owners?|subsidiary|subsidiaries|offices|officials|staff|employees?|chairman|chairwoman|CEO|CFO|COO|founder|co-founder|clients?|customers?|lawyers|auditors?|accounts|spokes(?:man|woman|person)|executives?|creditors|investors|shares|affiliates?|partner)\s+(?:at|of)\s+$/i,
  /(?:^|[\s(])(?:Firma|Konzern|Unternehmen|Gesellschaft|Briefkastenfirma|Tochterfirma|Tochtergesellschaft|Holding|Reederei)\s+$/,
  /\b(?:Vertreter|Vertreterin|Angaben|Vorstand|Vorstandschef|Geschäftsführer|Geschäftsführerin|Sprecher|Sprecherin|Mitarbeiter|Mitarbeiterin|Bilanzen|Bilanz|Aufsichtsrat|Konten|Eigentümer|Gesellschafter|Kunden|Anteile)\s+(?:der|des|von|bei)\s+$/,
];
const ORG_AFTER: readonly RegExp[] = [
  /^['’]s?\s+(?:board|shareholders|directors|subsidiary|subsidiaries|auditors|headquarters|share price|shares|annual report|balance sheet|branch|CEO|chief executive|chairman|chairwoman|accounts|parent company)\b/i,
  /^\s+(?:shares|stock|employees|staff|headquarters|executives|lawyers|subsidiary)\b/,
];
const PERSON_BEFORE: readonly RegExp[] = [
  /\b(?:said|says|sagte|sagt|erklärte|betonte|wrote|schrieb|asked|fragte)\s+$/,
  /(?:^|[\s>])(?:Hi|Hello|Dear|Thanks|Thank you|Hallo|Liebe|Lieber|Cheers|Danke|Grüße an)\s*,?\s+$/,
];
const PERSON_AFTER: readonly RegExp[] = [
  /^\s+(?:told|testified|wrote|admitted|sagte|erklärte)\b/,
  /^['’]s?\s+(?:lawyers?|attorneys?|wife|husband|son|daughter|brother|sister|cousin|family|consultancy|mother|father|girlfriend|boyfriend|assistant)\b/i,
  /^,\s+(?:a|an|the)\s+(?:former\s+|retired\s+|longtime\s+)?(?:director|lawyer|banker|businessman|businesswoman|spokes\w+|founder|partner|manager|official|investor|trustee|accountant|politician|minister|senator|oligarch|adviser|advisor)\b/i,
];
/** A lone word that is a generic noun ("Behörde", "Bank", "Trading", "Minister") names nothing. */
const generic = (c: Candidate): boolean =>
  c.type === null && (ORG_KEYWORDS.has(c.normalised) || ORG_TAIL_WORDS.has(c.normalised) || ROLES.has(c.normalised));

const PLACE_BEFORE = /(?:^|[\s(])(?:in|near|nahe|nach|aus|based in|registered in|born in|resident in)\s+$/;
/** German nouns that follow "in", "nach", "aus" in set phrases ("nach Angaben", "in Kraft"). */
const NOT_A_PLACE =
  /^(?:angaben|ansicht|sicht|kraft|zukunft|ordnung|folge|hohe|zeit|ende|anfang|rahmen|bezug|hinblick|grund|grunden|auftrag|namen|richtung|frage|verbindung|summe|betrag|bar|cash|total|person|court|parliament|public|general|practice|particular|addition|fact|time)$|(?:ung|heit|keit|schaft|tion|itat|ismus|nis|tum|ment)$/;

const before = (text: string, c: Candidate): string => text.slice(Math.max(0, c.start - 60), c.start);
const after = (text: string, c: Candidate): string => text.slice(c.end, c.end + 60);
const cue = (res: readonly RegExp[], s: string): boolean => res.some((re) => re.test(s));

const lastWord = (normalised: string): string => normalised.split(' ').pop() ?? '';

export function resolveByContext(text: string, candidates: readonly Candidate[]): Mention[] {
  const typed = candidates
    .filter((c) => !generic(c))
    .map((c): Candidate => {
      const orgCue = cue(ORG_BEFORE, before(text, c)) || cue(ORG_AFTER, after(text, c));
      if (orgCue && (c.type === null || (c.type === 'person' && !c.titled))) return { ...c, type: 'organisation' };
      if (c.type !== null) return c;
      if (cue(PERSON_BEFORE, before(text, c)) || cue(PERSON_AFTER, after(text, c))) return { ...c, type: 'person' };
      const upperShort = /^\p{Lu}{1,3}$/u.test(c.name);
      if (PLACE_BEFORE.test(before(text, c)) && !FIRST_NAMES.has(c.normalised) && !upperShort && !NOT_A_PLACE.test(c.normalised)) {
        return { ...c, type: 'place' };
      }
      return c;
    });
  // a lone word takes the type its other mentions in the text got
  const persons = new Set(typed.filter((c) => c.type === 'person').map((c) => lastWord(c.normalised)));
  const organisations = new Set(typed.filter((c) => c.type === 'organisation').map((c) => c.normalised));
  const out: Mention[] = [];
  for (const c of typed) {
    const type = c.type ?? (organisations.has(c.normalised) ? 'organisation' : persons.has(c.normalised) ? 'person' : null);
    if (type !== null) out.push({ type, name: c.name, normalised: c.normalised, start: c.start, end: c.end });
  }
  return out;
}
