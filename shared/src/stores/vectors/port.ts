import { isUuid } from '../../ids.ts';

/**
 * The vector index port: chunk embeddings with the payload search filters on. Adapters: Qdrant
 * (`qdrant.ts`, the distributed engine) and PostgreSQL (`postgres.ts`, the embedded default);
 * both run `vector-index.contract.ts`.
 *
 * Guarantees shared by every adapter:
 * - Tenant isolation: every call takes the tenant id and applies it inside the adapter (a
 *   `tenant_id` filter on every read and write, whatever the layout), so no caller can forget it.
 * - Model isolation: a collection holds the vectors of one embedding model at one dimension (on
 *   Qdrant shared by all tenants). Vectors of different models are never compared with each other.
 * - Project scope: `projectIds` is an any-of filter on the point's `project_ids`. Absent means
 *   the tenant-wide (global) view; an empty array means "no readable project" and finds nothing.
 * - Similarity is cosine, reported as `score` in [-1, 1], higher is nearer, the same number in
 *   every adapter (up to float32 rounding), so one relevance floor (`minScore`) means the same
 *   everywhere. Vectors are stored normalised to unit length (Qdrant does this for cosine), so
 *   snapshots show unit vectors.
 * - Writes are idempotent: upserting a point again replaces it; deleting what is gone is a no-op.
 */
export interface EmbeddingModel {
  /** the provider's model id, e.g. `text-embedding-3-small` or `local-hash-v1` */
  id: string;
  dimension: number;
}

export interface ChunkPayload {
  tenant_id: string;
  document_id: string;
  project_ids: string[];
  chunk_index: number;
  document_type: string;
  /** ISO-8601; adapters return it as `Date.toISOString()` */
  created_at: string;
  entity_names: string[];
}

export interface VectorPoint {
  /** the chunk id (uuid) */
  id: string;
  vector: number[];
  payload: ChunkPayload;
}

export interface VectorSearchOptions {
  /** any-of project scope; absent = tenant-wide, empty = nothing */
  projectIds?: string[];
  documentType?: string;
  /** inclusive bounds on `created_at`, ISO-8601 */
  from?: string;
  to?: string;
  /** exact entity name the chunk must mention */
  entity?: string;
  /**
   * the least cosine similarity a hit may have (the model's relevance floor): nearer points
   * only, even when fewer than `limit` remain. Absent: the nearest, however far.
   */
  minScore?: number;
  limit: number;
  offset?: number;
}

export interface VectorHit {
  id: string;
  score: number;
  payload: ChunkPayload;
}

export interface VectorCountFilter {
  projectIds?: string[];
  documentId?: string;
}

export interface VectorIndex {
  /** Creates the tenant's collection for this model if missing (idempotent). */
  ensureCollection(tenantId: string, model: EmbeddingModel): Promise<void>;
  /**
   * Inserts or replaces points in an ensured collection. Every point's payload must name
   * `tenantId` and its vector must have the model's dimension, else it rejects and writes nothing.
   */
  upsert(tenantId: string, model: EmbeddingModel, points: VectorPoint[]): Promise<void>;
  /** Replaces `project_ids` on every chunk of the document in one store call, whatever its size. */
  setDocumentProjects(tenantId: string, model: EmbeddingModel, documentId: string, projectIds: string[]): Promise<void>;
  /**
   * `setDocumentProjects` for several documents at once (a projector's page): each document's
   * chunks end with its `projectIds` (the last entry wins for a document named twice). Adapters
   * that can write them in one store call do; the others call `setDocumentProjects` per document.
   */
  setProjectsOfDocuments(
    tenantId: string,
    model: EmbeddingModel,
    documents: readonly { documentId: string; projectIds: string[] }[],
  ): Promise<void>;
  deleteDocument(tenantId: string, model: EmbeddingModel, documentId: string): Promise<void>;
  /**
   * Nearest first, `offset` then `limit`. The order among equal scores is the engine's (the
   * embedded adapter sorts them by id). A collection never ensured finds nothing.
   */
  search(tenantId: string, model: EmbeddingModel, vector: number[], options: VectorSearchOptions): Promise<VectorHit[]>;
  count(tenantId: string, model: EmbeddingModel, filter?: VectorCountFilter): Promise<number>;
  /** `count` of each document's points at once, by lower-case document id (documents with none left out). */
  countByDocument(tenantId: string, model: EmbeddingModel, documentIds: readonly string[]): Promise<Map<string, number>>;
  /** Removes every collection and point of the tenant. */
  dropTenant(tenantId: string): Promise<void>;
  /** Every point of the collection sorted by id, for comparing a rebuilt store with a live one. */
  snapshot(tenantId: string, model: EmbeddingModel): Promise<VectorPoint[]>;
}

/** A call the port refuses before touching the store (wrong tenant, dimension, id or vector). */
export class VectorIndexInputError extends Error {
  override readonly name = 'VectorIndexInputError';
}

/** The engine failed or answered something unexpected. */
export class VectorIndexUnavailableError extends Error {
  override readonly name = 'VectorIndexUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function assertUuid(what: string, value: string): void {
  if (!isUuid(value)) throw new VectorIndexInputError(`${what} must be a uuid, got ${JSON.stringify(value)}`);
}

export function assertModel(model: EmbeddingModel): void {
  if (!model.id) throw new VectorIndexInputError('model id must not be empty');
  if (!Number.isInteger(model.dimension) || model.dimension <= 0) {
    throw new VectorIndexInputError(`model ${model.id}: dimension must be a positive integer, got ${model.dimension}`);
  }
}

export function assertVector(model: EmbeddingModel, vector: number[]): void {
  if (vector.length !== model.dimension) {
    throw new VectorIndexInputError(`model ${model.id} has dimension ${model.dimension}, got a vector of ${vector.length}`);
  }
  if (!vector.every(Number.isFinite)) throw new VectorIndexInputError('vector values must be finite numbers');
}

/** Checks a whole batch before any write, so a bad point never leaves half a batch stored. */
export function assertPoints(tenantId: string, model: EmbeddingModel, points: VectorPoint[]): void {
  assertUuid('tenant id', tenantId);
  assertModel(model);
  for (const p of points) {
    assertUuid('point id', p.id);
    assertUuid('document id', p.payload.document_id);
    p.payload.project_ids.forEach((id) => assertUuid('project id', id));
    if (p.payload.tenant_id !== tenantId) {
      throw new VectorIndexInputError(`point ${p.id} belongs to tenant ${p.payload.tenant_id}, not ${tenantId}`);
    }
    if (Number.isNaN(Date.parse(p.payload.created_at))) throw new VectorIndexInputError(`point ${p.id}: created_at is not a date`);
    assertVector(model, p.vector);
  }
}

/** Unit-length copy; a zero vector stays zero (it is then equally far from everything). */
export function normalize(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? vector.slice() : vector.map((x) => x / norm);
}

/** The payload as adapters store it: ids and dates in one canonical form, so snapshots compare equal. */
export function canonicalPayload(p: ChunkPayload): ChunkPayload {
  return {
    tenant_id: p.tenant_id.toLowerCase(),
    document_id: p.document_id.toLowerCase(),
    project_ids: p.project_ids.map((id) => id.toLowerCase()),
    chunk_index: p.chunk_index,
    document_type: p.document_type,
    created_at: new Date(p.created_at).toISOString(),
    entity_names: [...p.entity_names],
  };
}
