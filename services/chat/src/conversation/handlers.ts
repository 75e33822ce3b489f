import {
  ConversationIdInput,
  ConversationStarted,
  type ConversationView,
  CreateConversationInput,
  ListConversationsInput,
  type MessageView,
  PostMessageInput,
  type Principal,
  rpc,
  streams,
} from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import { DomainError, notFound } from '@mandant/shared/errors';
import { uuidv7 } from '@mandant/shared/ids';
import { type RpcClient, type RpcContext, type RpcHandler, streamingHandler } from '@mandant/shared/rpc';
import { requireProjectRole } from '@mandant/membership';
import { projectLookup, projectSummaries } from '@mandant/project';
import { requestEventMeta, runCommand } from '@mandant/shared/service';
import { guardContentWrite, requireWritable } from '@mandant/project';
import type { ServiceDeps } from '@mandant/shared/service';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { sealJson } from '@mandant/shared/stores/crypto';
import { type Answer, type AnswerContext, type Generator, extractiveGenerator } from '../answer/generate.ts';
import { passagesFrom } from '../answer/passages.ts';
import { connections, planRetrieval, search } from '../answer/retrieve.ts';
import { waitForConversationViews } from '../views/projection.ts';
import {
  type ConversationRow,
  type MessageRow,
  citedTitles,
  conversationAccess,
  grantFor,
  readableProjects,
  requireChatter,
  toConversationView,
  toMessageView,
} from './access.ts';
import { type ConversationCommand, conversationDecider } from './decide.ts';

export interface ChatHandlerDeps extends ServiceDeps {
  keyring: Keyring;
  /** calls search and entities as the caller */
  rpc: RpcClient;
  generator: Generator;
}

const DEFAULT_TITLE = 'Untitled conversation';

