import type { Tx } from '@mandant/shared/db';

/** How many of a scope's processed documents have their vectors in one embedding model. */
export interface ModelCoverage {
  model: string;
  /** processed documents of the scope with an embedding in this model */
  documents: number;
  /** when the last of them was embedded in it (null: recorded before the views kept the time) */
  lastEmbeddedAt: Date | null;
}

/** A scope's processed documents and, per model, how many of them are embedded in it. */
export interface EmbeddingCoverage {
  /** processed documents in the scope (failed, pending and deleted ones do not count) */
  documents: number;
  /** every model at least one of them is embedded in, by model name */
  models: ModelCoverage[];
}

/**
 * The embedding coverage of a scope, from the document views: a project's linked documents
 * (`projectId`), or every document of the tenant (`null`, the global index). `except` leaves one
 * document out: the one being embedded, whose own missing models say nothing about the scope.
 * Which model a scope searches follows from this (project's `servingModel`); the views follow the
 * log, so a just-recorded embedding may not count yet. Run inside `withTenant` for `tenantId`.
 */
export async function embeddingCoverage(
  tx: Tx,
  tenantId: string,
  projectId: string | null,
  opts: { except?: string } = {},
): Promise<EmbeddingCoverage> {
  const inProject = projectId
    ? tx`and exists (select 1 from document_links_view l
                     where l.tenant_id = d.tenant_id and l.document_id = d.document_id and l.project_id = ${projectId.toLowerCase()})`
    : tx``;
  const except = opts.except ? tx`and d.document_id <> ${opts.except.toLowerCase()}` : tx``;
  const [totals] = await tx<{ n: number }[]>`
    select count(*)::int as n from documents_view d
    where d.tenant_id = ${tenantId} and d.status = 'processed' ${inProject} ${except}`;
  const rows = await tx<{ model: string; n: number; last: Date | null }[]>`
    select e.model, count(*)::int as n, max(e.embedded_at) as last
    from documents_view d join document_embeddings_view e on e.tenant_id = d.tenant_id and e.document_id = d.document_id
    where d.tenant_id = ${tenantId} and d.status = 'processed' ${inProject} ${except}
    group by e.model order by e.model`;
  return {
    documents: totals?.n ?? 0,
    models: rows.map((r) => ({ model: r.model, documents: r.n, lastEmbeddedAt: r.last })),
  };
}
