import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api, unwrap } from '../api.ts';
import { scopePath, useMyProjects, useScope } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { readEvents } from '../sse.ts';
import { type PendingAnswer, applyEvent, pendingAnswer, titleFrom } from './answer.ts';
import { ConversationList, conversationsKey } from './ConversationList.tsx';
import { ConversationView, conversationKey } from './ConversationView.tsx';
import { type Asking, beginStream, endStream, setAsking, stopStream, useAsking } from './store.ts';
import './chat.css';

/**
 * Chat with the documents: the conversations of this project (or, in global view, the tenant-wide
 * ones), and the open conversation, whose answers stream in as they are written.
 */
export function ChatPage() {
  const scope = useScope();
  const { conversationId } = useParams();
  const projects = useMyProjects();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const asking = useAsking();

  const create = useMutation({
    mutationFn: async (title: string | undefined) => {
      const body = title ? { title } : {};
      return unwrap(
        scope.kind === 'global'
          ? await api.POST('/chat/conversations', { body })
          : await api.POST('/projects/{id}/chat/conversations', { params: { path: { id: scope.slug } }, body }),
      );
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: conversationsKey(scope) }),
  });

  const start = async (title?: string): Promise<string> => {
    const conversation = await create.mutateAsync(title);
    await navigate(scopePath(scope, `chat/${encodeURIComponent(conversation.id)}`));
    return conversation.id;
  };

  /**
   * Asks a question and streams the answer into the log as it is written (a question without a
   * conversation starts one, titled by it). The recorded exchange then comes from the server.
   */
  const ask = async (question: string) => {
    const id = conversationId ?? (await start(titleFrom(question)).catch(() => null));
    if (!id) return;
    const mine = (update: (a: Asking) => Asking) => setAsking((a) => (a && a.conversationId === id ? update(a) : a));
    setAsking({ ...pendingAnswer(question), conversationId: id, error: null });
    const abort = beginStream();
    try {
      const body = unwrap(
        await api.POST('/chat/conversations/{id}/messages', {
          params: { path: { id } },
          body: { content: question, stream: true },
          parseAs: 'stream',
          signal: abort.signal,
        }),
      );
      let latest: PendingAnswer = pendingAnswer(question);
      await readEvents(body, (event) => {
        latest = applyEvent(latest, event);
        const now = latest;
        mine((a) => ({ ...a, ...now }));
      });
      void queryClient.invalidateQueries({ queryKey: ['chat', 'conversations'] });
      if (latest.done) {
        // the recorded exchange comes from the server now: the streamed copy goes once it is there
        await queryClient.invalidateQueries({ queryKey: conversationKey(id) });
        setAsking((a) => (a && a.conversationId === id ? null : a));
      } else if (!latest.problem) {
        mine((a) => ({
          ...a,
          problem: {
            title: 'The answer ended early',
            detail: 'The connection closed before the answer was complete; it was not recorded.',
          },
        }));
      }
    } catch (error) {
      if (abort.signal.aborted) mine((a) => ({ ...a, stopped: true }));
      else mine((a) => ({ ...a, error }));
    } finally {
      endStream(abort);
    }
  };

  const stop = stopStream;
  const streaming = asking !== null && !asking.done && !asking.problem && !asking.stopped && asking.error === null;
  const shown = asking && asking.conversationId === conversationId ? asking : null;

  return (
    <div className="chat-page">
      <h1>Chat</h1>
      <div className="chat-layout">
        <div className="chat-side">
          <button type="button" onClick={() => void start().catch(() => undefined)} disabled={create.isPending}>
            New conversation
          </button>
          <ProblemAlert error={create.error} />
          <ConversationList scope={scope} projects={projects.data ?? []} currentId={conversationId} />
        </div>
        <ConversationView
          scope={scope}
          conversationId={conversationId}
          projects={projects.data ?? []}
          asking={shown}
          streaming={streaming}
          creating={create.isPending}
          onAsk={(q) => void ask(q)}
          onStop={stop}
          problemOf={(a) => a.error ?? (a.problem ? new ApiError(a.problem.status ?? 502, a.problem) : null)}
        />
      </div>
    </div>
  );
}
