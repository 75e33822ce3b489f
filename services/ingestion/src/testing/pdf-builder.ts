import { createHash } from 'node:crypto';

/**
 * Test-only: writes real PDF 1.4 files by hand (catalog, pages, Helvetica with WinAnsi
 * encoding, one text line per string, a correct xref table), optionally encrypted with the
 * standard security handler (RC4, 40-bit, revision 2), so extraction is tested on genuine bytes.
 */
export interface PdfOptions {
  /** text lines per page; an empty page array makes a page with a drawing and no text */
  pages: readonly (readonly string[])[];
  title?: string;
  /** encrypt; an empty user password opens without a prompt, any other requires it */
  encrypt?: { userPassword: string; ownerPassword: string };
}

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');
const FILE_ID = Buffer.from('6d616e64616e742d746573742d696421', 'hex');
const PERMISSIONS = -44;

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + (s[i] ?? 0) + (key[i % key.length] ?? 0)) & 255;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
  }
  const out = Buffer.alloc(data.length);
  let a = 0;
  let b = 0;
  for (let n = 0; n < data.length; n++) {
    a = (a + 1) & 255;
    b = (b + (s[a] ?? 0)) & 255;
    [s[a], s[b]] = [s[b] ?? 0, s[a] ?? 0];
    out[n] = (data[n] ?? 0) ^ (s[((s[a] ?? 0) + (s[b] ?? 0)) & 255] ?? 0);
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();
const padded = (password: string): Buffer => Buffer.concat([Buffer.from(password, 'latin1'), PAD]).subarray(0, 32);

interface Security {
  o: Buffer;
  u: Buffer;
  objectKey(objectNumber: number): Buffer;
}

function security(userPassword: string, ownerPassword: string): Security {
  const o = rc4(md5(padded(ownerPassword)).subarray(0, 5), padded(userPassword));
  const p = Buffer.alloc(4);
  p.writeInt32LE(PERMISSIONS);
  const key = md5(padded(userPassword), o, p, FILE_ID).subarray(0, 5);
  return {
    o,
    u: rc4(key, PAD),
    objectKey: (n) => md5(key, Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255, 0, 0])).subarray(0, 10),
  };
}

const escapePdfString = (s: string): string => s.replace(/[\\()]/g, (c) => `\\${c}`);

export function buildPdf(options: PdfOptions): Uint8Array {
  const sec = options.encrypt ? security(options.encrypt.userPassword, options.encrypt.ownerPassword) : undefined;
  const pageCount = options.pages.length;
  // objects: 1 catalog, 2 pages, 3 font, 4 info, 5 encrypt, then (page, content) per page
  const objects: Buffer[] = [];
  const kids = options.pages.map((_, i) => `${6 + 2 * i} 0 R`).join(' ');
  objects[1] = Buffer.from('<< /Type /Catalog /Pages 2 0 R >>');
  objects[2] = Buffer.from(`<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`);
  objects[3] = Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const title = Buffer.from(options.title ?? '', 'latin1');
  objects[4] = Buffer.from(`<< /Title <${(sec ? rc4(sec.objectKey(4), title) : title).toString('hex')}> /Producer (test) >>`);
  objects[5] = sec
    ? Buffer.from(`<< /Filter /Standard /V 1 /R 2 /O <${sec.o.toString('hex')}> /U <${sec.u.toString('hex')}> /P ${PERMISSIONS} >>`)
    : Buffer.from('null');
  options.pages.forEach((lines, i) => {
    const pageNo = 6 + 2 * i;
    const ops =
      lines.length === 0
        ? '2 w 72 72 m 540 720 l S'
        : `BT /F1 12 Tf 14 TL 72 720 Td ${lines.map((l) => `(${escapePdfString(l)}) Tj T*`).join(' ')} ET`;
    const plain = Buffer.from(ops, 'latin1');
    const stream = sec ? rc4(sec.objectKey(pageNo + 1), plain) : plain;
    objects[pageNo] = Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageNo + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
    );
    objects[pageNo + 1] = Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`), stream, Buffer.from('\nendstream')]);
  });

  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]?.length ?? 0;
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    offsets[n] = length;
    const chunk = Buffer.concat([Buffer.from(`${n} 0 obj\n`), objects[n] ?? Buffer.from('null'), Buffer.from('\nendobj\n')]);
    parts.push(chunk);
    length += chunk.length;
  }
  const xrefRows = offsets
    .slice(1)
    .map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)
    .join('');
  const encryptRef = sec ? ` /Encrypt 5 0 R /ID [<${FILE_ID.toString('hex')}> <${FILE_ID.toString('hex')}>]` : '';
  parts.push(
    Buffer.from(
      `xref\n0 ${objects.length}\n0000000000 65535 f \n${xrefRows}` +
        `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 4 0 R${encryptRef} >>\nstartxref\n${length}\n%%EOF\n`,
    ),
  );
  return new Uint8Array(Buffer.concat(parts));
}
