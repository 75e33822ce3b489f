import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DocumentView, documentKeys, rpc as patterns } from '@mandant/contracts';
import { uuidv7 } from '@mandant/shared/ids';
import type { RpcClient } from '@mandant/shared/rpc';
import type { BlobStore } from '@mandant/shared/stores/blobs';
import { sniff } from '@mandant/ingestion';
import { type HttpRequest, type HttpResponse, header, openEventStream } from './http.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { mediaType, stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';
import { DEFAULT_EDGE_TIMEOUTS } from './edge-guards.ts';
import {
  adoptCorrelation,
  idempotencyFor,
  idempotencyKeyOf,
  idempotencyLookup,
  idempotencyScope,
  idempotentDocumentId,
  markReplayed,
} from './idempotency.ts';
import { inFlightLimiter } from './in-flight.ts';
import { type UploadLimits, invalid, readJsonForm, readMultipart, tooLarge } from './upload-body.ts';

/** Where uploads go: the sealing blob store, the largest file accepted, and how many are read at once. */
export interface UploadConfig {
  blobs: BlobStore;
  maxBytes: number;
  /** uploads one tenant may have in flight on this process (each is held in memory while read); default 4 */
  inFlightPerTenant?: number;
  /** uploads all tenants together may have in flight on this process; default 16 */
  inFlight?: number;
}

/**
 * `POST /projects/{id}/documents` and `POST /documents`: reads the file (multipart) or the JSON
 * form, sniffs its type from the bytes (never from the name), stores the bytes sealed under
 * `raw/{document_id}/original.{ext}` and asks the document service to record the upload, which
 * answers a duplicate (the same bytes in a document the caller can already read) with that document. 202: extraction
 * runs afterwards; follow it on `GET /documents/{id}/status`. With an `Idempotency-Key` the
 * document id derives from the key and the bytes, so a retry writes the same blob and is applied once.
 */
/** Without `uploads` (a gateway given no blob store) the routes answer 503 rather than lose a file. */
export function uploadEndpoint(
  route: ApiRoute,
  rpc: RpcClient,
  uploads: UploadConfig | null,
  idleMs = DEFAULT_EDGE_TIMEOUTS.uploadIdleMs,
): Endpoint {
  const inFlight = inFlightLimiter(uploads?.inFlightPerTenant ?? 4, uploads?.inFlight ?? 16);
  return {
    name: route.name,
    method: route.method,
    path: route.path,
    access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller || caller.kind !== 'tenant') throw new ProblemError('forbidden', 'uploads need a tenant credential');
      if (!uploads) throw new ProblemError('unavailable', 'this gateway is not configured for uploads');
      // checked before the body is read: a bad key is refused without receiving the file
      const key = idempotencyKeyOf(req);
      const projectId = route.params?.id ? (req.params.id ?? '') : null;
      if (projectId !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(projectId))
        throw new ProblemError('not_found', 'no such resource');
      state.projectId = projectId;
      const declared = Number(header(req, 'content-length') ?? '0');
      if (declared > uploads.maxBytes * 2 + 64 * 1024) {
        // refused before reading: close the connection rather than receive the rest
        res.setHeader('Connection', 'close');
        throw tooLarge(uploads.maxBytes);
      }
      const place = inFlight.acquire(caller.principal.tenant_id);
      if (typeof place !== 'function') {
        // refused before reading too; an upload is held in memory while it is read, so their number is bounded
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '5');
        if (place === 'tenant')
          throw new ProblemError('uploads.too_many', 'this tenant has as many uploads in flight as it may: retry when one is done', {
            limit: uploads.inFlightPerTenant ?? 4,
          });
        throw new ProblemError('unavailable', 'this gateway is reading as many uploads as it may: retry shortly');
      }
      try {
        await receive(req, res, route, rpc, uploads, { maxBytes: uploads.maxBytes, idleMs }, projectId, key);
      } finally {
        place();
      }
    },
  };
}

/** Reads, checks, seals and records one upload, and answers 202. */
async function receive(
  req: HttpRequest,
  res: HttpResponse,
  route: ApiRoute,
  rpc: RpcClient,
  uploads: UploadConfig,
  limits: UploadLimits,
  projectId: string | null,
  key: string | null,
): Promise<void> {
  const state = stateOf(res);
  const caller = state.caller;
  if (caller?.kind !== 'tenant') throw new ProblemError('forbidden', 'uploads need a tenant credential');
  const type = mediaType(header(req, 'content-type'));
  const upload =
    type === 'multipart/form-data'
      ? await readMultipart(req, res, limits)
      : type === 'application/json'
        ? await readJsonForm(req, res, limits)
        : (() => {
            throw new ProblemError(
              'media_type.unsupported',
              'send the document as multipart/form-data (a `file` part) or as JSON {title, content, source_url}',
            );
          })();
  if (upload.bytes.length === 0) throw invalid('file', 'the document is empty');
  const sniffed = sniff(upload.bytes);
  const contentSha256 = createHash('sha256').update(upload.bytes).digest('hex');
  // with a key, a retried upload gets the same id, so it writes the same blob path
  const lookup = key === null ? null : idempotencyLookup(idempotencyScope(caller), key);
  const documentId = lookup === null ? uuidv7() : idempotentDocumentId(lookup, contentSha256);
  const blobKey = documentKeys.raw(documentId, sniffed.ext);
  const tenantId = caller.principal.tenant_id;
  const input = {
    document_id: documentId,
    project_id: projectId,
    kind: sniffed.kind,
    content_type: sniffed.contentType,
    ext: sniffed.ext,
    size: upload.bytes.length,
    content_sha256: contentSha256,
    blob_key: blobKey,
    title: upload.title,
    filename: upload.filename,
    source_url: upload.source_url,
  };
  const idem = key === null ? null : idempotencyFor(caller, key, route.name, req.params, input);
  if (idem) adoptCorrelation(state, res, idem);
  await uploads.blobs.put(tenantId, blobKey, upload.bytes, { contentType: sniffed.contentType });
  const reply = checkedReply(
    route.pattern,
    await rpc.request<unknown>(patterns.documentUpload, {
      principal: caller.principal,
      operator: false,
      meta: idem ? { ...state.meta, idempotency: idem.meta } : state.meta,
      input,
    }),
  );
  markReplayed(res, reply);
  if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
  const value = reply.value as { id: string };
  res.setHeader('Location', `/api/v1/documents/${value.id}`);
  res.status(route.status).json(value);
}

