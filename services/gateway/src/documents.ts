import { createHash } from 'node:crypto';
import { DocumentFormInput, type DocumentView, documentKeys, rpc as patterns } from '@mandant/contracts';
import Busboy from 'busboy';
import { uuidv7 } from '@mandant/shared/ids.ts';
import type { RpcClient } from '@mandant/shared/rpc/rpc.ts';
import type { BlobStore } from '@mandant/shared/stores/blobs/port.ts';
import { sniff } from '@mandant/ingestion/extract/sniff.ts';
import { type HttpRequest, type HttpResponse, header, openEventStream } from './http.ts';
import { describeIssue } from './input.ts';
import type { Endpoint } from './nest.ts';
import { ProblemError } from './problem.ts';
import { checkedReply } from './reply.ts';
import { mediaType, stateOf } from './request.ts';
import type { ApiRoute } from './routes.ts';

/** Where uploads go: the sealing blob store, and the largest file accepted. */
export interface UploadConfig {
  blobs: BlobStore;
  maxBytes: number;
}

interface Upload {
  bytes: Buffer;
  title: string | null;
  filename: string | null;
  source_url: string | null;
}

const tooLarge = (max: number) => new ProblemError('payload.too_large', `the document exceeds the upload limit of ${max} bytes`, { limit: max });
const invalid = (path: string, message: string) => new ProblemError('validation.failed', `${path}: ${message}`, { issues: [{ path, message }] });

/** Reads the whole body, refusing (413) as soon as it passes `max` bytes. */
function readBody(req: HttpRequest, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(max));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

const FORM_FIELDS = new Set(['title', 'source_url']);

/** multipart/form-data: one `file` part, optional `title` and `source_url` fields. */
function readMultipart(req: HttpRequest, max: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: req.headers, limits: { files: 1, fileSize: max, fields: 10, fieldSize: 4096 } });
    } catch {
      reject(invalid('body', 'malformed multipart body'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: { bytes: Buffer; filename: string | null } | null = null;
    let failure: unknown = null;
    const fail = (err: unknown) => {
      failure ??= err;
    };
    bb.on('file', (name, stream, info) => {
      if (name !== 'file') {
        fail(invalid(name, 'unknown part: send the document as the `file` part'));
        stream.resume();
        return;
      }
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('limit', () => fail(tooLarge(max)));
      stream.on('end', () => {
        file = { bytes: Buffer.concat(parts), filename: info.filename ? info.filename.slice(0, 500) : null };
      });
    });
    bb.on('field', (name, value) => {
      if (!FORM_FIELDS.has(name)) fail(invalid(name, 'unknown field'));
      else fields[name] = value;
    });
    bb.on('filesLimit', () => fail(invalid('file', 'send one file per upload')));
    bb.on('error', () => fail(invalid('body', 'malformed multipart body')));
    bb.on('close', () => {
      if (failure) return reject(failure);
      if (!file) return reject(invalid('file', 'required: the document as a `file` part'));
      const parsed = DocumentFormInput.omit({ content: true }).safeParse({ title: fields.title, source_url: fields.source_url });
      if (!parsed.success) {
        const issue = parsed.error.issues.flatMap(describeIssue)[0];
        return reject(invalid(issue?.path ?? 'body', issue?.message ?? 'invalid'));
      }
      const f: { bytes: Buffer; filename: string | null } = file;
      resolve({ bytes: f.bytes, filename: f.filename, title: parsed.data.title ?? null, source_url: parsed.data.source_url ?? null });
    });
    req.pipe(bb);
  });
}

/** The JSON form: `{title, content, source_url}`, text given inline. */
async function readJsonForm(req: HttpRequest, max: number): Promise<Upload> {
  // JSON escapes can double the size of text: allow the envelope that much, then check the content itself
  const raw = await readBody(req, max * 2 + 64 * 1024);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('body', 'not valid JSON');
  }
  const parsed = DocumentFormInput.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap(describeIssue);
    throw new ProblemError('validation.failed', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  const bytes = Buffer.from(parsed.data.content, 'utf8');
  if (bytes.length > max) throw tooLarge(max);
  return { bytes, title: parsed.data.title ?? null, filename: null, source_url: parsed.data.source_url ?? null };
}

