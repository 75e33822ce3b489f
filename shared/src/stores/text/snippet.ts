/**
 * Engines mark matches with these private-use characters instead of `<mark>` directly, so the
 * snippet can be HTML-escaped afterwards without escaping the marks, and without trusting any
 * markup that was in the document. Adapters remove them from indexed text (`canonicalDoc`).
 */
export const MATCH_START = '\uE000';
export const MATCH_END = '\uE001';

// NUL too: PostgreSQL text cannot hold it, and it carries nothing a reader could search for
const SENTINELS = /[\uE000\uE001\u0000]/g;

/** Text as the engines index and query it: without the match markers (and NUL). */
export const withoutSentinels = (text: string): string => text.replace(SENTINELS, '');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escaped text with balanced `<mark>` tags where the engine marked matches. */
export function snippetHtml(marked: string): string {
  let out = '';
  let open = false;
  for (const ch of marked) {
    if (ch === MATCH_START) {
      if (!open) out += '<mark>';
      open = true;
    } else if (ch === MATCH_END) {
      if (open) out += '</mark>';
      open = false;
    } else {
      out += ESCAPES[ch] ?? ch;
    }
  }
  return open ? `${out}</mark>` : out;
}
