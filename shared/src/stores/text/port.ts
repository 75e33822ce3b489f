import { withoutSentinels } from './snippet.ts';
import { isUuid } from '../../ids.ts';

/**
 * The full-text index port: titles, chunk text and entity names, searched by keyword with the
 * same filters as the vector index. Adapters: Meilisearch (`meilisearch.ts`, the distributed
 * engine) and PostgreSQL full-text search (`postgres.ts`, the embedded default); both run
 * `text-index.contract.ts`.
 *
 * Guarantees shared by every adapter:
 * - Tenants share one index (table), and every call filters by the tenant inside the adapter:
 *   no call shows, changes or deletes another tenant's entries, even ones with equal ids.
 * - Project scope: `projectIds` is an any-of filter on `project_ids`. Absent means the
 *   tenant-wide (global) view; an empty array means "no readable project" and finds nothing.
 * - Query text is read by `parseQuery` (./query.ts): words, "quoted phrases" and `-excluded`
 *   terms, the first ten words counting. A hit matches any term and none of the excluded ones.
 * - Ranking: hits matching more of the query's terms come first (every term first), so a longer
 *   query never finds less; among equals a match in the title outranks one in the entity names,
 *   which outranks one in the content. `score` is in 0..1: the share of terms matched, refined by
 *   the engine's relevance (`termScore`), so it follows the order of one answer; beyond that the
 *   engines' relevances are not comparable, so fuse results by rank, not score.
 * - Query text is user input, never syntax: quotes, operators, control characters and text of
 *   any length never throw. Text without a term (blank, only punctuation or exclusions) finds nothing.
 * - `snippet` is HTML: the content around the matches, escaped, with each match in
 *   `<mark>…</mark>`; no other markup from the document survives.
 * - Writes are applied when the call resolves (a search right after sees them), and are
 *   idempotent: upserting again replaces, deleting what is gone is a no-op.
 */
export interface TextDocument {
  /** the chunk id, or the document id for a document indexed whole (uuid) */
  id: string;
  document_id: string;
  title: string;
  content: string;
  project_ids: string[];
  document_type: string;
  entity_names: string[];
  /** ISO-8601; adapters return it as `Date.toISOString()` (millisecond precision) */
  created_at: string;
}

export interface TextSearchOptions {
  /** any-of project scope; absent = tenant-wide, empty = nothing */
  projectIds?: string[];
  documentType?: string;
  /** inclusive bounds on `created_at`, ISO-8601 */
  from?: string;
  to?: string;
  /** exact entity name the document must mention */
  entity?: string;
  limit: number;
  offset?: number;
}

export interface TextHit {
  id: string;
  document_id: string;
  title: string;
  project_ids: string[];
  document_type: string;
  entity_names: string[];
  created_at: string;
  score: number;
  /** how many of the query's terms (`parseQuery(query).terms`) it holds, at least 1 */
  matched_terms: number;
  snippet: string;
}

export interface TextIndex {
  /** Creates the index the tenant's entries live in, with its settings, if missing (idempotent). */
  ensureIndex(tenantId: string): Promise<void>;
  /** Inserts or replaces documents; rejects, writing nothing, if any is invalid. */
  upsert(tenantId: string, docs: TextDocument[]): Promise<void>;
  /** Replaces `project_ids` on every entry of the document with a constant number of store calls. */
  setDocumentProjects(tenantId: string, documentId: string, projectIds: string[]): Promise<void>;
  /**
   * `setDocumentProjects` for several documents at once (a projector's page): each document's
   * entries end with its `projectIds` (the last entry wins for a document named twice). Adapters
   * that can write them in one store call do; the others call `setDocumentProjects` per document.
   */
  setProjectsOfDocuments(tenantId: string, documents: readonly { documentId: string; projectIds: string[] }[]): Promise<void>;
  deleteDocument(tenantId: string, documentId: string): Promise<void>;
  search(tenantId: string, query: string, options: TextSearchOptions): Promise<TextHit[]>;
  /** Removes every entry of the tenant (offboarding); other tenants' entries stay. */
  dropTenant(tenantId: string): Promise<void>;
  /** Every entry sorted by id, for comparing a rebuilt store with a live one. */
  snapshot(tenantId: string): Promise<TextDocument[]>;
}

/** A call the port refuses before touching the store. */
export class TextIndexInputError extends Error {
  override readonly name = 'TextIndexInputError';
}

/** The engine failed or answered something unexpected. */
export class TextIndexUnavailableError extends Error {
  override readonly name = 'TextIndexUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function assertUuid(what: string, value: string): void {
  if (!isUuid(value)) throw new TextIndexInputError(`${what} must be a uuid, got ${JSON.stringify(value)}`);
}

export function assertDocs(tenantId: string, docs: TextDocument[]): void {
  assertUuid('tenant id', tenantId);
  for (const d of docs) {
    assertUuid('id', d.id);
    assertUuid('document id', d.document_id);
    d.project_ids.forEach((id) => assertUuid('project id', id));
    if (Number.isNaN(Date.parse(d.created_at))) throw new TextIndexInputError(`entry ${d.id}: created_at is not a date`);
  }
}

/**
 * Ids lower-cased and the date in one form, so snapshots of two adapters compare equal; the
 * two private-use characters that mark matches inside the engines are removed from the text.
 */
export function canonicalDoc(d: TextDocument): TextDocument {
  return {
    id: d.id.toLowerCase(),
    document_id: d.document_id.toLowerCase(),
    title: withoutSentinels(d.title),
    content: withoutSentinels(d.content),
    project_ids: d.project_ids.map((id) => id.toLowerCase()),
    document_type: d.document_type,
    entity_names: [...d.entity_names],
    created_at: new Date(d.created_at).toISOString(),
  };
}

/** Last write wins inside one batch, as it does across batches. */
export function lastById<T extends { id: string }>(items: T[]): T[] {
  return [...new Map(items.map((x) => [x.id.toLowerCase(), x])).values()];
}