/**
 * `POST /projects/{id}/documents` and `POST /documents`: reads the file (multipart) or the JSON
 * form, sniffs its type from the bytes (never from the name), stores the bytes sealed under
 * `raw/{document_id}/original.{ext}` and asks the document service to record the upload, which
 * answers a duplicate (same bytes in this tenant) with the existing document. 202: extraction
 * runs afterwards; follow it on `GET /documents/{id}/status`.
 */
/** Without `uploads` (a gateway given no blob store) the routes answer 503 rather than lose a file. */
export function uploadEndpoint(route: ApiRoute, rpc: RpcClient, uploads: UploadConfig | null): Endpoint {
  return {
    name: route.name, method: route.method, path: route.path, access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller || caller.kind !== 'tenant') throw new ProblemError('forbidden', 'uploads need a tenant credential');
      if (!uploads) throw new ProblemError('unavailable', 'this gateway is not configured for uploads');
      const projectId = route.params?.id ? (req.params.id ?? '') : null;
      if (projectId !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(projectId)) throw new ProblemError('not_found', 'no such resource');
      state.projectId = projectId;
      const declared = Number(header(req, 'content-length') ?? '0');
      if (declared > uploads.maxBytes * 2 + 64 * 1024) throw tooLarge(uploads.maxBytes);
      const type = mediaType(header(req, 'content-type'));
      const upload = type === 'multipart/form-data'
        ? await readMultipart(req, uploads.maxBytes)
        : type === 'application/json'
          ? await readJsonForm(req, uploads.maxBytes)
          : (() => { throw new ProblemError('media_type.unsupported', 'send the document as multipart/form-data (a `file` part) or as JSON {title, content, source_url}'); })();
      if (upload.bytes.length === 0) throw invalid('file', 'the document is empty');
      const sniffed = sniff(upload.bytes);
      const documentId = uuidv7();
      const blobKey = documentKeys.raw(documentId, sniffed.ext);
      const tenantId = caller.principal.tenant_id;
      await uploads.blobs.put(tenantId, blobKey, upload.bytes, { contentType: sniffed.contentType });
      const reply = checkedReply(route.pattern, await rpc.request<unknown>(patterns.documentUpload, {
        principal: caller.principal, operator: false, meta: state.meta,
        input: {
          document_id: documentId, project_id: projectId, kind: sniffed.kind, content_type: sniffed.contentType, ext: sniffed.ext,
          size: upload.bytes.length, content_sha256: createHash('sha256').update(upload.bytes).digest('hex'), blob_key: blobKey,
          title: upload.title, filename: upload.filename, source_url: upload.source_url,
        },
      }));
      if (!reply.ok) throw new ProblemError(reply.error.code, reply.error.message, reply.error.details);
      const value = reply.value as { id: string };
      res.setHeader('Location', `/api/v1/documents/${value.id}`);
      res.status(route.status).json(value);
    },
  };
}

const TERMINAL = new Set(['processed', 'failed']);

/**
 * `GET /documents/{id}/status`: server-sent events. One `status` event at once, another on
 * every change, and the stream ends after `processed` or `failed` (or `deleted` when the
 * document goes away meanwhile). A document the caller cannot read answers 404 before any
 * event is sent. Status is polled from the document service, so any gateway replica serves it.
 */
export function statusStreamEndpoint(route: ApiRoute, rpc: RpcClient, pollMs = 250): Endpoint {
  return {
    name: route.name, method: route.method, path: route.path, access: route.access,
    async handle(req: HttpRequest, res: HttpResponse) {
      const state = stateOf(res);
      const caller = state.caller;
      if (!caller || caller.kind !== 'tenant') throw new ProblemError('forbidden', 'needs a tenant credential');
      const id = req.params.id ?? '';
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new ProblemError('not_found', 'no such resource');
      const fetchView = async () => checkedReply(route.pattern, await rpc.request<unknown>(patterns.documentGet, {
        principal: caller.principal, operator: false, meta: state.meta, input: { document_id: id },
      }));
      const first = await fetchView();
      if (!first.ok) throw new ProblemError(first.error.code, first.error.message, first.error.details);
      const events = openEventStream(req, res);
      const summary = (v: DocumentView) => ({ id: v.id, status: v.status, failure: v.failure, chunk_count: v.chunk_count, entity_count: v.entity_count, updated_at: v.updated_at });
      let last = first.value as DocumentView;
      events.send('status', summary(last));
      let beat = Date.now();
      while (!events.closed && !TERMINAL.has(last.status)) {
        await new Promise((r) => setTimeout(r, pollMs));
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
    },
  };
}
