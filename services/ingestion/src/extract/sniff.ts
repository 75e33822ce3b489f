import { controlCharRatio, decodeText } from './text-decode.ts';
import { isZip, listZipEntries } from './zip.ts';

export type DocumentKind = 'pdf' | 'docx' | 'html' | 'csv' | 'markdown' | 'text' | 'unsupported';

export interface Sniffed {
  kind: DocumentKind;
  /** the MIME type to store with the raw blob */
  contentType: string;
  /** the extension of the raw blob key, `raw/{document_id}/original.{ext}` */
  ext: string;
}

const TYPES: Record<DocumentKind, Omit<Sniffed, 'kind'>> = {
  pdf: { contentType: 'application/pdf', ext: 'pdf' },
  docx: { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: 'docx' },
  html: { contentType: 'text/html', ext: 'html' },
  csv: { contentType: 'text/csv', ext: 'csv' },
  markdown: { contentType: 'text/markdown', ext: 'md' },
  text: { contentType: 'text/plain', ext: 'txt' },
  unsupported: { contentType: 'application/octet-stream', ext: 'bin' },
};

const sniffed = (kind: DocumentKind): Sniffed => ({ kind, ...TYPES[kind] });

/** Readers accept junk before the header (mail gateways prepend some), so search the first KiB. */
const PDF_HEADER_WINDOW = 1024;
/** Decoded text with more control characters than this is binary that happens to be valid UTF-8. */
const MAX_CONTROL_RATIO = 0.01;
const SAMPLE_CHARS = 64 * 1024;

function hasPdfHeader(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PDF_HEADER_WINDOW));
  return head.includes('%PDF-', 0, 'latin1');
}

function isDocx(bytes: Uint8Array): boolean {
  try {
    return listZipEntries(bytes).some((e) => e.name === 'word/document.xml');
  } catch {
    // A damaged central directory still leaves the names in the local headers: call it a DOCX
    // so extraction reports "corrupt DOCX" rather than "unsupported type".
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('word/document.xml', 0, 'latin1');
  }
}

const HTML_START = /^(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;
const HTML_TAGS = /<(?:div|p|h[1-6]|table|article|section|span|a\s+href|ul|ol|br|meta|title)[\s>/]/i;

function looksLikeHtml(sample: string): boolean {
  const head = sample.trimStart();
  if (HTML_START.test(head)) return true;
  return head.startsWith('<') && HTML_TAGS.test(head.slice(0, 4096));
}

const MARKDOWN_SIGNALS: readonly RegExp[] = [
  /^#{1,6}[ \t]+\S/m, // ATX heading
  /^```/m, // fenced code
  /\[[^\]\n]+\]\([^)\s]+\)/, // inline link
  /^[ \t]*[-*+][ \t]+\S/m, // bullet list
  /^[ \t]*\d+\.[ \t]+\S/m, // numbered list
  /\*\*[^*\n]+\*\*|__[^_\n]+__/, // strong emphasis
  /^>[ \t]?\S/m, // block quote
  /^\|.*\|[ \t]*$/m, // table row
];

function looksLikeMarkdown(sample: string): boolean {
  const headingOrFence = /^(?:#{1,6}[ \t]+\S|```)/m.test(sample);
  const signals = MARKDOWN_SIGNALS.filter((re) => re.test(sample)).length;
  return headingOrFence || signals >= 2;
}

/** Delimiters counted outside double quotes, so a quoted "Berlin, Germany" is one field. */
function countDelimiters(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) count++;
  }
  return count;
}

/**
 * CSV when the first lines agree on a delimiter count. Two-column files need more lines to
 * agree, since prose with one comma per line would otherwise pass.
 */
export function detectCsvDelimiter(sample: string): string | null {
  const lines = sample
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  // the last sampled line may be cut mid-record
  if (sample.length >= SAMPLE_CHARS) lines.pop();
  if (lines.length < 2) return null;
  for (const delimiter of [',', ';', '\t']) {
    const counts = lines.map((l) => countDelimiters(l, delimiter));
    const first = counts[0] ?? 0;
    if (first === 0 || !counts.every((c) => c === first)) continue;
    if (first >= 2 || lines.length >= 3) return delimiter;
  }
  return null;
}

/** Detects the document type from its bytes alone; the file name and declared type are ignored. */
export function sniff(bytes: Uint8Array): Sniffed {
  if (hasPdfHeader(bytes)) return sniffed('pdf');
  if (isZip(bytes)) return sniffed(isDocx(bytes) ? 'docx' : 'unsupported');
  const text = decodeText(bytes);
  if (text === null) return sniffed('unsupported');
  const sample = text.slice(0, SAMPLE_CHARS);
  if (controlCharRatio(sample) > MAX_CONTROL_RATIO) return sniffed('unsupported');
  if (looksLikeHtml(sample)) return sniffed('html');
  if (looksLikeMarkdown(sample)) return sniffed('markdown');
  if (detectCsvDelimiter(sample) !== null) return sniffed('csv');
  return sniffed('text');
}
