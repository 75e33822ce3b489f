import { connect } from 'node:net';
import fc from 'fast-check';

// Raw HTTP for the hostile-input suites: fetch cannot send a body that stops before its end,
// trickles, or is cut off by a reset, so these requests are written byte by byte on a socket.

export interface RawAnswer {
  /** the status of the answer, or null when the server closed the connection without one */
  status: number | null;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** the body, sent in these pieces */
  chunks?: Buffer[];
  /** waits this long between pieces (a trickling client) */
  gapMs?: number;
  /**
   * after the pieces: `wait` waits for the answer (default; send `connection: close` so the
   * server closes after it), `end` half-closes first (Node's server then drops a request it has
   * not answered yet), `reset` resets the connection at once, `reset-on-answer` once the first
   * bytes of the answer arrived (a client leaving a stream)
   */
  after?: 'end' | 'reset' | 'wait' | 'reset-on-answer';
}

/** Sends one request on its own connection and reads the answer (status null: closed without one). */
export function rawHttp(base: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve(parseAnswer(Buffer.concat(received).toString('utf8')));
    };
    socket.on('data', (b: Buffer) => {
      received.push(b);
      if (r.after === 'reset-on-answer') socket.resetAndDestroy();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    const send = async () => {
      const head = [
        `${r.method} ${r.path} HTTP/1.1`,
        `Host: ${url.host}`,
        ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      for (const chunk of r.chunks ?? []) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (r.gapMs) await new Promise((res) => setTimeout(res, r.gapMs));
      }
      if (r.after === 'reset') {
        // let the bytes leave before the reset, as a client dying mid-upload would
        socket.write(Buffer.alloc(0), () => socket.resetAndDestroy());
      } else if (r.after === 'end') {
        socket.end();
      }
    };
    // a write that throws ends the exchange like a closed connection
    socket.on('connect', () => void send().catch(finish));
  });
}

function parseAnswer(text: string): RawAnswer {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!match) return { status: null, headers: {}, body: '' };
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  let body = rest.join('\r\n\r\n');
  if (headers['transfer-encoding'] === 'chunked') body = body.replace(/(?:^|\r\n)[0-9a-f]+\r\n/gi, '');
  return { status: Number(match[1]), headers, body };
}

export const BOUNDARY = 'hostile-boundary-7e1f';

export interface FormPart {
  name: string;
  value: string | Buffer;
  filename?: string | Buffer;
}

/** A multipart/form-data body with its closing boundary; cut it to make it truncated. */
export function multipartBody(parts: FormPart[]): Buffer {
  const pieces: Buffer[] = [];
  for (const p of parts) {
    const filename =
      p.filename === undefined ? [] : [Buffer.from('; filename="'), Buffer.from(p.filename), Buffer.from('"\r\nContent-Type: text/plain')];
    pieces.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"`),
      ...filename,
      Buffer.from('\r\n\r\n'),
      Buffer.from(p.value),
      Buffer.from('\r\n'),
    );
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

export const multipartHeaders = (auth: string, length: number): Record<string, string> => ({
  authorization: `Bearer ${auth}`,
  'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  'content-length': String(length),
});

/** Splits `body` at random points: how a network delivers it. */
export const splitRandomly = (body: Buffer) =>
  fc.uniqueArray(fc.nat({ max: Math.max(0, body.length - 1) }), { maxLength: 6 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), body.length];
    return points
      .slice(1)
      .map((end, i) => body.subarray(points[i], end))
      .filter((b) => b.length > 0);
  });

/** Bytes of a form field or file name that cannot become a storable string: a NUL, or not UTF-8 (a lone surrogate on the wire is one). */
const plain = fc.string({ maxLength: 20 }).map((t) => t.replace(/["\\\r\n]/g, '_'));
export const unstorableBytes = fc
  .tuple(
    plain,
    fc.oneof(
      fc.constant(Buffer.from([0])),
      fc.constantFrom(
        Buffer.from([0xff]),
        Buffer.from([0x80]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xed, 0xbf, 0xbf]),
        Buffer.from([0xe2, 0x82]),
      ),
    ),
    plain,
  )
  .map(([a, bad, b]) => Buffer.concat([Buffer.from(a), bad, Buffer.from(b)]));

/** A string with a character Postgres cannot store at a random position. */
export const unstorableString = fc
  .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ maxLength: 20 }))
  .map(([a, bad, b]) => a + bad + b);

/** Byte sequences that are not UTF-8: stray continuation, overlong, surrogate, truncated, out of range. */
export const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
);
