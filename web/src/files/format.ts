import type { Schema } from '@mandant/client';

export type DocumentView = Schema<'DocumentView'>;
export type DocumentStatus = DocumentView['status'];

/** A size for people: 0 B, 999 B, 1.5 KB, 12 MB (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A date and time in the reader's locale, or the text as given when it is not a date. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Statuses a document may still leave: the console follows them live. */
export const isUnsettled = (status: DocumentStatus): boolean => status === 'pending' || status === 'processing';

/** A document's title, or what stands for it while it has none. */
export const titleOf = (doc: { title: string | null; kind?: string }): string =>
  doc.title ?? `Untitled${doc.kind ? ` ${doc.kind}` : ''} document`;

/**
 * A status event of GET /documents/{id}/status applied to a document: only the fields the event
 * carries, and only when it is the same document and the event parses.
 */
export function applyStatusEvent(doc: DocumentView, data: unknown): DocumentView {
  if (!data || typeof data !== 'object') return doc;
  const e = data as Record<string, unknown>;
  if (e.id !== doc.id) return doc;
  const statuses: readonly DocumentStatus[] = ['pending', 'processing', 'processed', 'failed', 'deleted'];
  const status = statuses.find((s) => s === e.status);
  if (!status) return doc;
  const f = e.failure && typeof e.failure === 'object' ? (e.failure as Record<string, unknown>) : null;
  const failure = f && typeof f.message === 'string' ? { code: typeof f.code === 'string' ? f.code : '', message: f.message } : null;
  return {
    ...doc,
    status,
    failure: status === 'failed' ? (failure ?? doc.failure) : null,
    chunk_count: typeof e.chunk_count === 'number' ? e.chunk_count : doc.chunk_count,
    entity_count: typeof e.entity_count === 'number' ? e.entity_count : doc.entity_count,
    updated_at: typeof e.updated_at === 'string' ? e.updated_at : doc.updated_at,
  };
}
