import type postgres from 'postgres';
import { withStoreTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import { TextIndexUnavailableError, assertDocs, assertUuid, canonicalDoc, lastById } from './port.ts';
import type { TextDocument, TextHit, TextIndex, TextSearchOptions } from './port.ts';
import { parseQuery, termScore } from './query.ts';
import { MATCH_END, MATCH_START, snippetHtml } from './snippet.ts';

/**
 * The embedded full-text index on PostgreSQL (migration `1700000000040_text.sql`): a stored
 * `tsvector` (title A, entity names B, content C) under a GIN index. The query is parsed by
 * `parseQuery` (./query.ts) and each term made a tsquery by `phraseto_tsquery('simple', …)`, which
 * accepts any text without a syntax error. Ranked by the terms matched, then by `ts_rank_cd` over
 * any term, normalised to 0..1 (rank / (rank + 1)). Every call runs in `withStoreTenant` (forced
 * RLS; a projector's page's own transaction when called from one for that tenant) and every
 * statement filters by tenant itself as well.
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
      ${
        f.projectIds
          ? tx`and t.document_id in (select l.document_id from text_document_links l
                where l.tenant_id = ${tenantId} and l.project_ids && ${f.projectIds}::uuid[])`
          : tx``
      }
      ${f.documentId ? tx`and t.document_id = ${f.documentId}` : tx``}
      ${f.documentType !== undefined ? tx`and t.document_type = ${f.documentType}` : tx``}
      ${f.from !== undefined ? tx`and t.created_at >= ${f.from}::timestamptz` : tx``}
      ${f.to !== undefined ? tx`and t.created_at <= ${f.to}::timestamptz` : tx``}
      ${f.entity !== undefined ? tx`and t.entity_names @> ${[f.entity]}::text[]` : tx``}`;
  }

  /** Rows with their document's projects: read `columns(tx)` from this, filtered by `where`. */
  const withLinks = (tx: Tx) => tx`text_documents t left join text_document_links l
    on l.tenant_id = t.tenant_id and l.document_id = t.document_id`;
  const columns = (tx: Tx) =>
    tx`t.id, t.document_id, t.title, t.content, coalesce(l.project_ids, '{}') as project_ids, t.document_type, t.entity_names, t.created_at`;

  return {
    async ensureIndex(tenantId) {
      // the table is shared by all tenants and made by the migration: nothing to create
      assertUuid('tenant id', tenantId);
    },

    async upsert(tenantId, docs) {
      assertDocs(tenantId, docs);
      if (docs.length === 0) return;
      const rows = lastById(docs).map(canonicalDoc);
      // a document's projects are the ones its last row names (the projectors write all its rows alike)
      const links = new Map(rows.map((r) => [r.document_id, { document_id: r.document_id, project_ids: r.project_ids }]));
      try {
        await withStoreTenant(
          sql,
          tenantId,
          (tx) => tx`
          with linked as (
            insert into text_document_links as l (tenant_id, document_id, project_ids)
            select ${tenantId}, d.document_id, d.project_ids
            from jsonb_to_recordset(${tx.json([...links.values()])}) as d(document_id uuid, project_ids uuid[])
            on conflict (tenant_id, document_id) do update set project_ids = excluded.project_ids
            where l.project_ids is distinct from excluded.project_ids)
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
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        update text_document_links l set project_ids = ${projectIds}::uuid[]
        where l.tenant_id = ${tenantId} and l.document_id = ${documentId} and l.project_ids is distinct from ${projectIds}::uuid[]`,
      );
    },

    async setProjectsOfDocuments(tenantId, documents) {
      assertUuid('tenant id', tenantId);
      const rows = new Map<string, { document_id: string; project_ids: string[] }>();
      for (const d of documents) {
        assertUuid('document id', d.documentId);
        d.projectIds.forEach((id) => assertUuid('project id', id));
        rows.delete(d.documentId.toLowerCase());
        rows.set(d.documentId.toLowerCase(), {
          document_id: d.documentId.toLowerCase(),
          project_ids: d.projectIds.map((id) => id.toLowerCase()),
        });
      }
      if (rows.size === 0) return;
      // The documents named on their own too, so they are found by document in the index. Joined
      // to the recordset alone, they were not: the planner cannot count a recordset's rows, and on
      // a table it has no statistics for (never analysed) it took a tenant's rows to be few and
      // scanned them all, a cost growing with the tenant's corpus. One document is an equality.
      const ids = [...rows.keys()];
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        update text_document_links l set project_ids = v.project_ids
        from jsonb_to_recordset(${tx.json([...rows.values()])}) as v(document_id uuid, project_ids uuid[])
        where l.tenant_id = ${tenantId} and ${ids.length === 1 ? tx`l.document_id = ${ids[0] as string}` : tx`l.document_id = any(${ids}::uuid[])`}
          and l.document_id = v.document_id and l.project_ids is distinct from v.project_ids`,
      );
    },

    async deleteDocument(tenantId, documentId) {
      assertUuid('tenant id', tenantId);
      assertUuid('document id', documentId);
      await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx`
        with unlinked as (delete from text_document_links l where l.tenant_id = ${tenantId} and l.document_id = ${documentId})
        delete from text_documents t where ${where(tx, tenantId, { documentId })}`,
      );
    },

    async search(tenantId, query, options) {
      assertUuid('tenant id', tenantId);
      options.projectIds?.forEach((id) => assertUuid('project id', id));
      const { terms, excluded } = parseQuery(query);
      if (terms.length === 0 || options.limit <= 0 || options.projectIds?.length === 0) return [];
      const offset = options.offset ?? 0;
      const depth = offset + options.limit;
      const termTexts = [...terms, ...excluded].map((t) => t.text);
      const match = (tx: Tx, q: 'all_terms' | 'any_term', limit: number) =>
        tx`select m.id from q, mandant_text_match(q.${tx(q)}, ${options.projectIds ?? null}::uuid[], ${options.documentType ?? null}::text,
              ${options.from ?? null}::timestamptz, ${options.to ?? null}::timestamptz, ${options.entity ?? null}::text,
              ${limit}::integer, 0) m`;
      // Each term becomes a tsquery of its own (a phrase's words in sequence, `<->`); `all_terms`
      // wants all of them, `any_term` any of them, both none of the excluded ones. Ids come from
      // mandant_text_match (indexes usable, bound to this transaction's tenant): the hits with
      // every term as deep as the page, and, only when they do not fill it, those with any term
      // twice as deep (the first ones are among them; ranking every hit of a common word is what
      // costs); their rows are read under RLS, filtered by tenant once more, and ranked by the
      // terms they match, then by ts_rank_cd over any term.
      const rows = await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx<Array<Row & { matched: number; rank: number; snippet: string }>>`
        with term as (
          select phraseto_tsquery('simple', x.text) as q, x.n > ${terms.length}::integer as negated
          from unnest(${termTexts}::text[]) with ordinality as x(text, n)
        ), parts as (
          select array_agg(q) filter (where not negated) as terms,
                 string_agg('(' || q::text || ')', ' & ') filter (where not negated) as all_terms,
                 string_agg('(' || q::text || ')', ' | ') filter (where not negated) as any_term,
                 coalesce(string_agg(' & !(' || q::text || ')', '') filter (where negated), '') as nots
          from term where numnode(q) > 0
        ), q as (
          select terms, (all_terms || nots)::tsquery as all_terms, ('(' || any_term || ')' || nots)::tsquery as any_term from parts
        ), every_term as (
          ${match(tx, 'all_terms', depth)}
        ), pool as (
          select id from every_term
          ${terms.length > 1 ? tx`union ${match(tx, 'any_term', 2 * depth)} where (select count(*) from every_term) < ${depth}` : tx``}
        ), ranked as (
          select t.id, (select count(*)::int from unnest(q.terms) x where t.search @@ x) as matched,
                 ts_rank_cd(t.search, q.any_term, 32) as rank
          from pool join text_documents t on t.tenant_id = ${tenantId} and t.id = pool.id, q
          order by matched desc, rank desc, t.id
          limit ${options.limit} offset ${offset}
        )
        select t.id, t.document_id, t.title, coalesce(l.project_ids, '{}') as project_ids, t.document_type, t.entity_names, t.created_at,
               r.matched, r.rank, ts_headline('simple', t.content, q.any_term, ${HEADLINE}) as snippet
        from ranked r join ${withLinks(tx)} on t.tenant_id = ${tenantId} and t.id = r.id, q
        order by r.matched desc, r.rank desc, t.id`,
      );
      return rows.map((r): TextHit => ({
        id: r.id,
        document_id: r.document_id,
        title: r.title,
        project_ids: r.project_ids,
        document_type: r.document_type,
        entity_names: r.entity_names,
        created_at: r.created_at.toISOString(),
        score: termScore(r.matched, terms.length, r.rank),
        matched_terms: r.matched,
        snippet: snippetHtml(r.snippet),
      }));
    },

    async dropTenant(tenantId) {
      assertUuid('tenant id', tenantId);
      await withStoreTenant(sql, tenantId, async (tx) => {
        await tx`delete from text_documents t where ${where(tx, tenantId)}`;
        await tx`delete from text_document_links where tenant_id = ${tenantId}`;
      });
    },

    async snapshot(tenantId) {
      assertUuid('tenant id', tenantId);
      const rows = await withStoreTenant(
        sql,
        tenantId,
        (tx) => tx<Row[]>`
        select ${columns(tx)} from ${withLinks(tx)} where ${where(tx, tenantId)} order by t.id`,
      );
      return rows.map((r): TextDocument => ({ ...r, created_at: r.created_at.toISOString() }));
    },
  };
}
