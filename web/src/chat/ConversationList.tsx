import { useQueries, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'react-router';
import type { Schema } from '@mandant/client';
import { api, unwrap } from '../api.ts';
import { type MyProject, type Scope, scopePath } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';

type Conversation = Schema<'ConversationView'>;

/** How many other projects' conversations are listed, and how many of each: a glance, not an archive. */
const OTHER_PROJECTS = 12;
const PER_OTHER_PROJECT = 5;

export const conversationsKey = (scope: Scope) => ['chat', 'conversations', scope.kind === 'global' ? 'global' : scope.slug] as const;

export async function listConversations(scope: Scope): Promise<Conversation[]> {
  const answer =
    scope.kind === 'global'
      ? await api.GET('/chat/conversations', { params: { query: { limit: 50 } } })
      : await api.GET('/projects/{id}/chat/conversations', { params: { path: { id: scope.slug }, query: { limit: 50 } } });
  return unwrap(answer).conversations;
}

/**
 * The scope's conversations, then — dimmed — those of the reader's other projects, each with its
 * project's name and opening in that project (a conversation answers from its own project).
 */
export function ConversationList({
  scope,
  projects,
  currentId,
}: {
  scope: Scope;
  projects: readonly MyProject[];
  currentId: string | undefined;
}) {
  const headingId = useId();
  const own = useQuery({ queryKey: conversationsKey(scope), queryFn: () => listConversations(scope) });
  const currentProjectId = scope.kind === 'project' ? scope.project?.id : undefined;
  const others = projects
    .filter((p) => p.id !== currentProjectId && (scope.kind === 'global' || p.slug !== scope.slug))
    .slice(0, OTHER_PROJECTS);
  const elsewhere = useQueries({
    queries: others.map((p) => ({
      queryKey: ['chat', 'conversations', p.slug, 'recent'],
      queryFn: async () =>
        unwrap(await api.GET('/projects/{id}/chat/conversations', { params: { path: { id: p.id }, query: { limit: PER_OTHER_PROJECT } } }))
          .conversations,
    })),
  });
  const otherItems = others.flatMap((p, i) => (elsewhere[i]?.data ?? []).map((c) => ({ conversation: c, project: p })));

  return (
    <div className="conversations">
      <h2 id={headingId}>Conversations</h2>
      <ProblemAlert error={own.error} />
      <ul aria-labelledby={headingId} className="conversation-list">
        {(own.data ?? []).map((c) => (
          <li key={c.id}>
            <Link to={scopePath(scope, `chat/${encodeURIComponent(c.id)}`)} aria-current={c.id === currentId ? 'page' : undefined}>
              {c.title || 'Untitled conversation'}
            </Link>
            <span className="muted small"> {new Date(c.updated_at).toLocaleString()}</span>
          </li>
        ))}
        {otherItems.map(({ conversation: c, project }) => (
          <li key={c.id} className="other-project">
            <Link to={`/projects/${encodeURIComponent(project.slug)}/chat/${encodeURIComponent(c.id)}`}>
              {c.title || 'Untitled conversation'}
            </Link>
            <span className="project-label small"> in {project.name}</span>
          </li>
        ))}
      </ul>
      {own.data && own.data.length === 0 ? <p className="muted small">No conversations here yet.</p> : null}
    </div>
  );
}
