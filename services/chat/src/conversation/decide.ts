import type { ConversationEvent } from '@mandant/contracts';
import type { Decider } from '@mandant/shared/decider';
import { DomainError, notFound } from '@mandant/shared/errors';
import { type ConversationState, evolveConversation, initialConversationState } from './conversation.ts';

type Data<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>['data'];

export type StartConversation = { type: 'StartConversation'; project_id: string | null; sealed: string };
/**
 * A question and its answer, recorded together once the answer exists: a failed retrieval or
 * generation leaves no unanswered question behind, and the log still reads question → answer.
 */
export type AskQuestion = {
  type: 'AskQuestion';
  message_id: string;
  sealed: string;
  answer: Omit<Data<'conversation.answered.v1'>, 'reply_to'>;
};
export type ConversationCommand = StartConversation | AskQuestion;

/**
 * The conversation's rules: started once, in one project or none for good; every question gets
 * exactly one answer; asking again with the same message id records nothing (a retried request).
 */
export function decideConversation(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  switch (command.type) {
    case 'StartConversation':
      if (state.started) throw new DomainError('conflict', 'conversation exists');
      return [{ type: 'conversation.started.v1', data: { project_id: command.project_id?.toLowerCase() ?? null, sealed: command.sealed } }];
    case 'AskQuestion': {
      if (!state.started) throw notFound('conversation');
      if (state.questions.includes(command.message_id)) return [];
      if (command.answer.message_id === command.message_id) throw new DomainError('conflict', 'an answer needs an id of its own');
      if (command.answer.scope === 'project' && state.project_id === null) {
        throw new DomainError('conflict', 'a global conversation has no project to scope to');
      }
      if (
        command.answer.scope === 'project' &&
        (command.answer.project_ids?.length !== 1 || command.answer.project_ids[0] !== state.project_id)
      ) {
        throw new DomainError('conflict', "a project-scoped answer searches the conversation's project only");
      }
      return [
        { type: 'conversation.message_posted.v1', data: { message_id: command.message_id, sealed: command.sealed } },
        { type: 'conversation.answered.v1', data: { ...command.answer, reply_to: command.message_id } },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled conversation command ${(unhandled as { type: string }).type}`);
    }
  }
}

export const conversationDecider: Decider<ConversationState, ConversationCommand, ConversationEvent> = {
  initialState: initialConversationState,
  evolve: evolveConversation,
  decide: decideConversation,
};