export function chatHandlers(deps: ChatHandlerDeps): Record<string, RpcHandler> {
  const { sql, store, clock, log, keyring } = deps;

  /** A project's conversation is its content: an archived project takes none (checked again inside the append). */
  async function execute(p: Principal, ctx: RpcContext, conversationId: string, projectId: string | null, command: ConversationCommand) {
    const write = command.type === 'StartConversation' ? 'conversation.create' : 'conversation.message';
    const res = await runCommand({
      store,
      clock,
      decider: conversationDecider,
      tenantId: p.tenant_id,
      stream: streams.conversation(conversationId),
      projectId,
      command,
      meta: requestEventMeta(ctx, p.actor),
      beforeCommit: projectId ? () => (tx) => guardContentWrite(tx, p.tenant_id, write, [projectId]) : undefined,
    });
    await waitForConversationViews(sql, log, p.tenant_id, res.position);
    return res;
  }

  /** The conversation as its stream tells it (authoritative, no view lag): its project and creator. */
  async function loadConversation(p: Principal, conversationId: string) {
    const { events } = await store.readStream(p.tenant_id, streams.conversation(conversationId));
    const started = events[0];
    if (!started || started.type !== 'conversation.started.v1') throw notFound('conversation');
    return { project_id: ConversationStarted.shape.data.parse(started.data).project_id, created_by: started.actor };
  }

  async function view(p: Principal, conversationId: string): Promise<ConversationView> {
    return withTenant(sql, p.tenant_id, async (tx) => {
      const [row] = await tx<
        ConversationRow[]
      >`select * from conversations_view where tenant_id = ${p.tenant_id} and conversation_id = ${conversationId}`;
      if (!row) throw notFound('conversation');
      await conversationAccess(tx, p, row);
      const rows = await tx<
        MessageRow[]
      >`select * from conversation_messages_view where tenant_id = ${p.tenant_id} and conversation_id = ${conversationId} order by position, role desc`;
      const readable = await readableProjects(tx, p);
      const titles = await citedTitles(tx, p.tenant_id, rows);
      return toConversationView(
        row,
        rows.map((r) => toMessageView(r, p, readable, titles)),
      );
    });
  }

  /**
   * Everything decided before a word of the answer is written: the conversation, the caller's
   * access, the archived-project rule, the retrieval scope, the passages. A refusal here reaches
   * the client as an error answer, never as a broken stream.
   */
  async function prepare(p: Principal, ctx: RpcContext, input: ReturnType<typeof PostMessageInput.parse>) {
    const conversationId = input.conversation_id.toLowerCase();
    const conversation = await loadConversation(p, conversationId);
    const plan = planRetrieval(conversation, input);
    const { project, grant } = await withTenant(sql, p.tenant_id, async (tx) => {
      const role = await conversationAccess(tx, p, conversation);
      const proj = conversation.project_id
        ? (await projectSummaries(tx, p.tenant_id, [conversation.project_id])).get(conversation.project_id.toLowerCase())
        : undefined;
      // refused before retrieving and generating: an archived project's conversations take no messages
      if (conversation.project_id && proj) requireWritable('conversation.message', conversation.project_id, proj.status);
      const readable = plan.scope === 'global' ? await readableProjects(tx, p) : {};
      const inScope = conversation.project_id && role ? { id: conversation.project_id, role } : null;
      return {
        project: proj ? { name: proj.name, description: proj.description } : null,
        grant: grantFor(p, plan.scope, inScope, readable),
      };
    });

    const caller = { rpc: deps.rpc, principal: p, meta: ctx.meta, log };
    const position = await store.head(p.tenant_id);
    const hits = await search(caller, plan);
    const facts = await connections(caller, plan, input.content);
    const passages = passagesFrom(hits);
    const context: AnswerContext = { project, scope: plan.scope, question: input.content, passages, connections: facts };
    return { conversationId, conversation, plan, grant, position, passages, context, question: input.content };
  }
  type Prepared = Awaited<ReturnType<typeof prepare>>;

  /**
   * The answer, its text handed to `emit` as it is written. A chat model that fails before its
   * first word still leaves the user an answer, from the same passages; one that fails after it
   * ends the answer with an error (what was shown cannot be taken back), and nothing is recorded.
   */
  async function write(
    p: Principal,
    ctx: RpcContext,
    prepared: Prepared,
    emit: (text: string) => void,
    signal: AbortSignal,
  ): Promise<Answer> {
    const where = { tenant_id: p.tenant_id, project_id: prepared.conversation.project_id, correlation_id: ctx.meta.correlation_id };
    let said = false;
    const say = (text: string) => {
      said = true;
      emit(text);
    };
    try {
      return await deps.generator.write(prepared.context, say, signal);
    } catch (err) {
      if (signal.aborted) throw new DomainError('unavailable', 'the answer was stopped: its client left');
      if (said) {
        log.warn({ err, ...where }, 'chat model failed mid-answer');
        throw new DomainError('unavailable', 'the chat model failed mid-answer: ask again');
      }
      log.warn({ err, ...where }, 'chat model failed; answering extractively');
      return extractiveGenerator.write(prepared.context, emit, signal);
    }
  }

  /** Records the question and the whole answer as one event, once, and returns the answer as the client sees it. */
  async function record(p: Principal, ctx: RpcContext, prepared: Prepared, written: Answer): Promise<MessageView> {
    const { conversationId, conversation, plan, grant, position, passages } = prepared;
    const messageId = uuidv7();
    const answerId = uuidv7();
    await execute(p, ctx, conversationId, conversation.project_id, {
      type: 'AskQuestion',
      message_id: messageId,
      sealed: await sealJson(keyring, p.tenant_id, conversationId, { content: prepared.question }),
      answer: {
        message_id: answerId,
        scope: plan.scope,
        project_ids: grant.project_ids,
        grant: grant.grant,
        position,
        chunk_ids: passages.map((x) => x.chunk_id),
        citations: written.citations,
        generator: written.generator,
        sealed: await sealJson(keyring, p.tenant_id, conversationId, { content: written.content }),
      },
    });
    const titles = new Map(passages.map((x) => [x.document_id, x.title]));
    return {
      id: answerId,
      role: 'assistant',
      content: written.content,
      created_at: clock.now().toISOString(),
      citations: written.citations.map((c) => ({ ...c, title: titles.get(c.document_id) ?? null })),
      scope: plan.scope,
    };
  }

  return {
    async [rpc.conversationCreate](input, ctx) {
      const p = requireChatter(ctx.principal);
      const q = CreateConversationInput.parse(input ?? {});
      const projectId = q.project_id?.toLowerCase() ?? null;
      if (projectId)
        requireWritable(
          'conversation.create',
          projectId,
          (await withTenant(sql, p.tenant_id, (tx) => requireProjectRole(tx, projectLookup, p, projectId, 'viewer'))).status,
        );
      const id = uuidv7();
      const sealed = await sealJson(keyring, p.tenant_id, id, { title: q.title ?? DEFAULT_TITLE });
      await execute(p, ctx, id, projectId, { type: 'StartConversation', project_id: projectId, sealed });
      return view(p, id);
    },

    async [rpc.conversationList](input, ctx) {
      const p = requireChatter(ctx.principal);
      const q = ListConversationsInput.parse(input ?? {});
      return withTenant(sql, p.tenant_id, async (tx) => {
        if (q.project_id) await requireProjectRole(tx, projectLookup, p, q.project_id, 'viewer');
        const creators = [p.actor, p.user_id ? `user:${p.user_id}` : p.actor];
        // without a project: the global conversations, the caller's own (a tenant admin's: all)
        const scope = q.project_id
          ? tx`project_id = ${q.project_id}`
          : p.tenant_role === 'tenant_admin'
            ? tx`project_id is null`
            : tx`project_id is null and created_by = any(${creators})`;
        const rows = await tx<ConversationRow[]>`select * from conversations_view where tenant_id = ${p.tenant_id} and ${scope}
                              order by updated_at desc, conversation_id desc limit ${q.limit}`;
        return { conversations: rows.map((r) => toConversationView(r)) };
      });
    },

    async [rpc.conversationGet](input, ctx) {
      const p = requireChatter(ctx.principal);
      const { conversation_id } = ConversationIdInput.parse(input);
      return view(p, conversation_id.toLowerCase());
    },

    /** Streamed (chunks `{text}`, then the MessageView) or, over request/reply, the MessageView alone. */
    [rpc.messagePost]: streamingHandler(async (input, ctx, emit) => {
      const p = requireChatter(ctx.principal);
      const prepared = await prepare(p, ctx, PostMessageInput.parse(input));
      const written = await write(p, ctx, prepared, (text) => emit({ text }), ctx.signal);
      return record(p, ctx, prepared, written);
    }),
  };
}
