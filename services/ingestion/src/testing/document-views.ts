import { DocumentEmbedded, DocumentLinked, DocumentUnlinked, DocumentUploaded, type EventEnvelope } from '@mandant/contracts';
import type { Tx } from '@mandant/shared/db/connect.ts';
import type { Projection } from '@mandant/shared/projection/projector.ts';

/**
 * Test-only stand-in for the documents service's view projection: just the columns the
 * ingestion worker reads (status and updated_at, links, embeddings), no titles. Only the
 * given tenants are projected, so suites running in parallel on one database never write
 * each other's rows. Replace with the documents service's projection once it is committed.
 */
export function documentViewsForTests(name: string, tenants: ReadonlySet<string>): Projection {
  return {
    name,
    version: 1,
    handles: (type) => type.startsWith('document.'),
    async apply(tx: Tx, e: EventEnvelope) {
      const t = e.tenant_id;
      if (!tenants.has(t)) return;
      const d = e.stream.replace(/^document-/, '');
      const status = async (s: string) =>
        tx`update documents_view set status = ${s}, updated_at = ${e.occurred_at} where tenant_id = ${t} and document_id = ${d}`;
      switch (e.type) {
        case 'document.uploaded.v1': {
          const data = DocumentUploaded.shape.data.parse(e.data);
          await tx`insert into documents_view (tenant_id, document_id, status, kind, content_type, size, content_sha256, uploaded_by, created_at, updated_at)
                   values (${t}, ${d}, 'pending', ${data.kind}, ${data.content_type}, ${data.size}, ${data.content_sha256}, ${e.actor}, ${e.occurred_at}, ${e.occurred_at})
                   on conflict do nothing`;
          return;
        }
        case 'document.processing.v1':
          return void (await status('processing'));
        case 'document.processed.v1':
          return void (await status('processed'));
        case 'document.failed.v1':
          return void (await status('failed'));
        case 'document.embedded.v1': {
          const data = DocumentEmbedded.shape.data.parse(e.data);
          await tx`insert into document_embeddings_view (tenant_id, document_id, model, dimension, vectors_sha256)
                   values (${t}, ${d}, ${data.model}, ${data.dimension}, ${data.vectors_sha256})
                   on conflict (tenant_id, document_id, model) do update set dimension = excluded.dimension, vectors_sha256 = excluded.vectors_sha256`;
          return;
        }
        case 'document.linked.v1':
        case 'document.unlinked.v1': {
          const data = (e.type === 'document.linked.v1' ? DocumentLinked : DocumentUnlinked).shape.data.parse(e.data);
          await tx`delete from document_links_view where tenant_id = ${t} and document_id = ${d}`;
          for (const p of data.project_ids) {
            await tx`insert into document_links_view (tenant_id, document_id, project_id, linked_at) values (${t}, ${d}, ${p}, ${e.occurred_at})`;
          }
          return;
        }
        case 'document.deleted.v1':
          await tx`delete from document_links_view where tenant_id = ${t} and document_id = ${d}`;
          await tx`delete from document_embeddings_view where tenant_id = ${t} and document_id = ${d}`;
          await tx`delete from documents_view where tenant_id = ${t} and document_id = ${d}`;
          return;
      }
    },
    async reset(tx, tenantId) {
      await tx`delete from document_links_view where tenant_id = ${tenantId}`;
      await tx`delete from document_embeddings_view where tenant_id = ${tenantId}`;
      await tx`delete from documents_view where tenant_id = ${tenantId}`;
    },
  };
}
