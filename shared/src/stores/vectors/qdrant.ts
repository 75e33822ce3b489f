import { createHash } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { Schemas } from '@qdrant/js-client-rest';
import { z } from 'zod';
import { inParallel } from '../../in-parallel.ts';
import {
  VectorIndexInputError,
  VectorIndexUnavailableError,
  assertModel,
  assertPoints,
  assertUuid,
  assertVector,
  canonicalPayload,
} from './port.ts';
import type { ChunkPayload, EmbeddingModel, VectorCountFilter, VectorIndex, VectorPoint, VectorSearchOptions } from './port.ts';

/**
 * The vector index on Qdrant, laid out as Qdrant recommends for many tenants: one cosine
 * collection per embedding model (and dimension) shared by all tenants, `tenant_id` a keyword
 * payload index marked `is_tenant` (Qdrant keeps each tenant's points together on disk) and the
 * HNSW graph built per tenant (`payload_m`) rather than across tenants (`m: 0`), since no search
 * ever crosses tenants. Every request therefore carries the `tenant_id` filter first; the project
 * scope is a `project_ids` any-of filter. Writes wait for Qdrant to apply them (`wait: true`), so
 * a read after a write sees it. Offboarding deletes the tenant's points by filter.
 *
 * Earlier releases kept one collection per tenant and model (`{prefix}_{tenant hex}_…`, see
 * `legacyTenantPrefix`); `dropTenant` removes those too, so rebuilding a tenant's vectors from the
 * log (reset, then replay into this layout) migrates it and drops its old collections.
 */
/** The part of the official client the adapter uses (a `QdrantClient` is one; tests can record calls). */
export type QdrantCalls = Pick<
  QdrantClient,
  | 'collectionExists'
  | 'createCollection'
  | 'createPayloadIndex'
  | 'upsert'
  | 'setPayload'
  | 'delete'
  | 'query'
  | 'count'
  | 'getCollections'
  | 'deleteCollection'
  | 'scroll'
>;

export interface QdrantVectorIndexDeps {
  client: QdrantCalls;
  /** first token of every collection name; lets several deployments (or test runs) share a server */
  prefix?: string;
  /** points per upsert request, below Qdrant's request size limit for large embeddings; default 256 */
  upsertBatchSize?: number;
}

/**
 * The client this adapter is meant to run on. It asks for uncompressed responses: Qdrant serves
 * HTTP with actix-web, which leaves Nagle's algorithm on (no TCP_NODELAY), and sends a gzip
 * response in chunks; on a kept-alive connection the last chunk then waits for the client's
 * delayed ACK, 40 ms on Linux, on top of a search of 1–5 ms (bench/search.ts: p50 44 ms with
 * gzip). A response with a content-length leaves in one write. The client (1.18) is newer than
 * the server release we run and test (1.16): its version check would only warn.
 */
export function createQdrantClient(o: { url: string; apiKey?: string | undefined }): QdrantClient {
  return new QdrantClient({ url: o.url, apiKey: o.apiKey, checkCompatibility: false, headers: { 'accept-encoding': 'identity' } });
}

/**
 * The connection closed under a request before any answer: the client reused a kept-alive
 * connection the server was just closing (actix drops idle ones after 5 s, the client keeps them
 * 10 s). Every request of this adapter is idempotent (upserts by derived id, payload set to a
 * value, deletes and reads by filter), so it is sent once more.
 */
export function closedUnderRequest(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return true;
  }
  return false;
}

async function onceMoreIfClosed<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!closedUnderRequest(err)) throw err;
    return call();
  }
}

/** Payload indexes every collection gets; `tenant_id` is marked as the tenant key for Qdrant's storage layout. */
const PAYLOAD_INDEXES: Array<[string, Schemas['PayloadFieldSchema']]> = [
  ['tenant_id', { type: 'keyword', is_tenant: true }],
  ['project_ids', 'keyword'],
  ['document_id', 'keyword'],
  ['document_type', 'keyword'],
  ['created_at', 'datetime'],
  ['entity_names', 'keyword'],
];

/**
 * `{prefix}_vectors_{model slug}_{model hash}_{dimension}`: readable, within Qdrant's allowed
 * characters, and collision-free (the hash covers the exact model id the slug may have mangled).
 */
export function qdrantCollectionName(prefix: string, model: EmbeddingModel): string {
  const slug = model.id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(model.id).digest('hex').slice(0, 10);
  return `${collectionsPrefix(prefix)}${slug}_${hash}_${model.dimension}`;
}

const collectionsPrefix = (prefix: string): string => `${prefix}_vectors_`;

/** The first part of the name of the tenant's collections in the per-tenant layout of earlier releases. */
export const legacyTenantPrefix = (prefix: string, tenantId: string): string => `${prefix}_${tenantId.toLowerCase().replaceAll('-', '')}_`;

