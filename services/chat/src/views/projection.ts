import { AnswerRecorded, ConversationStarted, type EventEnvelope, MessagePosted } from '@mandant/contracts';
import type { Sql, Tx } from '@mandant/shared/db';
import type { Logger } from '@mandant/shared/log';
import { type Projection, waitForCheckpoints } from '@mandant/shared/projection';
import type { Keyring } from '@mandant/shared/stores/crypto';
import { openJson } from '@mandant/shared/stores/crypto';
import { z } from 'zod';

const Title = z.object({ title: z.string() });
const Content = z.object({ content: z.string() });

/** A sealed field that no longer opens (the tenant's key was destroyed) reads as erased: null. */
async function opened<T>(
  keyring: Keyring,
  e: EventEnvelope,
  conversationId: string,
  sealed: string,
  schema: z.ZodType<T>,
): Promise<T | null> {
  try {
    return schema.parse(await openJson(keyring, e.tenant_id, conversationId, sealed));
  } catch (err) {
    if ((err as Error).name === 'DataKeyDestroyedError') return null;
    throw err;
  }
}

const conversationIdOf = (stream: string): string => stream.replace(/^conversation-/, '');

export const CONVERSATION_VIEWS = { name: 'conversation-views', version: 1 } as const;
const CHECKPOINT = `${CONVERSATION_VIEWS.name}@v${CONVERSATION_VIEWS.version}`;

/**
 * conversations_view and conversation_messages_view: what the chat API lists and reads. Texts
 * are opened from the sealed events here; rows are keyed by ids, so applying an event twice
 * changes nothing.
 */
export function conversationViews(keyring: Keyring): Projection {
  return {
    ...CONVERSATION_VIEWS,
    handles: (type) => type.startsWith('conversation.'),
    async apply(tx: Tx, e: EventEnvelope) {
      const t = e.tenant_id;
      const c = conversationIdOf(e.stream);
      const touch = () =>
        tx`update conversations_view set updated_at = greatest(updated_at, ${e.occurred_at}::timestamptz) where tenant_id = ${t} and conversation_id = ${c}`;
      switch (e.type) {
        case 'conversation.started.v1': {
          const data = ConversationStarted.shape.data.parse(e.data);
          const secret = await opened(keyring, e, c, data.sealed, Title);
          await tx`insert into conversations_view (tenant_id, conversation_id, project_id, title, created_by, created_at, updated_at)
                   values (${t}, ${c}, ${data.project_id}, ${secret?.title ?? null}, ${e.actor}, ${e.occurred_at}, ${e.occurred_at})
                   on conflict (tenant_id, conversation_id) do nothing`;
          return;
        }
        case 'conversation.message_posted.v1': {
          const data = MessagePosted.shape.data.parse(e.data);
          const secret = await opened(keyring, e, c, data.sealed, Content);
          await tx`insert into conversation_messages_view (tenant_id, conversation_id, message_id, position, role, content, actor, created_at)
                   values (${t}, ${c}, ${data.message_id}, ${e.tenant_seq}, 'user', ${secret?.content ?? null}, ${e.actor}, ${e.occurred_at})
                   on conflict do nothing`;
          return void (await touch());
        }
        case 'conversation.answered.v1': {
          const data = AnswerRecorded.shape.data.parse(e.data);
          const secret = await opened(keyring, e, c, data.sealed, Content);
          await tx`insert into conversation_messages_view (tenant_id, conversation_id, message_id, position, role, content, reply_to, scope, citations, generator, actor, created_at)
                   values (${t}, ${c}, ${data.message_id}, ${e.tenant_seq}, 'assistant', ${secret?.content ?? null}, ${data.reply_to}, ${data.scope},
                           ${tx.json(data.citations)}, ${data.generator}, ${e.actor}, ${e.occurred_at})
                   on conflict do nothing`;
          return void (await touch());
        }
      }
    },
    async reset(tx, tenantId) {
      await tx`delete from conversation_messages_view where tenant_id = ${tenantId}`;
      await tx`delete from conversations_view where tenant_id = ${tenantId}`;
    },
  };
}

/**
 * Waits until the conversation views reflect `position` (read-your-writes), polling the
 * projector's checkpoint as `waitForViews` does for the shared views: the projector may run in
 * another process. On timeout the write still stands; the caller just answered early.
 */
export function waitForConversationViews(sql: Sql, log: Logger, tenantId: string, position: number, timeoutMs = 10_000): Promise<boolean> {
  return waitForCheckpoints(sql, log, { tenantId, position, projectors: [CHECKPOINT], what: 'conversation views', timeoutMs });
}
