import { z } from 'zod';
import { Id } from '../common.ts';

/**
 * Document events (stream `document-{id}`). What identifies content (titles, file names,
 * source URLs, entity names) travels only inside `sealed`: base64 of the tenant data key's
 * AES-256-GCM seal of a JSON object, opened with the associated data `event/{document_id}`.
 * Destroying the tenant's key therefore erases it from the log without rewriting history.
 * Everything else is bookkeeping the read side and auditors may see in clear.
 *
 * Link events carry the document's whole project set after the change (`project_ids`), so a
 * projector sets rather than adds: applying one twice, or replaying from any point, converges.
 */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
export const Sealed = z.string().min(1).max(1_000_000);
export const DocumentKind = z.enum(['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'unsupported']);

/** What `sealed` holds on `document.uploaded.v1`. */
export const UploadedSecret = z.object({
  title: z.string().nullable(),
  filename: z.string().nullable(),
  source_url: z.string().nullable(),
});
export type UploadedSecret = z.infer<typeof UploadedSecret>;

export const DocumentUploaded = z.object({
  type: z.literal('document.uploaded.v1'),
  data: z.object({
    kind: DocumentKind,
    content_type: z.string(),
    ext: z.string(),
    size: z.number().int().nonnegative(),
    content_sha256: Sha256,
    /** `raw/{document_id}/original.{ext}` in the tenant's bucket */
    blob_key: z.string(),
    sealed: Sealed,
  }),
});

export const DocumentProcessingStarted = z.object({
  type: z.literal('document.processing.v1'),
  data: z.object({ attempt: z.number().int().positive() }),
});

/** What `sealed` holds on `document.processed.v1`. */
export const ProcessedSecret = z.object({ title: z.string() });
export type ProcessedSecret = z.infer<typeof ProcessedSecret>;

export const DocumentProcessed = z.object({
  type: z.literal('document.processed.v1'),
  data: z.object({
    pages: z.number().int().nonnegative().nullable(),
    chunk_count: z.number().int().nonnegative(),
    entity_count: z.number().int().nonnegative(),
    /** extracted text, `processed/{document_id}/text.txt` */
    text_key: z.string(),
    /** content-addressed analysis artefact (chunks, mentions, relations), see `DocumentAnalysis` */
    analysis_key: z.string(),
    analysis_sha256: Sha256,
    sealed: Sealed,
  }),
});

/** The document's chunks embedded with one model; one event per (document, model). */
export const DocumentEmbedded = z.object({
  type: z.literal('document.embedded.v1'),
  data: z.object({
    model: z.string().min(1).max(200),
    dimension: z.number().int().positive(),
    /** content-addressed vectors artefact, see `DocumentVectors` */
    vectors_key: z.string(),
    vectors_sha256: Sha256,
    chunk_count: z.number().int().nonnegative(),
  }),
});

export const DocumentFailed = z.object({
  type: z.literal('document.failed.v1'),
  data: z.object({ code: z.string(), message: z.string(), attempt: z.number().int().positive() }),
});

export const DocumentLinked = z.object({
  type: z.literal('document.linked.v1'),
  data: z.object({ project_id: Id, project_ids: z.array(Id) }),
});
export const DocumentUnlinked = z.object({
  type: z.literal('document.unlinked.v1'),
  data: z.object({ project_id: Id, project_ids: z.array(Id), reason: z.enum(['unlinked', 'project_deleted']) }),
});
/** Removed from every store and project; the stream stays for the audit trail. */
export const DocumentDeleted = z.object({
  type: z.literal('document.deleted.v1'),
  data: z.object({ project_ids: z.array(Id) }),
});

export const DocumentEvent = z.discriminatedUnion('type', [
  DocumentUploaded,
  DocumentProcessingStarted,
  DocumentProcessed,
  DocumentEmbedded,
  DocumentFailed,
  DocumentLinked,
  DocumentUnlinked,
  DocumentDeleted,
]);
export type DocumentEvent = z.infer<typeof DocumentEvent>;

export const DocumentStatus = z.enum(['pending', 'processing', 'processed', 'failed', 'deleted']);
export type DocumentStatus = z.infer<typeof DocumentStatus>;

/**
 * Artefacts the ingestion writes once and projectors read on every rebuild (sealed in the
 * tenant's bucket under `processed/{document_id}/`), so rebuilding never re-runs extraction.
 * Their keys end in the SHA-256 of their JSON, so an event always names exactly one content.
 */
export const EntityType = z.enum(['person', 'organisation', 'place', 'email', 'phone', 'money', 'url']);
export const AnalysisEntity = z.object({
  /** deterministic per tenant: `entityId(tenant, type, normalised)` */
  id: Id,
  type: EntityType,
  name: z.string(),
  normalised: z.string(),
  count: z.number().int().positive(),
});
export const DocumentAnalysis = z.object({
  document_id: Id,
  title: z.string(),
  kind: DocumentKind,
  chunks: z.array(z.object({ index: z.number().int().nonnegative(), text: z.string(), start: z.number().int(), end: z.number().int() })),
  entities: z.array(AnalysisEntity),
  /** one per mention: span offsets index the whole extracted text */
  mentions: z.array(
    z.object({ entity_id: Id, chunk_index: z.number().int().nonnegative(), start: z.number().int(), end: z.number().int() }),
  ),
  relations: z.array(z.object({ a: Id, b: Id, confidence: z.number().min(0).max(1), chunk_indexes: z.array(z.number().int()) })),
});
export type DocumentAnalysis = z.infer<typeof DocumentAnalysis>;

export const DocumentVectors = z.object({
  document_id: Id,
  model: z.string(),
  dimension: z.number().int().positive(),
  /** one per chunk, in chunk order; each `dimension` numbers */
  vectors: z.array(z.array(z.number())),
});
export type DocumentVectors = z.infer<typeof DocumentVectors>;

/** Blob keys in the tenant's bucket (see DESIGN.md, blobs). */
export const documentKeys = {
  raw: (documentId: string, ext: string) => `raw/${documentId.toLowerCase()}/original.${ext}`,
  text: (documentId: string) => `processed/${documentId.toLowerCase()}/text.txt`,
  analysis: (documentId: string, sha256: string) => `processed/${documentId.toLowerCase()}/analysis-${sha256}.json`,
  /** the model id made key-safe; the hash keeps two models that slug alike apart */
  vectors: (documentId: string, model: string, sha256: string) =>
    `processed/${documentId.toLowerCase()}/vectors-${
      model
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '')
        .slice(0, 60) || 'model'
    }-${sha256}.json`,
  prefix: (documentId: string) => ({ raw: `raw/${documentId.toLowerCase()}/`, processed: `processed/${documentId.toLowerCase()}/` }),
} as const;
