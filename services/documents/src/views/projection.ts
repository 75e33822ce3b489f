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
import { type Projection, RowFold } from '@mandant/shared/projection';
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

/**
 * A page's link events of one document, folded: the rows that existed before the page stay only
 * where every link set the page gave (the whole set after each event) holds their project
 * (`keep`; null: no link event), and `rows` are the rows the page inserted that are still there,
 * by lower-case project id, with the time of the event that inserted them. Written as one delete
 * of the rows outside `keep`, then an insert of `rows` where absent: a row that was there all
 * along keeps its own `linked_at`, as `on conflict do nothing` one event at a time would.
 */
interface DocumentLinks {
  documentId: string;
  keep: Set<string> | null;
  rows: Map<string, { project_id: string; linked_at: string }>;
}

/**
 * `apply` writes one event's change; `applyBatch` folds a page's events per row (documents with
 * `RowFold`, links and embeddings per document) and writes each table in one or two set-based
 * statements, all sent together: the same rows in the end.
 */
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
    async applyBatch(tx: Tx, events: EventEnvelope[]) {
      const t = events[0]?.tenant_id;
      if (t === undefined) return;
      const documents = new RowFold<string>((d) => d.toLowerCase());
      const links = new Map<string, DocumentLinks>();
      const linksOf = (d: string): DocumentLinks => {
        const entry = links.get(d.toLowerCase()) ?? { documentId: d, keep: null, rows: new Map() };
        links.set(d.toLowerCase(), entry);
        return entry;
      };
      /** per document: whether the page deleted its embeddings, and the last embedding per model after that */
      const embeddings = new Map<string, { documentId: string; deleted: boolean; rows: Map<string, Record<string, unknown>> }>();
      const embeddingsOf = (d: string) => {
        const entry = embeddings.get(d.toLowerCase()) ?? { documentId: d, deleted: false, rows: new Map() };
        embeddings.set(d.toLowerCase(), entry);
        return entry;
      };
      for (const e of events) {
        const d = documentIdOf(e.stream);
        const touch = { greatest: { updated_at: e.occurred_at } };
        switch (e.type) {
          case 'document.uploaded.v1': {
            const data = DocumentUploaded.shape.data.parse(e.data);
            const secret = await opened(keyring, e, d, data.sealed, (v) => UploadedSecret.parse(v));
            documents.insertIfAbsent(d, {
              document_id: d,
              status: 'pending',
              title: secret?.title ?? secret?.filename ?? null,
              kind: data.kind,
              content_type: data.content_type,
              size: data.size,
              content_sha256: data.content_sha256,
              chunk_count: 0,
              entity_count: 0,
              pages: null,
              failure: null,
              uploaded_by: e.actor,
              created_at: e.occurred_at,
              updated_at: e.occurred_at,
            });
            break;
          }
          case 'document.processing.v1':
            documents.change(d, { set: { status: 'processing', failure: null }, ...touch });
            break;
          case 'document.processed.v1': {
            const data = DocumentProcessed.shape.data.parse(e.data);
            const secret = await opened(keyring, e, d, data.sealed, (v) => ProcessedSecret.parse(v));
            const title = secret?.title ?? null;
            documents.change(d, {
              set: {
                status: 'processed',
                failure: null,
                ...(title === null ? {} : { title }),
                chunk_count: data.chunk_count,
                entity_count: data.entity_count,
                pages: data.pages,
              },
              ...touch,
            });
            break;
          }
          case 'document.embedded.v1': {
            const data = DocumentEmbedded.shape.data.parse(e.data);
            embeddingsOf(d).rows.set(data.model, {
              document_id: d,
              model: data.model,
              dimension: data.dimension,
              vectors_sha256: data.vectors_sha256,
              embedded_at: e.occurred_at,
            });
            break;
          }
          case 'document.failed.v1': {
            const data = DocumentFailed.shape.data.parse(e.data);
            documents.change(d, { set: { status: 'failed', failure: { code: data.code, message: data.message } }, ...touch });
            break;
          }
          case 'document.linked.v1':
          case 'document.unlinked.v1': {
            const data = (e.type === 'document.linked.v1' ? DocumentLinked : DocumentUnlinked).shape.data.parse(e.data);
            const entry = linksOf(d);
            const set = new Set(data.project_ids.map((p) => p.toLowerCase()));
            entry.keep = entry.keep ? new Set([...entry.keep].filter((p) => set.has(p))) : set;
            for (const p of entry.rows.keys()) if (!set.has(p)) entry.rows.delete(p);
            const linked = data.project_id.toLowerCase();
            if (e.type === 'document.linked.v1' && !entry.rows.has(linked))
              entry.rows.set(linked, { project_id: data.project_id, linked_at: e.occurred_at });
            documents.change(d, touch);
            break;
          }
          case 'document.deleted.v1': {
            const entry = linksOf(d);
            entry.keep = new Set();
            entry.rows.clear();
            embeddingsOf(d).deleted = true;
            embeddingsOf(d).rows.clear();
            documents.remove(d);
            break;
          }
        }
      }
      const rows = documents.writes();
      const json = (value: unknown[]) => tx.json(value as never);
      const unlinking = [...links.values()].filter((l) => l.keep !== null);
      const linked = [...links.values()].flatMap((l) => [...l.rows.values()].map((r) => ({ document_id: l.documentId, ...r })));
      const cleared = [...embeddings.values()].filter((x) => x.deleted).map((x) => x.documentId);
      const embedded = [...embeddings.values()].flatMap((x) => [...x.rows.values()]);
      // in this order: each table's deletes, then its updates, then its inserts (see RowFold). A
      // recordset joined to a table comes with its keys as an array too: an index condition the
      // planner sizes right (it takes a JSON recordset for a hundred rows, and for that many would
      // rather walk all of the tenant's rows of the table)
      await pipeline(
        unlinking.length > 0
          ? tx`delete from document_links_view l
               using jsonb_to_recordset(${json(unlinking.map((x) => ({ document_id: x.documentId, keep: [...(x.keep ?? [])] })))}) as v(document_id uuid, keep uuid[])
               where l.tenant_id = ${t} and l.document_id = any(${unlinking.map((x) => x.documentId)}::uuid[])
                 and l.document_id = v.document_id and l.project_id <> all(v.keep)`
          : null,
        linked.length > 0
          ? tx`insert into document_links_view (tenant_id, document_id, project_id, linked_at)
               select ${t}, r.document_id, r.project_id, r.linked_at
               from jsonb_to_recordset(${json(linked)}) as r(document_id uuid, project_id uuid, linked_at timestamptz)
               on conflict do nothing`
          : null,
        cleared.length > 0
          ? tx`delete from document_embeddings_view where tenant_id = ${t} and document_id = any(${cleared}::uuid[])`
          : null,
        embedded.length > 0
          ? tx`insert into document_embeddings_view (tenant_id, document_id, model, dimension, vectors_sha256, embedded_at)
               select ${t}, r.document_id, r.model, r.dimension, r.vectors_sha256, r.embedded_at
               from jsonb_to_recordset(${json(embedded)}) as r(document_id uuid, model text, dimension integer, vectors_sha256 text, embedded_at timestamptz)
               on conflict (tenant_id, document_id, model) do update set dimension = excluded.dimension,
                 vectors_sha256 = excluded.vectors_sha256, embedded_at = excluded.embedded_at`
          : null,
        rows.removed.length > 0
          ? tx`delete from documents_view where tenant_id = ${t} and document_id = any(${rows.removed}::uuid[])`
          : null,
        rows.changed.length > 0
          ? tx`update documents_view x set
                 status = case when v.s ? 'status' then v.s->>'status' else x.status end,
                 failure = case when v.s ? 'failure' then nullif(v.s->'failure', 'null'::jsonb) else x.failure end,
                 title = case when v.s ? 'title' then v.s->>'title' else x.title end,
                 chunk_count = case when v.s ? 'chunk_count' then (v.s->>'chunk_count')::integer else x.chunk_count end,
                 entity_count = case when v.s ? 'entity_count' then (v.s->>'entity_count')::integer else x.entity_count end,
                 pages = case when v.s ? 'pages' then (v.s->>'pages')::integer else x.pages end,
                 updated_at = greatest(x.updated_at, (v.g->>'updated_at')::timestamptz)
               from jsonb_to_recordset(${json(rows.changed.map((c) => ({ document_id: c.key, s: c.change.set, g: c.change.greatest })))})
                 as v(document_id uuid, s jsonb, g jsonb)
               where x.tenant_id = ${t} and x.document_id = any(${rows.changed.map((c) => c.key)}::uuid[]) and x.document_id = v.document_id`
          : null,
        rows.added.length > 0
          ? tx`insert into documents_view (tenant_id, document_id, status, title, kind, content_type, size, content_sha256, chunk_count,
                 entity_count, pages, failure, uploaded_by, created_at, updated_at)
               select ${t}, r.document_id, r.status, r.title, r.kind, r.content_type, r.size, r.content_sha256, r.chunk_count,
                 r.entity_count, r.pages, r.failure, r.uploaded_by, r.created_at, r.updated_at
               from jsonb_to_recordset(${json(rows.added)}) as r(document_id uuid, status text, title text, kind text, content_type text,
                 size bigint, content_sha256 text, chunk_count integer, entity_count integer, pages integer, failure jsonb,
                 uploaded_by text, created_at timestamptz, updated_at timestamptz)
               on conflict do nothing`
          : null,
      );
    },
    async reset(tx, tenantId) {
      await tx`delete from document_links_view where tenant_id = ${tenantId}`;
      await tx`delete from document_embeddings_view where tenant_id = ${tenantId}`;
      await tx`delete from documents_view where tenant_id = ${tenantId}`;
    },
  };
}
