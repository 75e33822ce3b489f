import type postgres from 'postgres';
import { withStoreTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import {
  VectorIndexInputError,
  VectorIndexUnavailableError,
  assertModel,
  assertPoints,
  assertUuid,
  assertVector,
  canonicalPayload,
  normalize,
} from './port.ts';
import type { ChunkPayload, EmbeddingModel, VectorHit, VectorIndex, VectorPoint, VectorSearchOptions } from './port.ts';
import { createTopK } from './top-k.ts';
import type { CachedRow } from './cached-collection.ts';
import { createVectorCache } from './vector-cache.ts';
import type { CollectionSource, CollectionState } from './vector-cache.ts';

/**
 * The embedded vector index on plain PostgreSQL tables (migration `1700000000030_vectors.sql`),
 * under forced row-level security: every call runs in `withStoreTenant` (a projector's page's own
 * transaction when called from one for that tenant), and every statement also
 * filters by tenant, model and dimension itself.
 *
 * Search is exact (no pgvector, so no approximate index). By default it scores an in-process copy
 * of the collection (`vector-cache.ts`: one Float32Array of unit vectors, the filter fields and a
 * per-project index), checked against the collection's revision in the search's own tenant
 * transaction and caught up from the rows and tombstones written since. Every write bumps that
 * revision under the collection row's lock (so writers of one collection commit in revision
 * order; writes of one collection serialise on that row) and stamps what it writes. A
 * collection larger than the cache budget, or any search with `cacheBytes: 0`, streams the
 * filtered candidates' vectors from Postgres through a cursor and scores them as they arrive.
 *
 * Known limits: cost is still linear in the candidates (about 10k points of dimension 384 per
 * few milliseconds cached; the streaming path ~100 ms per 10k). The first search of a collection
 * in a process loads all of it (seconds at 100k points). Tenant-wide searches over very large
 * tenants want Qdrant.
 */
export interface PostgresVectorIndexDeps {
  /** a pool connected as the runtime role (RLS applies) */
  sql: Sql;
  /** candidate rows fetched per round trip while streaming or loading the cache; default 2 000 */
  batchSize?: number;
  /**
   * Byte budget of this index's in-process collection cache (an LRU over collections); default
   * 256 MiB, enough for ~130,000 points of dimension 384. 0 turns the cache off (always stream).
   */
  cacheBytes?: number;
}

/** Tombstones kept per collection, in revisions: a cache further behind reloads the collection. */
const TOMBSTONE_REVISIONS = 1_000;
const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/** The documents' link sets checked, one row per document (the last one named wins), as the statements take them. */
function lastByDocument(documents: readonly { documentId: string; projectIds: string[] }[]) {
  const rows = new Map<string, { document_id: string; project_ids: string[] }>();
  for (const d of documents) {
    assertUuid('document id', d.documentId);
    d.projectIds.forEach((id) => assertUuid('project id', id));
    const key = d.documentId.toLowerCase();
    rows.delete(key);
    rows.set(key, { document_id: key, project_ids: d.projectIds.map((id) => id.toLowerCase()) });
  }
  return [...rows.values()];
}

interface PointRow {
  id: string;
  document_id: string;
  project_ids: string[];
  chunk_index: number;
  document_type: string;
  created_at: Date;
  entity_names: string[];
  vector: Buffer;
}

type Filters = VectorSearchOptions & { documentId?: string };

export function createPostgresVectorIndex({
  sql,
  batchSize = 2_000,
  cacheBytes = DEFAULT_CACHE_BYTES,
}: PostgresVectorIndexDeps): VectorIndex {
  const cache = cacheBytes > 0 ? createVectorCache({ maxBytes: cacheBytes }) : undefined;
  const cacheKey = (tenantId: string, model: EmbeddingModel): string =>
    `${tenantId.toLowerCase()}\u0000${model.dimension}\u0000${model.id}`;

  /** The links of the collection's documents, on the table named `l`. */
  const linksOf = (tx: Tx, tenantId: string, model: EmbeddingModel) =>
    tx`l.tenant_id = ${tenantId} and l.model = ${model.id} and l.dimension = ${model.dimension}`;

  /**
   * The one place every statement gets its tenant, model and scope conditions, on the table named
   * `p` (points or tombstones). A project scope is the document's links (migration
   * `1700000000320_document-links.sql`).
   */
  function where(tx: Tx, tenantId: string, model: EmbeddingModel, f: Partial<Filters> = {}): postgres.PendingQuery<postgres.Row[]> {
    return tx`p.tenant_id = ${tenantId} and p.model = ${model.id} and p.dimension = ${model.dimension}
      ${
        f.projectIds
          ? tx`and p.document_id in (select l.document_id from vector_document_links l
                where ${linksOf(tx, tenantId, model)} and l.project_ids && ${f.projectIds}::uuid[])`
          : tx``
      }
      ${f.documentId ? tx`and p.document_id = ${f.documentId}` : tx``}
      ${f.documentType !== undefined ? tx`and p.document_type = ${f.documentType}` : tx``}
      ${f.from !== undefined ? tx`and p.created_at >= ${f.from}::timestamptz` : tx``}
      ${f.to !== undefined ? tx`and p.created_at <= ${f.to}::timestamptz` : tx``}
      ${f.entity !== undefined ? tx`and p.entity_names @> ${[f.entity]}::text[]` : tx``}`;
  }

  /** Points with their document's projects: read `columns(tx)` from this, filtered by `where`. */
  const withLinks = (tx: Tx) => tx`vector_points p left join vector_document_links l
    on l.tenant_id = p.tenant_id and l.model = p.model and l.dimension = p.dimension and l.document_id = p.document_id`;
  const columns = (tx: Tx) =>
    tx`p.id, p.document_id, coalesce(l.project_ids, '{}') as project_ids, p.chunk_index, p.document_type, p.created_at, p.entity_names, p.vector`;

  /**
   * Takes the collection row's lock until commit and moves its revision on; the caller stamps
   * what it writes with the new value. Undefined when the collection was never ensured.
   */
  async function bump(tx: Tx, tenantId: string, model: EmbeddingModel): Promise<number | undefined> {
    const [row] = await tx<{ revision: number | string }[]>`${bumping(tx, tenantId, model)}`;
    return row ? Number(row.revision) : undefined;
  }
  /** `bump` as a statement to embed (a `with` clause): returns the new `revision`, or no row. */
  const bumping = (tx: Tx, tenantId: string, model: EmbeddingModel) => tx`
    update vector_collections set revision = revision + 1
    where tenant_id = ${tenantId} and model = ${model.id} and dimension = ${model.dimension}
    returning revision`;

  /** What the cache reads, all inside the searching transaction (so under its RLS context). */
  function source(tx: Tx, tenantId: string, model: EmbeddingModel): CollectionSource {
    return {
      async count() {
        const [row] = await tx<{ n: number }[]>`select count(*)::int as n from vector_points p where ${where(tx, tenantId, model)}`;
        return row?.n ?? 0;
      },
      async all(onRows) {
        await tx<CachedRow[]>`select ${columns(tx)} from ${withLinks(tx)} where ${where(tx, tenantId, model)}`.cursor(batchSize, onRows);
      },
      async changedSince(revision) {
        const deleted = await tx<{ id: string }[]>`
          select p.id from vector_tombstones p where ${where(tx, tenantId, model)} and p.rev > ${revision}`;
        const rows = await tx<CachedRow[]>`
          select ${columns(tx)} from ${withLinks(tx)} where ${where(tx, tenantId, model)} and p.rev > ${revision}`;
        const relinked = await tx<{ document_id: string; project_ids: string[] }[]>`
          select l.document_id, l.project_ids from vector_document_links l
          where ${linksOf(tx, tenantId, model)} and l.rev > ${revision}`;
        return { deleted: deleted.map((r) => r.id), rows: [...rows], relinked: [...relinked] };
      },
    };
  }

  /** The cached path; undefined when the collection does not fit the cache (then: stream). */
  async function searchCached(
    tx: Tx,
    tenantId: string,
    model: EmbeddingModel,
    query: Float64Array,
    options: VectorSearchOptions,
    k: number,
  ): Promise<VectorHit[] | undefined> {
    if (!cache) return undefined;
    const key = cacheKey(tenantId, model);
    const [state] = await tx<{ revision: number | string; tombstones_from: number | string; born: string }[]>`
      select revision, tombstones_from, (extract(epoch from created_at) * 1000000)::bigint::text as born
      from vector_collections where tenant_id = ${tenantId} and model = ${model.id} and dimension = ${model.dimension}`;
    if (!state) {
      cache.forget(key);
      return [];
    }
    const current: CollectionState = { born: state.born, revision: Number(state.revision), tombstonesFrom: Number(state.tombstones_from) };
    const collection = await cache.fresh(key, model.dimension, current, source(tx, tenantId, model));
    if (!collection) return undefined;
    return collection
      .search(query, options, k)
      .slice(options.offset ?? 0, k)
      .map((h): VectorHit => ({ id: h.id, score: h.score, payload: collection.payload(tenantId, h.slot) }));
  }

  return {
    async ensureCollection(tenantId, model) {
      assertUuid('tenant id', tenantId);
      assertModel(model);
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        insert into vector_collections (tenant_id, model, dimension) values (${tenantId}, ${model.id}, ${model.dimension})
        on conflict do nothing`,
      );
    },

    async upsert(tenantId, model, points) {
      assertPoints(tenantId, model, points);
      if (points.length === 0) return;
      // last write wins inside one batch, as it would across batches
      const byId = new Map(points.map((p) => [p.id.toLowerCase(), p]));
      const rows = [...byId.values()].map((p) => {
        const payload = canonicalPayload(p.payload);
        return {
          id: p.id,
          document_id: payload.document_id,
          project_ids: payload.project_ids,
          chunk_index: payload.chunk_index,
          document_type: payload.document_type,
          created_at: payload.created_at,
          entity_names: payload.entity_names,
          vector: encode(normalize(p.vector)).toString('base64'),
        };
      });
      // a document's projects are the ones its last point names (the projectors write all its points alike)
      const links = lastByDocument(rows.map((r) => ({ documentId: r.document_id, projectIds: r.project_ids })));
      const missing = (): VectorIndexInputError =>
        new VectorIndexInputError(`no collection for model ${model.id} (${model.dimension}) in tenant ${tenantId}: ensure it first`);
      try {
        // one statement: the collection's revision moves on (its row locked until commit) and
        // the points and changed links carry the new value; no collection row, nothing written
        const [row] = await withStoreTenant(
          sql,
          tenantId,
          (tx) => tx<{ collections: number }[]>`
          with b as (${bumping(tx, tenantId, model)}),
          written as (
            insert into vector_points (tenant_id, model, dimension, id, document_id, project_ids, chunk_index,
                                       document_type, created_at, entity_names, vector, rev)
            select ${tenantId}, ${model.id}, ${model.dimension}, r.id, r.document_id, r.project_ids, r.chunk_index,
                   r.document_type, r.created_at, r.entity_names, decode(r.vector, 'base64'), b.revision
            from b cross join jsonb_to_recordset(${tx.json(rows)}) as r(id uuid, document_id uuid, project_ids uuid[], chunk_index integer,
                   document_type text, created_at timestamptz, entity_names text[], vector text)
            on conflict (tenant_id, model, dimension, id) do update set
              document_id = excluded.document_id, project_ids = excluded.project_ids, chunk_index = excluded.chunk_index,
              document_type = excluded.document_type, created_at = excluded.created_at,
              entity_names = excluded.entity_names, vector = excluded.vector, rev = excluded.rev),
          linked as (
            insert into vector_document_links as l (tenant_id, model, dimension, document_id, project_ids, rev)
            select ${tenantId}, ${model.id}, ${model.dimension}, d.document_id, d.project_ids, b.revision
            from b cross join jsonb_to_recordset(${tx.json(links)}) as d(document_id uuid, project_ids uuid[])
            on conflict (tenant_id, model, dimension, document_id) do update set project_ids = excluded.project_ids, rev = excluded.rev
            where l.project_ids is distinct from excluded.project_ids)
          select count(*)::int as collections from b`,
        );
        if (!row?.collections) throw missing();
      } catch (err) {
        if (err instanceof VectorIndexInputError) throw err;
        if ((err as { code?: string }).code === '23503') throw missing();
        throw new VectorIndexUnavailableError('vector upsert failed', { cause: err });
      }
    },

    async setDocumentProjects(tenantId, model, documentId, projectIds) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      projectIds.forEach((id) => assertUuid('project id', id));
      // one statement, as in upsert: no collection row, nothing to update; one row, however
      // many points the document has
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        with b as (${bumping(tx, tenantId, model)})
        update vector_document_links l set project_ids = ${projectIds}::uuid[], rev = b.revision
        from b where ${linksOf(tx, tenantId, model)} and l.document_id = ${documentId}`,
      );
    },

    async setProjectsOfDocuments(tenantId, model, documents) {
      assertUuid('tenant id', tenantId);
      const rows = lastByDocument(documents);
      if (rows.length === 0) return;
      // one bump and one statement for every document: the cache sees one revision; a document
      // whose projects stay as they are is not written again. The documents are named on their own
      // too, so the planner, which cannot count a recordset's rows, probes them by key.
      const ids = rows.map((r) => r.document_id);
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        with b as (${bumping(tx, tenantId, model)})
        update vector_document_links l set project_ids = v.project_ids, rev = b.revision
        from b, jsonb_to_recordset(${tx.json(rows)}) as v(document_id uuid, project_ids uuid[])
        where ${linksOf(tx, tenantId, model)} and l.document_id = any(${ids}::uuid[])
          and l.document_id = v.document_id and l.project_ids is distinct from v.project_ids`,
      );
    },

    async deleteDocument(tenantId, model, documentId) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      await withStoreTenant(sql, tenantId, async (tx) => {
        const rev = await bump(tx, tenantId, model);
        if (rev === undefined) return;
        // a tombstone per deleted point tells caches to drop it
        await tx`
          with gone as (delete from vector_points p where ${where(tx, tenantId, model, { documentId })} returning p.id),
          unlinked as (delete from vector_document_links l where ${linksOf(tx, tenantId, model)} and l.document_id = ${documentId})
          insert into vector_tombstones (tenant_id, model, dimension, id, rev)
          select ${tenantId}, ${model.id}, ${model.dimension}, id, ${rev} from gone
          on conflict (tenant_id, model, dimension, id) do update set rev = excluded.rev`;
        const horizon = rev - TOMBSTONE_REVISIONS;
        const pruned = await tx`delete from vector_tombstones p where ${where(tx, tenantId, model)} and p.rev <= ${horizon}`;
        if (pruned.count > 0) {
          await tx`update vector_collections set tombstones_from = greatest(tombstones_from, ${horizon})
            where tenant_id = ${tenantId} and model = ${model.id} and dimension = ${model.dimension}`;
        }
      });
    },

    async search(tenantId, model, vector, options) {
      assertUuid('tenant id', tenantId);
      assertModel(model);
      assertVector(model, vector);
      options.projectIds?.forEach((id) => assertUuid('project id', id));
      const offset = options.offset ?? 0;
      const k = offset + options.limit;
      if (options.limit <= 0 || options.projectIds?.length === 0) return [];
      const query = Float64Array.from(normalize(vector));
      const floor = options.minScore ?? -Infinity;
      return withStoreTenant(sql, tenantId, async (tx) => {
        const cached = await searchCached(tx, tenantId, model, query, options, k);
        if (cached) return cached;
        const top = createTopK(k);
        await tx<{ id: string; vector: Buffer }[]>`
          select p.id, p.vector from vector_points p where ${where(tx, tenantId, model, options)}`.cursor(batchSize, (rows) => {
          for (const r of rows) {
            const score = dot(query, r.vector);
            if (score >= floor) top.offer(r.id, score);
          }
        });
        const page = top.sorted().slice(offset, k);
        if (page.length === 0) return [];
        const rows = await tx<PointRow[]>`
          select ${columns(tx)} from ${withLinks(tx)} where ${where(tx, tenantId, model)} and p.id = any(${page.map((h) => h.id)}::uuid[])`;
        const byId = new Map(rows.map((r) => [r.id, r]));
        return page.flatMap((h): VectorHit[] => {
          const row = byId.get(h.id);
          return row ? [{ id: h.id, score: h.score, payload: toPayload(tenantId, row) }] : [];
        });
      });
    },

    async count(tenantId, model, filter = {}) {
      assertUuid('tenant id', tenantId);
      if (filter.projectIds?.length === 0) return 0;
      const [row] = await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx<{ n: number }[]>`
        select count(*)::int as n from vector_points p where ${where(tx, tenantId, model, filter)}`,
      );
      return row?.n ?? 0;
    },

    async countByDocument(tenantId, model, documentIds) {
      assertUuid('tenant id', tenantId);
      documentIds.forEach((id) => assertUuid('document id', id));
      if (documentIds.length === 0) return new Map();
      const rows = await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx<{ document_id: string; n: number }[]>`
        select p.document_id, count(*)::int as n from vector_points p
        where ${where(tx, tenantId, model)} and p.document_id = any(${documentIds.map((id) => id.toLowerCase())}::uuid[])
        group by p.document_id`,
      );
      return new Map(rows.map((r) => [r.document_id, r.n]));
    },

    async dropTenant(tenantId) {
      assertUuid('tenant id', tenantId);
      await withStoreTenant(sql, tenantId, async (tx) => {
        await tx`delete from vector_points where tenant_id = ${tenantId}`;
        await tx`delete from vector_document_links where tenant_id = ${tenantId}`;
        await tx`delete from vector_tombstones where tenant_id = ${tenantId}`;
        await tx`delete from vector_collections where tenant_id = ${tenantId}`;
      });
      cache?.forgetTenant(`${tenantId.toLowerCase()}\u0000`);
    },

    async snapshot(tenantId, model) {
      assertUuid('tenant id', tenantId);
      const rows = await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx<PointRow[]>`
        select ${columns(tx)} from ${withLinks(tx)} where ${where(tx, tenantId, model)} order by p.id`,
      );
      return rows.map((r): VectorPoint => ({ id: r.id, vector: decode(r.vector), payload: toPayload(tenantId, r) }));
    },
  };
}

function toPayload(tenantId: string, r: PointRow): ChunkPayload {
  return {
    tenant_id: tenantId.toLowerCase(),
    document_id: r.document_id,
    project_ids: r.project_ids,
    chunk_index: r.chunk_index,
    document_type: r.document_type,
    created_at: r.created_at.toISOString(),
    entity_names: r.entity_names,
  };
}

function encode(vector: number[]): Buffer {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf;
}

function decode(buf: Buffer): number[] {
  const out: number[] = new Array<number>(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The stored floats, as a view when the bytes allow one (the scoring loop's hot path), else a copy. */
function floats(buf: Buffer): Float32Array {
  if (LITTLE_ENDIAN && buf.byteOffset % 4 === 0) return new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  return Float32Array.from(decode(buf));
}

/** Both sides are unit length, so the dot product is the cosine similarity. */
function dot(query: Float64Array, stored: Buffer): number {
  const v = floats(stored);
  let s = 0;
  for (let i = 0; i < query.length; i++) s += (query[i] ?? 0) * (v[i] ?? 0);
  return s;
}
