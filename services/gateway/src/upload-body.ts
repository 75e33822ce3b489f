import { DocumentFormInput, findUnstorable } from '@mandant/contracts';
import Busboy from 'busboy';
import { asError } from '@mandant/shared/errors';
import type { HttpRequest, HttpResponse } from './http.ts';
import { describeIssue } from './input.ts';
import { ProblemError } from './problem.ts';

/** What an upload request carried, read and checked. */
export interface Upload {
  bytes: Buffer;
  title: string | null;
  filename: string | null;
  source_url: string | null;
}

export interface UploadLimits {
  /** the largest document accepted, in bytes */
  maxBytes: number;
  /** a body that sends nothing for this long is answered 408 and its connection closed */
  idleMs: number;
}

export const tooLarge = (max: number) =>
  new ProblemError('payload.too_large', `the document exceeds the upload limit of ${max} bytes`, { limit: max });
export const invalid = (path: string, message: string) =>
  new ProblemError('validation.failed', `${path}: ${message}`, { issues: [{ path, message }] });
const idle = (ms: number) => new ProblemError('request.timeout', `the upload sent nothing for ${ms} ms`);
const aborted = () => new ProblemError('bad_request', 'the client closed the connection before the body ended');
const malformed = (why: string) => invalid('body', `malformed multipart body (${why})`);

/**
 * Follows one request body until `settle` is called: every way a body can fail (the client
 * resets or closes the connection, goes silent, the parser errs) ends in exactly one call of
 * `fail`, and nothing is left without an error listener. A body given up on is drained and its
 * connection closed after the answer, so an oversized or broken upload is not read to its end.
 */
function followBody(req: HttpRequest, res: HttpResponse, idleMs: number, fail: (err: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => fail(idle(idleMs)), idleMs);
  };
  const onData = () => arm();
  const onError = () => fail(aborted());
  const onClose = () => {
    if (!req.complete) fail(aborted());
  };
  req.on('data', onData);
  req.on('error', onError);
  req.on('close', onClose);
  arm();
  // a client gone before the body was watched has fired its 'close' already: without this the upload
  // would wait for the idle timeout, holding its place among the uploads in flight
  if (req.destroyed && !req.complete) queueMicrotask(onClose);
  return {
    /** stops watching; `abandon` also drops the rest of the body and closes the connection after the answer */
    stop(abandon: boolean) {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('close', onClose);
      // the error listener stays: a reset after this point must not find a stream without one
      if (!abandon) return;
      if (!res.headersSent) res.setHeader('Connection', 'close');
      req.resume();
    },
  };
}

/** Reads the whole body, refusing (413) as soon as it passes `max` bytes. */
export function readBody(req: HttpRequest, res: HttpResponse, max: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (err: unknown, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onChunk);
      watch.stop(err !== null);
      if (err !== null) reject(asError(err));
      else resolve(body ?? Buffer.alloc(0));
    };
    const watch = followBody(req, res, idleMs, (err) => settle(err));
    const onChunk = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) settle(tooLarge(max));
      else parts.push(chunk);
    };
    req.on('data', onChunk);
    req.on('end', () => settle(null, Buffer.concat(parts)));
  });
}

const FORM_FIELDS = new Set(['title', 'source_url']);
const FIELD_BYTES = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Busboy is told to hand over field values and file names as latin1, i.e. byte for byte, so they
 * are decoded here strictly: invalid UTF-8 is refused instead of becoming U+FFFD. A value with
 * characters above U+00FF was decoded by a charset its part declared, and is taken as it is.
 */
function strictUtf8(bytesAsLatin1: string): string | null {
  if (/[^\u0000-\u00ff]/.test(bytesAsLatin1)) return bytesAsLatin1;
  try {
    return utf8.decode(Buffer.from(bytesAsLatin1, 'latin1'));
  } catch {
    return null;
  }
}

