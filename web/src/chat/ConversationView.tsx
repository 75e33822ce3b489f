import { useQuery } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import { Link, Navigate } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type MyProject, type Scope, scopePath } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { type Message, citationHref } from './answer.ts';
import { type Asking, draftOf, setDraft as keepDraft } from './store.ts';

export const conversationKey = (id: string) => ['chat', 'conversation', id] as const;

/** One message: its text as text (never HTML), and an answer's citations as links to the cited passages. */
function MessageItem({
  role,
  content,
  citations,
  projects,
  projectId,
}: {
  role: Message['role'];
  content: string;
  citations?: Message['citations'];
  projects: readonly MyProject[];
  projectId: string | null;
}) {
  return (
    <div className={`message ${role}`}>
      <strong className="message-author">{role === 'user' ? 'You' : 'Answer'}</strong>
      <p className="message-text">{content}</p>
      {citations && citations.length > 0 ? (
        <ol className="citations" aria-label="Sources">
          {citations.map((c, i) => (
            <li key={`${c.chunk_id}-${i}`}>
              <Link to={citationHref(c, projects, projectId)}>{`[${i + 1}] ${c.title ?? 'Untitled document'}`}</Link>
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

/** The open conversation: its history, the answer being written, and the message box. */
export function ConversationView({
  scope,
  conversationId,
  projects,
  asking,
  streaming,
  creating,
  onAsk,
  onStop,
  problemOf,
}: {
  scope: Scope;
  conversationId: string | undefined;
  projects: readonly MyProject[];
  asking: Asking | null;
  streaming: boolean;
  creating: boolean;
  onAsk: (question: string) => void;
  onStop: () => void;
  problemOf: (a: Asking) => unknown;
}) {
  const draftKey = scope.kind === 'global' ? 'global' : `project:${scope.slug}`;
  const [draft, setDraftState] = useState(() => draftOf(draftKey));
  const setDraft = (text: string) => {
    setDraftState(text);
    keepDraft(draftKey, text);
  };
  const messageId = useId();
  const conversation = useQuery({
    queryKey: conversationKey(conversationId ?? ''),
    enabled: conversationId !== undefined,
    queryFn: async () => unwrap(await api.GET('/chat/conversations/{id}', { params: { path: { id: conversationId ?? '' } } })),
  });

  // a conversation answers from its own project (or the whole tenant): opened elsewhere, it moves there
  const c = conversation.data;
  if (c && projects.length > 0) {
    const here = scope.kind === 'project' ? projects.find((p) => p.slug === scope.slug || p.id === scope.slug)?.id : null;
    if ((c.project_id ?? null) !== (here ?? null)) {
      const home = c.project_id ? projects.find((p) => p.id === c.project_id) : null;
      const to = c.project_id
        ? home
          ? `/projects/${encodeURIComponent(home.slug)}/chat/${encodeURIComponent(c.id)}`
          : null
        : `/global/chat/${encodeURIComponent(c.id)}`;
      if (to) return <Navigate to={to} replace />;
    }
  }

  const projectId = c?.project_id ?? (scope.kind === 'project' ? (scope.project?.id ?? null) : null);
  const send = (e?: FormEvent) => {
    e?.preventDefault();
    const question = draft.trim();
    if (!question || streaming || creating) return;
    setDraft('');
    onAsk(question);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter starts a new line
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) send(e);
  };
  const messages = c?.messages ?? [];
  const problem = asking ? problemOf(asking) : null;

  return (
    <section className="conversation" aria-label="Conversation">
      <h2>{c ? c.title || 'Untitled conversation' : conversationId ? 'Conversation' : 'Ask your documents'}</h2>
      <ProblemAlert error={conversation.error} />
      {!conversationId ? (
        <p className="muted">
          {scope.kind === 'global'
            ? 'Answers draw on every project you can read.'
            : 'Answers draw on this project’s documents and cite the passages they rest on.'}
        </p>
      ) : null}
      <div role="log" aria-label="Messages" className="chat-log" aria-busy={streaming}>
        {messages.map((m) => (
          <MessageItem key={m.id} role={m.role} content={m.content} citations={m.citations} projects={projects} projectId={projectId} />
        ))}
        {asking && asking.question ? (
          <>
            <MessageItem role="user" content={asking.question} projects={projects} projectId={projectId} />
            {asking.text || asking.done ? (
              <MessageItem
                role="assistant"
                content={asking.done?.content ?? asking.text}
                citations={asking.done?.citations}
                projects={projects}
                projectId={projectId}
              />
            ) : streaming ? (
              <p className="muted">Searching the documents…</p>
            ) : null}
            {asking.stopped ? <p className="muted">Stopped. This answer was not recorded.</p> : null}
          </>
        ) : null}
      </div>
      <ProblemAlert error={problem} />
      <form className="composer" onSubmit={send}>
        <label htmlFor={messageId}>Message</label>
        <textarea
          id={messageId}
          rows={3}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder="Ask a question about the documents"
        />
        <div className="row">
          <button type="submit" disabled={streaming || creating || draft.trim() === ''}>
            Send
          </button>
          {streaming ? (
            <button type="button" className="quiet" onClick={onStop}>
              Stop
            </button>
          ) : null}
          {scope.kind === 'project' && !conversationId ? (
            <span className="muted small">Sending starts a new conversation in this project.</span>
          ) : null}
        </div>
      </form>
      {c ? (
        <p className="muted small">
          <Link to={scopePath(scope, 'chat')}>All conversations</Link>
        </p>
      ) : null}
    </section>
  );
}
