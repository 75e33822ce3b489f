/** A search as its URL holds it: shareable, and restored when the caller switches back to the project. */
export interface SearchParamsState {
  q: string;
  mode: 'hybrid' | 'keyword' | 'vector';
  type: string;
  from: string;
  to: string;
  entity: string;
  page: number;
}

export const MODES = ['hybrid', 'keyword', 'vector'] as const;
export const DOCUMENT_TYPES = ['pdf', 'docx', 'html', 'markdown', 'text', 'csv'] as const;
export const PAGE_SIZE = 10;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Reads a search from URL params; whatever does not parse takes its default. */
export function readSearch(params: URLSearchParams): SearchParamsState {
  const mode = MODES.find((m) => m === params.get('mode')) ?? 'hybrid';
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return {
    q: (params.get('q') ?? '').slice(0, 1000),
    mode,
    type: DOCUMENT_TYPES.find((t) => t === params.get('type')) ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    entity: (params.get('entity') ?? '').slice(0, 200),
    page: Number.isFinite(page) && page >= 1 && page <= 1000 ? page : 1,
  };
}

/** The URL params of a search: only what differs from the defaults, in a stable order. */
export function writeSearch(s: SearchParamsState): URLSearchParams {
  const params = new URLSearchParams();
  if (s.q) params.set('q', s.q);
  if (s.mode !== 'hybrid') params.set('mode', s.mode);
  if (s.type) params.set('type', s.type);
  if (s.from) params.set('from', s.from);
  if (s.to) params.set('to', s.to);
  if (s.entity) params.set('entity', s.entity);
  if (s.page > 1) params.set('page', String(s.page));
  return params;
}

/** A YYYY-MM-DD date that exists, or null. */
export function validDate(text: string): string | null {
  if (!DATE.test(text)) return null;
  const date = new Date(`${text}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? text : null;
}

/** What is wrong with a search's dates, in words, or null when they are fine (or absent). */
export function dateProblem(s: Pick<SearchParamsState, 'from' | 'to'>): string | null {
  if (s.from && !validDate(s.from)) return 'From: write the date as YYYY-MM-DD.';
  if (s.to && !validDate(s.to)) return 'To: write the date as YYYY-MM-DD.';
  if (s.from && s.to && s.from > s.to) return 'From is after To.';
  return null;
}

/** The API's request body for a search: the whole days From and To included. */
export function searchBody(s: SearchParamsState) {
  const filters: { document_type?: string; from?: string; to?: string; entity?: string } = {};
  if (s.type) filters.document_type = s.type;
  if (s.from && validDate(s.from)) filters.from = `${s.from}T00:00:00.000Z`;
  if (s.to && validDate(s.to)) filters.to = `${s.to}T23:59:59.999Z`;
  if (s.entity.trim()) filters.entity = s.entity.trim();
  return { query: s.q.trim(), mode: s.mode, filters, limit: PAGE_SIZE, offset: (s.page - 1) * PAGE_SIZE };
}

/** One piece of a snippet: text, marked or not. */
export interface SnippetPart {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The text an escaped HTML fragment stands for: entities decoded, never parsed as markup. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The words of a query worth marking: letters and digits, two or more of them. */
export function queryWords(query: string): string[] {
  return [...new Set((query.match(/[\p{L}\p{N}]{2,}/gu) ?? []).map((w) => w.toLowerCase()))].slice(0, 32);
}

/**
 * A hit's snippet as pieces of text to render as React elements (never as HTML): the API
 * sends it escaped with its matches in `<mark>…</mark>`; those stay marked, and so does every
 * word of the query the text holds (a vector hit's snippet has no marks of its own).
 */
export function snippetParts(snippet: string, query: string): SnippetPart[] {
  let text = '';
  const marked: [number, number][] = [];
  let open: number | null = null;
  for (const token of snippet.split(/(<mark>|<\/mark>)/i)) {
    if (/^<mark>$/i.test(token)) open ??= text.length;
    else if (/^<\/mark>$/i.test(token)) {
      if (open !== null && text.length > open) marked.push([open, text.length]);
      open = null;
    } else text += unescapeHtml(token);
  }
  if (open !== null && text.length > open) marked.push([open, text.length]);
  const words = queryWords(query);
  if (words.length > 0) {
    const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu');
    for (const m of text.matchAll(pattern)) if (m[0].length > 0) marked.push([m.index, m.index + m[0].length]);
  }
  marked.sort((a, b) => a[0] - b[0]);
  const parts: SnippetPart[] = [];
  let at = 0;
  for (const [start, end] of marked) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    if (from > at) parts.push({ text: text.slice(at, from), mark: false });
    const last = parts.at(-1);
    if (last?.mark && from === at) last.text += text.slice(from, end);
    else parts.push({ text: text.slice(from, end), mark: true });
    at = end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}
