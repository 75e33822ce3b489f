import { getDocumentProxy } from 'unpdf';
import { corrupt, empty, encrypted, ExtractionError } from './errors.ts';
import { cleanTitle, tidyText } from './tidy.ts';
import type { Extracted } from './extract.ts';

/**
 * PDF text via the serverless PDF.js build bundled in `unpdf` (pure JS, no canvas, no worker
 * thread, runs on Node 20). Known limits: scanned pages have no text layer and yield nothing
 * (no OCR); reading order is PDF.js's content order, which can interleave columns.
 */

/**
 * The part of PDF.js's document proxy read here. `unpdf`'s declarations point at PDF.js types by
 * paths Node's module resolution does not follow, so the proxy would otherwise be untyped.
 */
interface PdfDocument {
  numPages: number;
  getPage(n: number): Promise<{ getTextContent(): Promise<{ items: unknown[] }>; cleanup(): unknown }>;
  getMetadata(): Promise<{ info?: unknown }>;
  destroy(): Promise<unknown>;
}

interface PositionedText {
  str: string;
  hasEOL: boolean;
  y: number;
  height: number;
}

function positioned(item: unknown): PositionedText | null {
  if (typeof item !== 'object' || item === null || !('str' in item) || typeof item.str !== 'string') return null;
  const transform = 'transform' in item && Array.isArray(item.transform) ? (item.transform as unknown[]) : [];
  const y = typeof transform[5] === 'number' ? transform[5] : 0;
  const height = 'height' in item && typeof item.height === 'number' ? item.height : 0;
  const hasEOL = 'hasEOL' in item && item.hasEOL === true;
  return { str: item.str, hasEOL, y, height };
}

/** Joins text runs into lines; a vertical gap well above the line height starts a paragraph. */
function pageText(items: readonly unknown[]): string {
  let out = '';
  let lastY: number | undefined;
  let lastHeight = 0;
  for (const raw of items) {
    const item = positioned(raw);
    if (item === null) continue;
    if (lastY !== undefined && Math.abs(item.y - lastY) > 0.5) {
      const gap = Math.abs(lastY - item.y);
      const wanted = gap > 1.8 * Math.max(lastHeight, item.height, 1) ? '\n\n' : '\n';
      const have = out.endsWith('\n\n') ? 2 : out.endsWith('\n') ? 1 : 0;
      out += '\n'.repeat(Math.max(0, wanted.length - have));
    }
    out += item.str;
    if (item.hasEOL) out += '\n';
    if (item.str !== '' || item.hasEOL) {
      lastY = item.y;
      lastHeight = item.height;
    }
  }
  return out;
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : '';
}

export async function extractPdf(bytes: Uint8Array): Promise<Extracted> {
  // PDF.js may detach the buffer it is given and refuses Node Buffers: hand it a private copy.
  const data = new Uint8Array(bytes);
  let doc: PdfDocument;
  try {
    doc = (await getDocumentProxy(data, { verbosity: 0 })) as PdfDocument;
  } catch (error) {
    throw errorName(error) === 'PasswordException' ? encrypted('PDF', error) : corrupt('PDF', error);
  }
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      pages.push(pageText(content.items));
      page.cleanup();
    }
    const text = tidyText(pages.join('\n\n'));
    if (text === '') {
      throw empty('The PDF has no text layer (it may be a scan). Text recognition (OCR) is not supported.');
    }
    const meta = await doc.getMetadata().catch(() => undefined);
    const info: unknown = meta?.info;
    const rawTitle = typeof info === 'object' && info !== null && 'Title' in info ? info.Title : undefined;
    const title = cleanTitle(typeof rawTitle === 'string' ? rawTitle : undefined);
    return { text, pages: doc.numPages, ...(title === undefined ? {} : { title }) };
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw corrupt('PDF', error);
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