const TERMINAL = new Set(['processed', 'failed']);

/** Bounds on status streams: each open one polls the document service, so one tenant must not hold thousands. */
export interface StatusStreamLimits {
  /** open streams per tenant on one gateway process; the next one answers 429 */
  maxPerTenant: number;
  /** a stream still open after this long ends (`event: timeout`); the client may open another */
  maxMs: number;
  pollMs: number;
}

export const DEFAULT_STATUS_STREAM_LIMITS: StatusStreamLimits = { maxPerTenant: 32, maxMs: 10 * 60_000, pollMs: 250 };

/**
 * `GET /documents/{id}/status`: server-sent events. One `status` event at once, another on
 * every change, and the stream ends after `processed` or `failed` (or `deleted` when the
 * document goes away meanwhile, `timeout` after `maxMs` or once `stopping` aborts, when the
 * gateway drains). A document the caller cannot read
 * answers 404 before any event is sent. Status is polled from the document service, so any
 * gateway replica serves it; a tenant holding `maxPerTenant` streams open on this replica gets 429.
 */
export function statusStreamEndpoint(
  route: ApiRoute,
  rpc: RpcClient,
  limits: StatusStreamLimits = DEFAULT_STATUS_STREAM_LIMITS,
  stopping: AbortSignal = new AbortController().signal,
): Endpoint {
  const open = inFlightLimiter(limits.maxPerTenant);
  return {
    name: route.name,
    method: route.method,
    path: route.path,
    access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller || caller.kind !== 'tenant') throw new ProblemError('forbidden', 'needs a tenant credential');
      const id = req.params.id ?? '';
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
        throw new ProblemError('not_found', 'no such resource');
      const place = open.acquire(caller.principal.tenant_id);
      if (typeof place !== 'function') {
        res.setHeader('Retry-After', '5');
        throw new ProblemError(
          'streams.too_many',
          `${limits.maxPerTenant} status streams of this tenant are open already: close one, or poll GET /documents/{id}`,
          { limit: limits.maxPerTenant },
        );
      }
      const fetchView = async () =>
        checkedReply(
          route.pattern,
          await rpc.request<unknown>(patterns.documentGet, {
            principal: caller.principal,
            operator: false,
            meta: state.meta,
            input: { document_id: id },
          }),
        );
      try {
        await followStatus(req, res, id, fetchView, limits, stopping);
      } finally {
        place();
      }
    },
  };
}

type ViewReply = ReturnType<typeof checkedReply>;

/** The stream itself: a status event at once, another on every change, until a final status or `maxMs`. */
async function followStatus(
  req: HttpRequest,
  res: HttpResponse,
  id: string,
  fetchView: () => Promise<ViewReply>,
  limits: StatusStreamLimits,
  stopping: AbortSignal,
): Promise<void> {
  const first = await fetchView();
  if (!first.ok) throw new ProblemError(first.error.code, first.error.message, first.error.details);
  const events = openEventStream(req, res);
  const summary = (v: DocumentView) => ({
    id: v.id,
    status: v.status,
    failure: v.failure,
    chunk_count: v.chunk_count,
    entity_count: v.entity_count,
    updated_at: v.updated_at,
  });
  let last = first.value as DocumentView;
  events.send('status', summary(last));
  let beat = Date.now();
  const until = Date.now() + limits.maxMs;
  while (!events.closed && !TERMINAL.has(last.status)) {
    // past its life, or the gateway is draining: the client may open another (on another replica)
    if (Date.now() >= until || stopping.aborted) {
      events.send('timeout', { id, status: last.status });
      break;
    }
    await sleep(limits.pollMs, undefined, { signal: stopping }).catch(() => undefined);
    const next = await fetchView().catch(() => null);
    if (!next) continue;
    if (!next.ok) {
      events.send('status', { id, status: 'deleted' });
      break;
    }
    const v = next.value as DocumentView;
    if (v.status !== last.status || v.updated_at !== last.updated_at) events.send('status', summary(v));
    else if (Date.now() - beat > 15_000) {
      events.keepAlive();
      beat = Date.now();
    }
    last = v;
  }
  events.end();
}
