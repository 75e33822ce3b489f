import type { EntityType, Mention } from './extract.ts';

/**
 * Relationships by co-mention: two entities mentioned in the same chunk are related. The
 * confidence grows with the evidence and with how exclusively the two appear together:
 *
 *   confidence = jaccard × shared / (shared + 1),   jaccard = shared / (chunksA + chunksB − shared)
 *
 * so one shared chunk gives at most 0.5, two always-together entities sharing 3 chunks 0.75,
 * and a pair that meets once among many separate mentions stays near 0. Deterministic: pairs
 * are ordered by key, each pair once with the smaller key as `source`.
 */
export interface EntityRef {
  type: EntityType;
  normalised: string;
  /** the first surface form seen, for display */
  name: string;
}

export interface Relationship {
  source: EntityRef;
  target: EntityRef;
  /** the chunk indexes (positions in the input) where both appear */
  chunk_indexes: number[];
  confidence: number;
}

export interface RelationshipOptions {
  /** entity types that take part; default the named kinds: person, organisation, place */
  types?: readonly EntityType[];
}

const DEFAULT_TYPES: readonly EntityType[] = ['person', 'organisation', 'place'];
const keyOf = (m: { type: EntityType; normalised: string }): string => `${m.type}\u0000${m.normalised}`;

export function relationships(mentionsPerChunk: readonly (readonly Mention[])[], options: RelationshipOptions = {}): Relationship[] {
  const types = new Set(options.types ?? DEFAULT_TYPES);
  const refs = new Map<string, EntityRef>();
  const chunksOf = new Map<string, number>();
  const pairs = new Map<string, number[]>();
  mentionsPerChunk.forEach((mentions, chunkIndex) => {
    const keys = new Set<string>();
    for (const m of mentions) {
      if (!types.has(m.type)) continue;
      const key = keyOf(m);
      keys.add(key);
      if (!refs.has(key)) refs.set(key, { type: m.type, normalised: m.normalised, name: m.name });
    }
    const sorted = [...keys].sort();
    for (const key of sorted) chunksOf.set(key, (chunksOf.get(key) ?? 0) + 1);
    for (let a = 0; a < sorted.length; a++) {
      for (let b = a + 1; b < sorted.length; b++) {
        const pair = `${sorted[a]}\u0001${sorted[b]}`;
        const list = pairs.get(pair) ?? [];
        list.push(chunkIndex);
        pairs.set(pair, list);
      }
    }
  });
  const out: Relationship[] = [];
  for (const pair of [...pairs.keys()].sort()) {
    const [a = '', b = ''] = pair.split('\u0001');
    const source = refs.get(a);
    const target = refs.get(b);
    const chunk_indexes = pairs.get(pair) ?? [];
    if (source === undefined || target === undefined) continue;
    const shared = chunk_indexes.length;
    const union = (chunksOf.get(a) ?? 0) + (chunksOf.get(b) ?? 0) - shared;
    const confidence = (shared / union) * (shared / (shared + 1));
    out.push({ source, target, chunk_indexes, confidence: Math.round(confidence * 1000) / 1000 });
  }
  return out;
}
