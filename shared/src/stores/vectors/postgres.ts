import type postgres from 'postgres';
import { withTenant } from '../../db/connect.ts';
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

/**
 * The embedded vector index on plain PostgreSQL tables (migration `1700000000030_vectors.sql`),
 * under forced row-level security: every call runs in `withTenant`, and every statement also
 * filters by tenant, model and dimension itself.
 *
 * Known limit: without pgvector there is no approximate index, so search is exact. It streams
 * the candidates that pass the tenant/model/scope/payload filters (ids and vectors only, in
 * batches, through a cursor) and scores them here; cost grows linearly with the candidates, which
 * the project scope usually keeps small. Tenant-wide searches over very large tenants want Qdrant.
 */
export interface PostgresVectorIndexDeps {
  /** a pool connected as the runtime role (RLS applies) */
  sql: Sql;
  /** candidate rows fetched per round trip while scoring; default 2 000 */
  batchSize?: number;
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

export function createPostgresVectorIndex({ sql, batchSize = 2_000 }: PostgresVectorIndexDeps): VectorIndex {
  /** The one place every statement gets its tenant, model and scope conditions. */
  function where(tx: Tx, tenantId: string, model: EmbeddingModel, f: Partial<Filters> = {}): postgres.PendingQuery<postgres.Row[]> {
    return tx`tenant_id = ${tenantId} and model = ${model.id} and dimension = ${model.dimension}
      ${f.projectIds ? tx`and project_ids && ${f.projectIds}::uuid[]` : tx``}
      ${f.documentId ? tx`and document_id = ${f.documentId}` : tx``}
      ${f.documentType !== undefined ? tx`and document_type = ${f.documentType}` : tx``}
      ${f.from !== undefined ? tx`and created_at >= ${f.from}::timestamptz` : tx``}
      ${f.to !== undefined ? tx`and created_at <= ${f.to}::timestamptz` : tx``}
      ${f.entity !== undefined ? tx`and entity_names @> ${[f.entity]}::text[]` : tx``}`;
  }

  return {
    async ensureCollection(tenantId, model) {
      assertUuid('tenant id', tenantId);
      assertModel(model);
      await withTenant(sql, tenantId, (tx) => tx`
        insert into vector_collections (tenant_id, model, dimension) values (${tenantId}, ${model.id}, ${model.dimension})
        on conflict do nothing`);
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
      try {
        await withTenant(sql, tenantId, (tx) => tx`
          insert into vector_points (tenant_id, model, dimension, id, document_id, project_ids, chunk_index,
                                     document_type, created_at, entity_names, vector)
          select ${tenantId}, ${model.id}, ${model.dimension}, r.id, r.document_id, r.project_ids, r.chunk_index,
                 r.document_type, r.created_at, r.entity_names, decode(r.vector, 'base64')
          from jsonb_to_recordset(${tx.json(rows)}) as r(id uuid, document_id uuid, project_ids uuid[], chunk_index integer,
                 document_type text, created_at timestamptz, entity_names text[], vector text)
          on conflict (tenant_id, model, dimension, id) do update set
            document_id = excluded.document_id, project_ids = excluded.project_ids, chunk_index = excluded.chunk_index,
            document_type = excluded.document_type, created_at = excluded.created_at,
            entity_names = excluded.entity_names, vector = excluded.vector`);
      } catch (err) {
        if ((err as { code?: string }).code === '23503') {
          throw new VectorIndexInputError(`no collection for model ${model.id} (${model.dimension}) in tenant ${tenantId}: ensure it first`);
        }
        throw new VectorIndexUnavailableError('vector upsert failed', { cause: err });
      }
    },

    async setDocumentProjects(tenantId, model, documentId, projectIds) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      projectIds.forEach((id) => assertUuid('project id', id));
      await withTenant(sql, tenantId, (tx) => tx`
        update vector_points set project_ids = ${projectIds}::uuid[] where ${where(tx, tenantId, model, { documentId })}`);
    },

    async deleteDocument(tenantId, model, documentId) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      await withTenant(sql, tenantId, (tx) => tx`delete from vector_points where ${where(tx, tenantId, model, { documentId })}`);
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
      return withTenant(sql, tenantId, async (tx) => {
        const top = createTopK(k);
        await tx<{ id: string; vector: Buffer }[]>`
          select id, vector from vector_points where ${where(tx, tenantId, model, options)}`
          .cursor(batchSize, (rows) => {
            for (const r of rows) top.offer(r.id, dot(query, r.vector));
          });
        const page = top.sorted().slice(offset, k);
        if (page.length === 0) return [];
        const rows = await tx<PointRow[]>`
          select * from vector_points where ${where(tx, tenantId, model)} and id = any(${page.map((h) => h.id)}::uuid[])`;
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
      const [row] = await withTenant(sql, tenantId, (tx) => tx<{ n: number }[]>`
        select count(*)::int as n from vector_points where ${where(tx, tenantId, model, filter)}`);
      return row?.n ?? 0;
    },

    async dropTenant(tenantId) {
      assertUuid('tenant id', tenantId);
      await withTenant(sql, tenantId, async (tx) => {
        await tx`delete from vector_points where tenant_id = ${tenantId}`;
        await tx`delete from vector_collections where tenant_id = ${tenantId}`;
      });
    },

    async snapshot(tenantId, model) {
      assertUuid('tenant id', tenantId);
      const rows = await withTenant(sql, tenantId, (tx) => tx<PointRow[]>`
        select * from vector_points where ${where(tx, tenantId, model)} order by id`);
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
