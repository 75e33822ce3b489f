import { findKnownOrganisations, findRegistryPersons } from './known.ts';
import { findNames } from './names.ts';
import { findEmails, findMoney, findPhones, findUrls } from './patterns.ts';

export type EntityType = 'person' | 'organisation' | 'place' | 'email' | 'phone' | 'money' | 'url';

/** One occurrence of an entity in a text; `start`/`end` index into that text. */
export interface Mention {
  type: EntityType;
  /** the text as written */
  name: string;
  /** with `type`, the tenant-wide dedup key of the entity */
  normalised: string;
  start: number;
  end: number;
}

/** Blank out found spans (same length, so offsets stay valid) so later finders skip them. */
function mask(text: string, mentions: readonly Mention[]): string {
  let out = text;
  for (const m of mentions) out = out.slice(0, m.start) + ' '.repeat(m.end - m.start) + out.slice(m.end);
  return out;
}

/**
 * Finds entity mentions in one chunk of text, sorted by position, never overlapping.
 * Pattern finders run first, most specific first (a URL may contain an address, an amount
 * looks like a phone number), each on the text with earlier finds blanked out; then organisations
 * known by name and registry-style persons ("SOKOLOV, Igor", see `known.ts`); the name heuristic
 * (see `names.ts` and `context.ts`) runs last. This is the local default: a model-based recogniser
 * can replace it as long as it returns the same `Mention` shape and `normalised` keys.
 */
export function extractEntities(chunkText: string): Mention[] {
  const found: Mention[] = [];
  let text = chunkText;
  for (const finder of [findUrls, findEmails, findMoney, findPhones, findKnownOrganisations, findRegistryPersons, findNames]) {
    const next = finder(text);
    found.push(...next);
    text = mask(text, next);
  }
  return found.filter((m) => m.normalised !== '').sort((a, b) => a.start - b.start || a.end - b.end);
}

export { relationships, type Relationship, type RelationshipOptions } from './relationships.ts';
