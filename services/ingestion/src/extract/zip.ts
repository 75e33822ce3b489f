import { inflateRawSync } from 'node:zlib';

/**
 * Just enough of a ZIP reader to sniff Office containers and guard against decompression
 * bombs before a full parser inflates everything in memory. Reads the central directory only;
 * ZIP64 archives are reported with sizes of `Infinity` (a DOCX never needs them).
 */
export interface ZipEntry {
  name: string;
  method: number;
  encrypted: boolean;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_MARKER = 0xffffffff;
const MAX_COMMENT = 0xffff;

/** True for the local-file-header magic every non-empty ZIP starts with. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function findEndOfCentralDirectory(dv: DataView): number {
  const last = dv.byteLength - 22;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (dv.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw new ZipFormatError('end of central directory not found (truncated or not a ZIP)');
}

export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  const dv = view(bytes);
  if (dv.byteLength < 22) throw new ZipFormatError('too short to be a ZIP');
  const eocd = findEndOfCentralDirectory(dv);
  const count = dv.getUint16(eocd + 10, true);
  let at = dv.getUint32(eocd + 16, true);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > dv.byteLength || dv.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError('central directory is damaged');
    }
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    const commentLength = dv.getUint16(at + 32, true);
    if (at + 46 + nameLength > dv.byteLength) throw new ZipFormatError('central directory is damaged');
    const compressed = dv.getUint32(at + 20, true);
    const uncompressed = dv.getUint32(at + 24, true);
    entries.push({
      name: decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: dv.getUint16(at + 10, true),
      encrypted: (dv.getUint16(at + 8, true) & 1) === 1,
      compressedSize: compressed === ZIP64_MARKER ? Number.POSITIVE_INFINITY : compressed,
      uncompressedSize: uncompressed === ZIP64_MARKER ? Number.POSITIVE_INFINITY : uncompressed,
      localHeaderOffset: dv.getUint32(at + 42, true),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Inflates one entry, refusing to produce more than its declared size (the bomb guard). */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const dv = view(bytes);
  const at = entry.localHeaderOffset;
  if (entry.encrypted) throw new ZipFormatError(`${entry.name} is encrypted`);
  if (at + 30 > dv.byteLength || dv.getUint32(at, true) !== LOCAL_SIGNATURE) {
    throw new ZipFormatError(`local header of ${entry.name} is damaged`);
  }
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (!Number.isFinite(end) || end > dv.byteLength) throw new ZipFormatError(`${entry.name} is truncated`);
  const data = bytes.subarray(start, end);
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name} uses unsupported compression ${entry.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (cause) {
    throw new ZipFormatError(`${entry.name} does not inflate: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