/**
 * Point ids are unique within a tenant only, and a collection holds every tenant: the Qdrant id is
 * a UUID derived from tenant and point id, so equal ids of two tenants never overwrite each other.
 * The caller's id travels in the payload (`point_id`).
 */
export function qdrantPointId(tenantId: string, id: string): string {
  const h = createHash('sha256').update(`${tenantId.toLowerCase()}/${id.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const storedPayload = z.object({
  tenant_id: z.string(),
  document_id: z.string(),
  project_ids: z.array(z.string()),
  chunk_index: z.number(),
  document_type: z.string(),
  created_at: z.string(),
  entity_names: z.array(z.string()),
});

export function createQdrantVectorIndex({ client, prefix = 'mandant', upsertBatchSize = 256 }: QdrantVectorIndexDeps): VectorIndex {
  // Collections this instance ensured, so a projector may call ensureCollection before every
  // batch for free. A collection dropped elsewhere is forgotten at the first upsert that misses it.
  const ensured = new Set<string>();
  const name = (tenantId: string, model: EmbeddingModel): string => {
    assertUuid('tenant id', tenantId);
    assertModel(model);
    return qdrantCollectionName(prefix, model);
  };

  /** Reads of a collection that does not exist (never ensured, or dropped) find nothing. */
  async function orIfMissing<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await onceMoreIfClosed(call);
    } catch (err) {
      if (statusOf(err) === 404) return fallback;
      throw new VectorIndexUnavailableError(`qdrant ${what} failed`, { cause: err });
    }
  }

  const self: VectorIndex = {
    async ensureCollection(tenantId, model) {
      const collection = name(tenantId, model);
      if (ensured.has(collection)) return;
      try {
        if (!(await client.collectionExists(collection)).exists) {
          await client
            .createCollection(collection, {
              vectors: { size: model.dimension, distance: 'Cosine' },
              hnsw_config: { m: 0, payload_m: 16 },
            })
            .catch(async (err: unknown) => {
              // a concurrent ensure may have created it first
              if (!(await client.collectionExists(collection)).exists) throw err;
            });
        }
        // idempotent: re-creating an existing payload index is accepted, and repairs a half-made collection
        for (const [field_name, field_schema] of PAYLOAD_INDEXES) {
          await client.createPayloadIndex(collection, { field_name, field_schema, wait: true });
        }
      } catch (err) {
        throw new VectorIndexUnavailableError(`qdrant: cannot ensure collection ${collection}`, { cause: err });
      }
      ensured.add(collection);
    },

    async upsert(tenantId, model, points) {
      assertPoints(tenantId, model, points);
      const collection = name(tenantId, model);
      for (let i = 0; i < points.length; i += upsertBatchSize) {
        const batch = points.slice(i, i + upsertBatchSize).map((p) => ({
          id: qdrantPointId(tenantId, p.id),
          vector: p.vector,
          payload: { ...canonicalPayload(p.payload), point_id: p.id.toLowerCase() },
        }));
        try {
          await onceMoreIfClosed(() => client.upsert(collection, { wait: true, points: batch }));
        } catch (err) {
          if (statusOf(err) === 404) {
            ensured.delete(collection);
            throw new VectorIndexInputError(`no collection ${collection}: ensure it first`);
          }
          throw new VectorIndexUnavailableError(`qdrant upsert into ${collection} failed`, { cause: err });
        }
      }
    },

    async setDocumentProjects(tenantId, model, documentId, projectIds) {
      assertUuid('document id', documentId);
      projectIds.forEach((id) => assertUuid('project id', id));
      const collection = name(tenantId, model);
      // one filtered call for the whole document, however many chunks it has
      await orIfMissing(
        'set payload',
        () =>
          client.setPayload(collection, {
            payload: { project_ids: projectIds.map((id) => id.toLowerCase()) },
            filter: scopeFilter(tenantId, { documentId }),
            wait: true,
          }),
        undefined,
      );
    },

    async setProjectsOfDocuments(tenantId, model, documents) {
      // one filtered call per document (a batch of them would still be one operation each)
      const last = new Map(documents.map((d) => [d.documentId.toLowerCase(), d]));
      await inParallel([...last.values()], (d) => self.setDocumentProjects(tenantId, model, d.documentId, d.projectIds));
    },

    async countByDocument(tenantId, model, documentIds) {
      // one exact count per document
      const counts = new Map<string, number>();
      await inParallel([...new Set(documentIds.map((id) => id.toLowerCase()))], async (documentId) => {
        const n = await self.count(tenantId, model, { documentId });
        if (n > 0) counts.set(documentId, n);
      });
      return counts;
    },

    async deleteDocument(tenantId, model, documentId) {
      assertUuid('document id', documentId);
      const collection = name(tenantId, model);
      await orIfMissing(
        'delete',
        () => client.delete(collection, { filter: scopeFilter(tenantId, { documentId }), wait: true }),
        undefined,
      );
    },

    async search(tenantId, model, vector, options) {
      const collection = name(tenantId, model);
      assertVector(model, vector);
      options.projectIds?.forEach((id) => assertUuid('project id', id));
      if (options.limit <= 0 || options.projectIds?.length === 0) return [];
      const res = await orIfMissing(
        'query',
        () =>
          client.query(collection, {
            query: vector,
            filter: scopeFilter(tenantId, options),
            limit: options.limit,
            offset: options.offset ?? 0,
            ...(options.minScore !== undefined && { score_threshold: options.minScore }),
            with_payload: true,
          }),
        { points: [] },
      );
      return res.points.map((p) => ({ id: pointIdOf(p.payload), score: p.score, payload: parsePayload(p.payload) }));
    },

    async count(tenantId, model, filter = {}) {
      const collection = name(tenantId, model);
      if (filter.projectIds?.length === 0) return 0;
      const res = await orIfMissing('count', () => client.count(collection, { filter: scopeFilter(tenantId, filter), exact: true }), {
        count: 0,
      });
      return res.count;
    },

    async dropTenant(tenantId) {
      assertUuid('tenant id', tenantId);
      const shared = collectionsPrefix(prefix);
      const legacy = legacyTenantPrefix(prefix, tenantId);
      const { collections } = await orIfMissing('list collections', () => client.getCollections(), { collections: [] });
      for (const { name: collection } of collections) {
        if (collection.startsWith(shared)) {
          await orIfMissing('delete', () => client.delete(collection, { filter: scopeFilter(tenantId, {}), wait: true }), undefined);
        } else if (collection.startsWith(legacy)) {
          await orIfMissing('delete collection', () => client.deleteCollection(collection), true);
        }
      }
    },

    async snapshot(tenantId, model) {
      const collection = name(tenantId, model);
      const points: VectorPoint[] = [];
      let offset: Schemas['ExtendedPointId'] | undefined;
      do {
        const page = await orIfMissing(
          'scroll',
          () =>
            client.scroll(collection, {
              filter: scopeFilter(tenantId, {}),
              limit: 512,
              offset,
              with_payload: true,
              with_vector: true,
            }),
          { points: [], next_page_offset: null },
        );
        for (const p of page.points)
          points.push({ id: pointIdOf(p.payload), vector: parseVector(p.vector), payload: parsePayload(p.payload) });
        const next = page.next_page_offset;
        offset = typeof next === 'string' || typeof next === 'number' ? next : undefined;
      } while (offset !== undefined);
      return points.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
  return self;
}

/** The tenant condition first, always; then the scope and payload conditions the caller asked for. */
function scopeFilter(tenantId: string, f: Partial<VectorSearchOptions> & VectorCountFilter): Schemas['Filter'] {
  const must: Schemas['Condition'][] = [{ key: 'tenant_id', match: { value: tenantId.toLowerCase() } }];
  if (f.projectIds) must.push({ key: 'project_ids', match: { any: f.projectIds.map((id) => id.toLowerCase()) } });
  if (f.documentId) must.push({ key: 'document_id', match: { value: f.documentId.toLowerCase() } });
  if (f.documentType !== undefined) must.push({ key: 'document_type', match: { value: f.documentType } });
  if (f.from !== undefined || f.to !== undefined) {
    const range: Schemas['DatetimeRange'] = {};
    if (f.from !== undefined) range.gte = new Date(f.from).toISOString();
    if (f.to !== undefined) range.lte = new Date(f.to).toISOString();
    must.push({ key: 'created_at', range });
  }
  if (f.entity !== undefined) must.push({ key: 'entity_names', match: { value: f.entity } });
  return { must };
}

function pointIdOf(payload: unknown): string {
  const id = (payload as { point_id?: unknown } | null | undefined)?.point_id;
  if (typeof id === 'string') return id;
  throw new VectorIndexUnavailableError('qdrant returned a point without its point_id');
}

function parsePayload(payload: unknown): ChunkPayload {
  const parsed = storedPayload.safeParse(payload);
  if (!parsed.success) throw new VectorIndexUnavailableError('qdrant returned a point without a chunk payload', { cause: parsed.error });
  return parsed.data;
}

function parseVector(vector: unknown): number[] {
  if (Array.isArray(vector) && vector.every((x) => typeof x === 'number')) return vector;
  throw new VectorIndexUnavailableError('qdrant returned a point without its unnamed dense vector');
}

/** The HTTP status of a failed Qdrant call: the client's ApiError carries it, its own error names it in the message. */
function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status;
  const m = /Unexpected Response: (\d{3})/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}
