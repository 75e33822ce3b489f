import mammoth from 'mammoth';
import { corrupt, empty, tooLarge } from './errors.ts';
import { cleanTitle, tidyText } from './tidy.ts';
import { listZipEntries, readZipEntry, type ZipEntry } from './zip.ts';
import type { Extracted } from './extract.ts';

/**
 * DOCX text via mammoth's raw-text mode (paragraphs separated by blank lines; tables, lists,
 * footnotes flattened to text). Before mammoth inflates the whole package in memory, the
 * central directory's declared sizes are checked against a limit, so a ZIP bomb is refused
 * up front rather than after it has filled the heap.
 */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return XML_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** `dc:title` from the package's core properties; a missing or unreadable part is no error. */
function coreTitle(bytes: Uint8Array, entries: readonly ZipEntry[]): string | undefined {
  const core = entries.find((e) => e.name === 'docProps/core.xml');
  if (core === undefined) return undefined;
  try {
    const xml = new TextDecoder('utf-8').decode(readZipEntry(bytes, core));
    const match = /<dc:title(?:\s[^>]*)?>([\s\S]*?)<\/dc:title>/.exec(xml);
    return cleanTitle(match?.[1] === undefined ? undefined : unescapeXml(match[1]));
  } catch {
    return undefined;
  }
}

export async function extractDocx(bytes: Uint8Array, maxUncompressedBytes = DEFAULT_MAX_UNCOMPRESSED_BYTES): Promise<Extracted> {
  let entries: ZipEntry[];
  try {
    entries = listZipEntries(bytes);
  } catch (error) {
    throw corrupt('Word', error);
  }
  if (!entries.some((e) => e.name === 'word/document.xml')) throw corrupt('Word');
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > maxUncompressedBytes) throw tooLarge('Word', maxUncompressedBytes);

  let raw: string;
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    raw = result.value;
  } catch (error) {
    throw corrupt('Word', error);
  }
  const text = tidyText(raw);
  if (text === '') throw empty('The Word document contains no text.');
  const title = coreTitle(bytes, entries);
  return { text, ...(title === undefined ? {} : { title }) };
}
