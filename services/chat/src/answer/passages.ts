import type { Citation, SearchHit } from '@mandant/contracts';

/** One retrieved chunk as the generators see it: numbered from 1 in rank order. */
export interface Passage {
  n: number;
  document_id: string;
  chunk_id: string;
  /** the projects the caller may read that hold the document (the search service says which) */
  project_ids: string[];
  title: string | null;
  text: string;
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&amp;': '&' };

/** The search snippet is escaped HTML with `<mark>` around matches: back to plain text. */
export function plainText(snippet: string): string {
  return snippet
    .replace(/<\/?mark>/g, '')
    .replace(/&(lt|gt|quot|#39|#x27|amp);/g, (m) => ENTITIES[m] ?? m)
    .replace(/\s+/g, ' ')
    .trim();
}

export function passagesFrom(hits: SearchHit[]): Passage[] {
  return hits.map((h, i) => ({
    n: i + 1,
    document_id: h.document_id,
    chunk_id: h.chunk_id,
    project_ids: [...h.project_ids].sort(),
    title: h.title,
    text: plainText(h.snippet),
  }));
}

/**
 * Keeps the markers `[n]` (or `[n, m]`) that name a retrieved passage, renumbers them 1..k in
 * order of first use so `[i]` is the i-th citation, and drops markers naming no passage (a
 * model may invent them). The citations are exactly the passages the text cites.
 */
export function mapCitations(text: string, passages: Passage[]): { content: string; citations: Citation[] } {
  const byN = new Map(passages.map((p) => [p.n, p]));
  const order: number[] = [];
  const content = text
    .replace(/\[(\d+(?:\s*,\s*\d+)*)\]/g, (_m, list: string) => {
      const kept = list
        .split(',')
        .map((s) => Number(s.trim()))
        .filter((n) => byN.has(n));
      if (kept.length === 0) return '';
      const renumbered = [...new Set(kept)].map((n) => {
        if (!order.includes(n)) order.push(n);
        return order.indexOf(n) + 1;
      });
      return `[${renumbered.join(', ')}]`;
    })
    .replace(/[ \t]+([.,;:!?])/g, '$1')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
  const citations = order.flatMap((n) => {
    const p = byN.get(n);
    return p ? [{ document_id: p.document_id, chunk_id: p.chunk_id, project_ids: p.project_ids }] : [];
  });
  return { content, citations };
}
