import type { Schema } from '@mandant/client';
import type { ServerEvent } from '../sse.ts';

export type Message = Schema<'MessageView'>;
export type Citation = Schema<'CitationView'>;

/** A question on its way: what was asked, the answer as it streams in, and how it ended. */
export interface PendingAnswer {
  question: string;
  /** the tokens joined so far */
  text: string;
  /** the recorded answer (`done`): its content and citations replace the streamed text */
  done: Message | null;
  /** the problem the stream reported (`error`), or a refusal before it started */
  problem: { status?: number; title?: string; detail?: string } | null;
  /** the reader stopped it: nothing was recorded */
  stopped: boolean;
}

export const pendingAnswer = (question: string): PendingAnswer => ({ question, text: '', done: null, problem: null, stopped: false });

const record = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

const isMessage = (value: unknown): value is Message => {
  const m = record(value);
  return m !== null && typeof m['id'] === 'string' && typeof m['content'] === 'string' && m['role'] === 'assistant';
};

/**
 * One server-sent event of a streamed answer applied to the pending answer: `token` appends its
 * text, `done` carries the whole recorded message, `error` a problem. Anything else (a heartbeat,
 * an event of a later version) changes nothing; so does anything after the answer ended.
 */
export function applyEvent(state: PendingAnswer, event: ServerEvent): PendingAnswer {
  if (state.done || state.problem || state.stopped) return state;
  const data = record(event.data);
  switch (event.event) {
    case 'token':
      return typeof data?.['text'] === 'string' ? { ...state, text: state.text + data['text'] } : state;
    case 'done':
      return isMessage(event.data) ? { ...state, done: event.data, text: event.data.content } : state;
    case 'error':
      return {
        ...state,
        problem: {
          status: typeof data?.['status'] === 'number' ? data['status'] : undefined,
          title: typeof data?.['title'] === 'string' ? data['title'] : 'The answer failed',
          detail: typeof data?.['detail'] === 'string' ? data['detail'] : undefined,
        },
      };
    default:
      return state;
  }
}

/**
 * Where a citation opens: the cited passage in the document's detail, in a project of the
 * citation the reader can open — the conversation's own project first. Null when none of its
 * projects is one of the reader's (the passage then opens in global view).
 */
export function citationHref(
  citation: Pick<Citation, 'document_id' | 'chunk_id' | 'project_ids'>,
  projects: readonly { id: string; slug: string }[],
  preferProjectId: string | null,
): string {
  const ids = citation.project_ids.map((id) => id.toLowerCase());
  const own = preferProjectId && ids.includes(preferProjectId.toLowerCase()) ? preferProjectId.toLowerCase() : null;
  const project =
    (own ? projects.find((p) => p.id.toLowerCase() === own) : undefined) ?? projects.find((p) => ids.includes(p.id.toLowerCase()));
  const detail = `files/${encodeURIComponent(citation.document_id)}?chunk=${encodeURIComponent(citation.chunk_id)}`;
  return project ? `/projects/${encodeURIComponent(project.slug)}/${detail}` : `/global/${detail}`;
}

/** A conversation's title from its first question: the first words, cut at a word near 60 characters. */
export function titleFrom(question: string): string {
  const text = question.replace(/\s+/g, ' ').trim();
  if (text.length <= 60) return text;
  const cut = text.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
