import { DomainError } from '../../errors.ts';
import type { EntitySummary, GraphDocument, GraphSnapshot, MentionInput, RelationInput } from './port.ts';
import { isUuid } from '../../ids.ts';

/*
 * The rules every GraphStore adapter shares, kept pure so the adapters cannot drift apart:
 * input checks, the entity dedup key, mention resolution and canonical ordering.
 */

const invalid = (message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('validation.failed', message, details);

/** Ids are UUIDs in every adapter, so one that accepts any string cannot mask a bad id. */
export function checkId(id: string, what: string): string {
  if (!isUuid(id)) throw invalid(`${what} must be a UUID`, { [what]: id });
  // lower case: Postgres prints UUIDs so, and Neo4j keys must match them exactly
  return id.toLowerCase();
}

/** Checked, lower-cased and without repeats. */
export function checkIds(ids: readonly string[], what: string): string[] {
  return [...new Set(ids.map((id) => checkId(id, what)))];
}

/** NFKC, case-folded, whitespace collapsed: "ACME  Corp" and "Acme Corp" are one entity. */
export function normaliseName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** The dedup key of an entity within its tenant: normalised type and name. */
export function aliasKey(name: string, type: string): string {
  return `${normaliseName(type)}:${normaliseName(name)}`;
}

export function checkDocuments(documents: readonly GraphDocument[]): GraphDocument[] {
  const ids = checkIds(
    documents.map((d) => d.id),
    'document_id',
  );
  // last one wins within a batch, like two upserts in a row
  const byId = new Map(documents.map((d) => [d.id.toLowerCase(), d.title] as const));
  return ids.map((id) => ({ id, title: byId.get(id) ?? null }));
}

export function checkMentions(mentions: readonly MentionInput[]): MentionInput[] {
  return mentions.map((m) => {
    const entity_id = checkId(m.entity_id, 'entity_id');
    if (normaliseName(m.name) === '') throw invalid('mention name is empty', { entity_id });
    if (normaliseName(m.type) === '') throw invalid('mention type is empty', { entity_id });
    if (!Number.isSafeInteger(m.count) || m.count < 1) throw invalid('mention count must be a positive integer', { entity_id });
    return { entity_id, name: m.name.trim(), type: m.type.trim(), count: m.count };
  });
}

export function checkRelations(relations: readonly RelationInput[]): RelationInput[] {
  return relations.map((r) => {
    const rel: RelationInput = {
      from_entity_id: checkId(r.from_entity_id, 'entity_id'),
      to_entity_id: checkId(r.to_entity_id, 'entity_id'),
      document_id: checkId(r.document_id, 'document_id'),
      confidence: r.confidence,
    };
    if (!Number.isFinite(r.confidence) || r.confidence < 0 || r.confidence > 1) throw invalid('confidence must be in [0, 1]', { ...rel });
    return rel;
  });
}

/** What the store knows about the keys and ids a batch of mentions uses. */
export interface KnownEntities {
  /** alias key → entity id */
  byKey: Map<string, string>;
  /** any id ever used for an entity (merged-away ones included) → entity id */
  byId: Map<string, string>;
}

export interface Resolution {
  entities: EntitySummary[];
  aliases: Array<{ key: string; name: string; entity_id: string }>;
  ids: Array<{ id: string; entity_id: string }>;
  /** entity id → mentions in the document, summed over the batch */
  counts: Map<string, number>;
}

/**
 * Resolves mentions to entities in order: by dedup key, else by id, else a new entity with the
 * mention's id. Returns the rows to insert (new entities, keys and ids) and the counts to set.
 * Order-dependent by nature (the first name seen becomes the entity's name), so a replay of the
 * same events resolves the same way.
 */
export function resolveMentions(mentions: readonly MentionInput[], known: KnownEntities): Resolution {
  const byKey = new Map(known.byKey);
  const byId = new Map(known.byId);
  const out: Resolution = { entities: [], aliases: [], ids: [], counts: new Map() };
  for (const m of mentions) {
    const key = aliasKey(m.name, m.type);
    let owner = byKey.get(key) ?? byId.get(m.entity_id);
    if (owner === undefined) {
      owner = m.entity_id;
      out.entities.push({ id: owner, name: m.name, type: m.type });
    }
    if (!byKey.has(key)) {
      byKey.set(key, owner);
      out.aliases.push({ key, name: m.name, entity_id: owner });
    }
    if (!byId.has(m.entity_id)) {
      byId.set(m.entity_id, owner);
      out.ids.push({ id: m.entity_id, entity_id: owner });
    }
    out.counts.set(owner, (out.counts.get(owner) ?? 0) + m.count);
  }
  return out;
}

export interface RelationRow {
  a: string;
  b: string;
  document_id: string;
  confidence: number;
}

/**
 * Turns relation input into evidence rows: ids resolved through `owners` (every id an entity was
 * known by), pairs ordered a < b, evidence on unknown entities or documents and pairs of one
 * entity dropped, repeats within the batch folded to their highest confidence.
 */
export function relationRows(
  input: readonly RelationInput[],
  owners: ReadonlyMap<string, string>,
  documents: ReadonlySet<string>,
): RelationRow[] {
  const rows = new Map<string, RelationRow>();
  for (const r of input) {
    const [x, y] = [owners.get(r.from_entity_id), owners.get(r.to_entity_id)];
    if (x === undefined || y === undefined || x === y || !documents.has(r.document_id)) continue;
    const [a, b] = x < y ? [x, y] : [y, x];
    const id = `${a}|${b}|${r.document_id}`;
    const confidence = Math.max(rows.get(id)?.confidence ?? 0, r.confidence);
    rows.set(id, { a, b, document_id: r.document_id, confidence });
  }
  return [...rows.values()];
}

/** Plain string order: the same in every adapter and independent of the locale. */
export const byString = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

const byKeys =
  <T>(...keys: Array<(t: T) => string>) =>
  (x: T, y: T): number => {
    for (const k of keys) {
      const c = byString(k(x), k(y));
      if (c !== 0) return c;
    }
    return 0;
  };

/** Sorts what an adapter read into the canonical snapshot. */
export function canonicalSnapshot(raw: GraphSnapshot): GraphSnapshot {
  return {
    projects: [...raw.projects].sort(byString),
    documents: [...raw.documents].sort(byKeys((d) => d.id)),
    links: [...raw.links].sort(
      byKeys(
        (l) => l.document_id,
        (l) => l.project_id,
      ),
    ),
    entities: raw.entities
      .map((e) => ({ ...e, aliases: [...e.aliases].sort(byString), ids: [...e.ids].sort(byString) }))
      .sort(byKeys((e) => e.id)),
    mentions: [...raw.mentions].sort(
      byKeys(
        (m) => m.entity_id,
        (m) => m.document_id,
      ),
    ),
    appearances: [...raw.appearances].sort(
      byKeys(
        (a) => a.entity_id,
        (a) => a.project_id,
      ),
    ),
    relations: [...raw.relations].sort(
      byKeys(
        (r) => r.a,
        (r) => r.b,
        (r) => r.document_id,
      ),
    ),
  };
}

/** Bounds for list queries, so no caller can ask a store for an unbounded result. */
export function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** The combining marks accents decompose into (NFKD); adapters strip them with this same class. */
export const COMBINING_MARKS = '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]';
// a class of combining marks alone, on purpose: it strips them from decomposed text
// eslint-disable-next-line no-misleading-character-class
const marks = new RegExp(COMBINING_MARKS, 'gu');

/** Case- and accent-folded text for "name contains": "GONZÁLEZ" and "gonzalez" fold alike. */
export function foldForSearch(text: string): string {
  return text.normalize('NFKD').replace(marks, '').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * The projects whose documents may serve as evidence: `projectId` and `projectIds` intersect;
 * null when neither is given (any document of the tenant).
 */
export function evidenceScope(options: { projectId?: string; projectIds?: readonly string[] }): string[] | null {
  const single = options.projectId === undefined ? null : checkId(options.projectId, 'project_id');
  if (options.projectIds === undefined) return single === null ? null : [single];
  const many = checkIds(options.projectIds, 'project_id');
  return single === null ? many : many.filter((p) => p === single);
}
