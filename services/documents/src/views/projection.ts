import {
  DocumentEmbedded,
  DocumentFailed,
  DocumentLinked,
  DocumentProcessed,
  DocumentUnlinked,
  DocumentUploaded,
  type EventEnvelope,
  ProcessedSecret,
  UploadedSecret,
} from '@mandant/contracts';
import { type Tx, pipeline } from '@mandant/shared/db';
import type { Projection } from '@mandant/shared/projection';
import { purgingOffboarded } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { openJson } from '@mandant/shared/stores/crypto';

/** A sealed field that no longer opens (the tenant's key was destroyed) reads as erased: null. */
async function opened<T>(
  keyring: Keyring,
  e: EventEnvelope,
  documentId: string,
  sealed: string,
  parse: (v: unknown) => T,
): Promise<T | null> {
  try {
    return parse(await openJson(keyring, e.tenant_id, documentId, sealed));
  } catch (err) {
    if ((err as Error).name === 'DataKeyDestroyedError') return null;
    throw err;
  }
}

const documentIdOf = (stream: string): string => stream.replace(/^document-/, '');

/**
 * documents_view, document_links_view and document_embeddings_view: what the document API
 * lists and what access checks read. Titles are opened from the sealed payloads here; the
 * view is a read model, purged with the document.
 */
/** The document views' projection name and version (its checkpoints' key). */
export const DOCUMENT_VIEWS = { name: 'document-views', version: 1 } as const;

export function documentViews(keyring: Keyring): Projection {
  const views = documentRows(keyring);
  // an offboarded tenant loses its documents, and its content-hash claims (written by the
  // handlers, so no rebuild's reset touches them)
  return purgingOffboarded(views, async (tx, tenantId) => {
    await views.reset(tx, tenantId);
    await tx`delete from document_hashes where tenant_id = ${tenantId}`;
  });
}

function documentRows(keyring: Keyring): Projection {
  return {
    ...DOCUMENT_VIEWS,
    handles: (type) => type.startsWith('document.'),
    async apply(tx: Tx, e: EventEnvelope) {
      const t = e.tenant_id;
      const d = documentIdOf(e.stream);
      const touch = () =>
        tx`update documents_view set updated_at = greatest(updated_at, ${e.occurred_at}::timestamptz) where tenant_id = ${t} and document_id = ${d}`;
      switch (e.type) {
        case 'document.uploaded.v1': {
          const data = DocumentUploaded.shape.data.parse(e.data);
          const secret = await opened(keyring, e, d, data.sealed, (v) => UploadedSecret.parse(v));
          await tx`insert into documents_view (tenant_id, document_id, status, title, kind, content_type, size, content_sha256, uploaded_by, created_at, updated_at)
                   values (${t}, ${d}, 'pending', ${secret?.title ?? secret?.filename ?? null}, ${data.kind}, ${data.content_type}, ${data.size},
                           ${data.content_sha256}, ${e.actor}, ${e.occurred_at}, ${e.occurred_at})
                   on conflict (tenant_id, document_id) do nothing`;
          return;
        }
        case 'document.processing.v1':
          await pipeline(
            tx`update documents_view set status = 'processing', failure = null where tenant_id = ${t} and document_id = ${d}`,
            touch(),
          );
          return;
        case 'document.processed.v1': {
          const data = DocumentProcessed.shape.data.parse(e.data);
          const secret = await opened(keyring, e, d, data.sealed, (v) => ProcessedSecret.parse(v));
          await pipeline(
            tx`update documents_view set status = 'processed', failure = null, title = coalesce(${secret?.title ?? null}, title),
                   chunk_count = ${data.chunk_count}, entity_count = ${data.entity_count}, pages = ${data.pages}
                   where tenant_id = ${t} and document_id = ${d}`,
            touch(),
          );
          return;
        }
        case 'document.embedded.v1': {
          const data = DocumentEmbedded.shape.data.parse(e.data);
          // embedded_at: when the scope's last document got this model, which model a scope searches follows from it
          await tx`insert into document_embeddings_view (tenant_id, document_id, model, dimension, vectors_sha256, embedded_at)
                   values (${t}, ${d}, ${data.model}, ${data.dimension}, ${data.vectors_sha256}, ${e.occurred_at})
                   on conflict (tenant_id, document_id, model) do update set dimension = excluded.dimension,
                     vectors_sha256 = excluded.vectors_sha256, embedded_at = excluded.embedded_at`;
          return;
        }
        case 'document.failed.v1': {
          const data = DocumentFailed.shape.data.parse(e.data);
          await pipeline(
            tx`update documents_view set status = 'failed', failure = ${tx.json({ code: data.code, message: data.message })}
                   where tenant_id = ${t} and document_id = ${d}`,
            touch(),
          );
          return;
        }
        case 'document.linked.v1':
        case 'document.unlinked.v1': {
          const data = (e.type === 'document.linked.v1' ? DocumentLinked : DocumentUnlinked).shape.data.parse(e.data);
          // the whole set after the event: set, never add, so a replay converges
          await pipeline(
            tx`delete from document_links_view where tenant_id = ${t} and document_id = ${d} and project_id <> all(${data.project_ids}::uuid[])`,
            e.type === 'document.linked.v1'
              ? tx`insert into document_links_view (tenant_id, document_id, project_id, linked_at)
                   values (${t}, ${d}, ${data.project_id}, ${e.occurred_at}) on conflict do nothing`
              : null,
            touch(),
          );
          return;
        }
        case 'document.deleted.v1':
          await pipeline(
            tx`delete from document_links_view where tenant_id = ${t} and document_id = ${d}`,
            tx`delete from document_embeddings_view where tenant_id = ${t} and document_id = ${d}`,
            tx`delete from documents_view where tenant_id = ${t} and document_id = ${d}`,
          );
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
