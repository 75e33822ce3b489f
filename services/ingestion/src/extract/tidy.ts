import { normaliseNewlines } from './text-decode.ts';

/**
 * Layout cleanup for text that came out of a layout format (PDF, DOCX, HTML): no trailing
 * spaces, at most one blank line between paragraphs, no leading/trailing blank lines.
 * Plain text and Markdown skip this, so what the user wrote is kept byte for byte.
 */
export function tidyText(text: string): string {
  return normaliseNewlines(text)
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '');
}

/** A short single-line title, or undefined when there is nothing worth calling one. */
export function cleanTitle(raw: string | undefined, maxChars = 200): string | undefined {
  const title = raw?.replace(/\s+/g, ' ').trim();
  if (title === undefined || title === '') return undefined;
  return title.length > maxChars ? `${title.slice(0, maxChars - 1).trimEnd()}…` : title;
}
