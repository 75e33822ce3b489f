import { toStorableText } from '@mandant/contracts';
import { extractCsv } from './csv.ts';
import { DEFAULT_MAX_UNCOMPRESSED_BYTES, extractDocx } from './docx.ts';
import { corrupt, empty, unsupportedType } from './errors.ts';
import { extractHtml } from './html.ts';
import { extractPdf } from './pdf.ts';
import { cleanTitle } from './tidy.ts';
import { decodeText, normaliseNewlines } from './text-decode.ts';
import type { DocumentKind } from './sniff.ts';

export { ExtractionError, type ExtractionErrorCode } from './errors.ts';

export interface Extracted {
  /** Unix newlines, no BOM; chunk and mention spans index into exactly this string */
  text: string;
  title?: string;
  /** number of pages, for paged formats (PDF) */
  pages?: number;
}

export interface ExtractOptions {
  /** refuse a DOCX whose parts declare more than this many bytes once inflated */
  maxUncompressedBytes?: number;
}

function decodeOrFail(bytes: Uint8Array, format: string): string {
  const text = decodeText(bytes);
  if (text === null) throw corrupt(format);
  return normaliseNewlines(text);
}

/** The first ATX heading (`# Title`), the usual title of a Markdown document. */
function markdownTitle(text: string): string | undefined {
  const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text);
  return cleanTitle(heading?.[1]);
}

/**
 * Extracts the text of a document whose kind `sniff` detected. Rejects with an
 * `ExtractionError` (stable `code`, user-facing `message`) when the file is corrupt,
 * password-protected, empty, too large once inflated, or of an unsupported kind.
 *
 * Text and title come out storable: a NUL or a lone surrogate (a DOCX `&#0;` or `&#xD800;`, a
 * PDF's broken string) would otherwise fail every Postgres column and event they reach. This
 * runs before chunking, so spans index into the text as returned.
 */
export async function extractText(bytes: Uint8Array, kind: DocumentKind, options: ExtractOptions = {}): Promise<Extracted> {
  const extracted = await extractByKind(bytes, kind, options);
  const text = toStorableText(extracted.text);
  const title = extracted.title === undefined ? undefined : toStorableText(extracted.title).trim() || undefined;
  return { ...extracted, text, ...(title === undefined ? {} : { title }) };
}

async function extractByKind(bytes: Uint8Array, kind: DocumentKind, options: ExtractOptions): Promise<Extracted> {
  switch (kind) {
    case 'pdf':
      return extractPdf(bytes);
    case 'docx':
      return extractDocx(bytes, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
    case 'html':
      return extractHtml(decodeOrFail(bytes, 'HTML'));
    case 'csv':
      return extractCsv(decodeOrFail(bytes, 'CSV'));
    case 'markdown':
    case 'text': {
      const text = decodeOrFail(bytes, kind === 'text' ? 'text' : 'Markdown');
      if (text.trim() === '') throw empty();
      const title = kind === 'markdown' ? markdownTitle(text) : undefined;
      return { text, ...(title === undefined ? {} : { title }) };
    }
    case 'unsupported':
      throw unsupportedType();
    default: {
      const unknownKind: never = kind;
      throw new Error(`unknown document kind ${String(unknownKind)}`);
    }
  }
}
