import type postgres from 'postgres';
import { withTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import { TextIndexUnavailableError, assertDocs, assertUuid, canonicalDoc, lastById } from './port.ts';
import type { TextDocument, TextHit, TextIndex, TextSearchOptions } from './port.ts';
import { MATCH_END, MATCH_START, snippetHtml, withoutSentinels } from './snippet.ts';

/**
 * The embedded full-text index on PostgreSQL (migration `1700000000040_text.sql`): a stored
 * `tsvector` (title A, entity names B, content C) under a GIN index, queried with
 * `websearch_to_tsquery('simple', …)`, which accepts any user text (quotes, `or`, `-`) without a
 * syntax error. Ranked by `ts_rank_cd` normalised to 0..1 (rank / (rank + 1)). Every call runs in
 * `withTenant` (forced RLS) and every statement filters by tenant itself as well.
 *
 * Known limits: the 'simple' configuration does no stemming ("leak" does not find "leaks") and
 * no typo tolerance, unlike Meilisearch.
 */
export interface PostgresTextIndexDeps {
  /** a pool connected as the runtime role (RLS applies) */
  sql: Sql;
}

const HEADLINE = `StartSel="${MATCH_START}", StopSel="${MATCH_END}", MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "`;

interface Row {
  id: string;
  document_id: string;
  title: string;
  content: string;
  project_ids: string[];
  document_type: string;
  entity_names: string[];
  created_at: Date;
}

export function createPostgresTextIndex({ sql }: PostgresTextIndexDeps): TextIndex {
  /** The one place every statement gets its tenant and scope conditions. */
  function where(
    tx: Tx,
    tenantId: string,
    f: Partial<TextSearchOptions> & { documentId?: string } = {},
  ): postgres.PendingQuery<postgres.Row[]> {
    return tx`t.tenant_id = ${tenantId}
      ${f.projectIds ? tx`and t.project_ids && ${f.projectIds}::uuid[]` : tx``}
      ${f.documentId ? tx`and t.document_id = ${f.documentId}` : tx``}
      ${f.documentType !== undefined ? tx`and t.document_type = ${f.documentType}` : tx``}
      ${f.from !== undefined ? tx`and t.created_at >= ${f.from}::timestamptz` : tx``}
      ${f.to !== undefined ? tx`and t.created_at <= ${f.to}::timestamptz` : tx``}
      ${f.entity !== undefined ? tx`and t.entity_names @> ${[f.entity]}::text[]` : tx``}`;
  }

  return {
    async ensureIndex(tenantId) {
      // the table is shared by all tenants and made by the migration: nothing to create
      assertUuid('tenant id', tenantId);
    },

    async upsert(tenantId, docs) {
      assertDocs(tenantId, docs);
      if (docs.length === 0) return;
      const rows = lastById(docs).map(canonicalDoc);
      try {
        await withTenant(
          sql,
          tenantId,
          (tx) => tx`
          insert into text_documents (tenant_id, id, document_id, title, content, project_ids, document_type, entity_names, created_at)
          select ${tenantId}, r.id, r.document_id, r.title, r.content, r.project_ids, r.document_type, r.entity_names, r.created_at
          from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(id uuid, document_id uuid, title text,
                 content text, project_ids uuid[], document_type text, entity_names text[], created_at timestamptz)
          on conflict (tenant_id, id) do update set
            document_id = excluded.document_id, title = excluded.title, content = excluded.content,
            project_ids = excluded.project_ids, document_type = excluded.document_type,
            entity_names = excluded.entity_names, created_at = excluded.created_at`,
        );
      } catch (err) {
        throw new TextIndexUnavailableError('text upsert failed', { cause: err });
      }
    },

    async setDocumentProjects(tenantId, documentId, projectIds) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      projectIds.forEach((id) => assertUuid('project id', id));
      await withTenant(
        sql,
        tenantId,
        (tx) => tx`
        update text_documents t set project_ids = ${projectIds}::uuid[] where ${where(tx, tenantId, { documentId })}`,
      );
    },

    async deleteDocument(tenantId, documentId) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      await withTenant(sql, tenantId, (tx) => tx`delete from text_documents t where ${where(tx, tenantId, { documentId })}`);
    },

    async search(tenantId, query, options) {
      assertUuid('tenant id', tenantId);
      options.projectIds?.forEach((id) => assertUuid('project id', id));
      const text = withoutSentinels(query).trim();
      if (text === '' || options.limit <= 0 || options.projectIds?.length === 0) return [];
      // ids and ranks come from mandant_text_match (indexes usable; bound to this transaction's
      // tenant); the rows themselves are read under RLS, and filtered by tenant once more here
      const rows = await withTenant(
        sql,
        tenantId,
        (tx) => tx<Array<Row & { score: number; snippet: string }>>`
        select t.id, t.document_id, t.title, t.project_ids, t.document_type, t.entity_names, t.created_at, m.score,
               ts_headline('simple', t.content, q, ${HEADLINE}) as snippet
        from websearch_to_tsquery('simple', ${text}) q,
             mandant_text_match(q, ${options.projectIds ?? null}::uuid[], ${options.documentType ?? null}::text,
                                ${options.from ?? null}::timestamptz, ${options.to ?? null}::timestamptz, ${options.entity ?? null}::text,
                                ${options.limit}::integer, ${options.offset ?? 0}::integer) m
        join text_documents t on t.tenant_id = ${tenantId} and t.id = m.id
        order by m.score desc, t.id`,
      );
      return rows.map((r): TextHit => ({
        id: r.id,
        document_id: r.document_id,
        title: r.title,
        project_ids: r.project_ids,
        document_type: r.document_type,
        entity_names: r.entity_names,
        created_at: r.created_at.toISOString(),
        score: r.score,
        snippet: snippetHtml(r.snippet),
      }));
    },

    async dropTenant(tenantId) {
      assertUuid('tenant id', tenantId);
      await withTenant(sql, tenantId, (tx) => tx`delete from text_documents t where ${where(tx, tenantId)}`);
    },

    async snapshot(tenantId) {
      assertUuid('tenant id', tenantId);
      const rows = await withTenant(
        sql,
        tenantId,
        (tx) => tx<Row[]>`
        select id, document_id, title, content, project_ids, document_type, entity_names, created_at
        from text_documents t where ${where(tx, tenantId)} order by id`,
      );
      return rows.map((r): TextDocument => ({ ...r, created_at: r.created_at.toISOString() }));
    },
  };
}