/** multipart/form-data: one `file` part, optional `title` and `source_url` fields. */
export function readMultipart(req: HttpRequest, res: HttpResponse, limits: UploadLimits): Promise<Upload> {
  const { maxBytes: max } = limits;
  return new Promise((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({
        headers: req.headers,
        defCharset: 'latin1',
        defParamCharset: 'latin1',
        limits: { files: 1, fileSize: max, fields: 10, fieldSize: FIELD_BYTES, parts: 20 },
      });
    } catch {
      reject(invalid('body', 'malformed multipart body'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: { bytes: Buffer; filename: string | null } | null = null;
    let done = false;
    const settle = (err: unknown, upload?: Upload) => {
      if (done) return;
      done = true;
      // unpiped first: unpiping the last destination pauses the request, and stop() resumes it to drain
      if (err !== null) req.unpipe(bb);
      watch.stop(err !== null);
      if (err === null && upload) return resolve(upload);
      reject(asError(err));
    };
    const watch = followBody(req, res, limits.idleMs, (err) => settle(err));
    bb.on('file', (name, stream, info) => {
      // a body that ends inside this part destroys it with an error: without a listener, the process ends
      stream.on('error', () => settle(malformed('the body ended inside the file')));
      if (name !== 'file') {
        stream.resume();
        return settle(invalid(name, 'unknown part: send the document as the `file` part'));
      }
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('limit', () => {
        parts.length = 0;
        settle(tooLarge(max));
      });
      const filename = info.filename ? strictUtf8(info.filename) : '';
      if (filename === null) {
        stream.resume();
        return settle(invalid('filename', 'not valid UTF-8'));
      }
      stream.on('end', () => {
        file = { bytes: Buffer.concat(parts), filename: filename ? filename.slice(0, 500) : null };
      });
    });
    bb.on('field', (name, raw, info) => {
      const value = strictUtf8(raw);
      if (!FORM_FIELDS.has(name)) settle(invalid(name, 'unknown field'));
      else if (info.valueTruncated) settle(invalid(name, `longer than ${FIELD_BYTES} bytes`));
      else if (value === null) settle(invalid(name, 'not valid UTF-8'));
      else fields[name] = value;
    });
    bb.on('filesLimit', () => settle(invalid('file', 'send one file per upload')));
    bb.on('fieldsLimit', () => settle(invalid('body', 'too many fields')));
    bb.on('partsLimit', () => settle(invalid('body', 'too many parts')));
    bb.on('error', (err: Error) =>
      settle(malformed(/Unexpected end/.test(err.message) ? 'the body ended before the closing boundary' : 'unreadable part')),
    );
    bb.on('close', () => {
      if (done) return;
      if (!file) return settle(invalid('file', 'required: the document as a `file` part'));
      const f: { bytes: Buffer; filename: string | null } = file;
      const unstorable = findUnstorable({ title: fields.title, source_url: fields.source_url, filename: f.filename });
      if (unstorable) return settle(invalid(unstorable.path, unstorable.message));
      const parsed = DocumentFormInput.omit({ content: true }).safeParse({ title: fields.title, source_url: fields.source_url });
      if (!parsed.success) {
        const issue = parsed.error.issues.flatMap(describeIssue)[0];
        return settle(invalid(issue?.path ?? 'body', issue?.message ?? 'invalid'));
      }
      settle(null, { bytes: f.bytes, filename: f.filename, title: parsed.data.title ?? null, source_url: parsed.data.source_url ?? null });
    });
    req.pipe(bb);
  });
}

/** The JSON form: `{title, content, source_url}`, text given inline. */
export async function readJsonForm(req: HttpRequest, res: HttpResponse, limits: UploadLimits): Promise<Upload> {
  const { maxBytes: max } = limits;
  // JSON escapes can double the size of text: allow the envelope that much, then check the content itself
  const raw = await readBody(req, res, max * 2 + 64 * 1024, limits.idleMs);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new ProblemError('json.malformed', 'the request body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('body', 'not valid JSON');
  }
  const unstorable = findUnstorable(body);
  if (unstorable) throw invalid(unstorable.path, unstorable.message);
  const parsed = DocumentFormInput.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap(describeIssue);
    throw new ProblemError('validation.failed', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  const bytes = Buffer.from(parsed.data.content, 'utf8');
  if (bytes.length > max) throw tooLarge(max);
  return { bytes, title: parsed.data.title ?? null, filename: null, source_url: parsed.data.source_url ?? null };
}
