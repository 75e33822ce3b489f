import type { ConversationEvent } from '@mandant/contracts';

/** A conversation as its own stream tells it: which project it belongs to and which messages it holds. */
export interface ConversationState {
  started: boolean;
  /** null: a global conversation */
  project_id: string | null;
  /** user messages, in order */
  questions: string[];
  /** user message id → the assistant message that answered it */
  answers: Record<string, string>;
}

export const initialConversationState = (): ConversationState => ({ started: false, project_id: null, questions: [], answers: {} });

export function evolveConversation(state: ConversationState, event: ConversationEvent): ConversationState {
  switch (event.type) {
    case 'conversation.started.v1':
      return { ...state, started: true, project_id: event.data.project_id };
    case 'conversation.message_posted.v1':
      return { ...state, questions: [...state.questions, event.data.message_id] };
    case 'conversation.answered.v1':
      return { ...state, answers: { ...state.answers, [event.data.reply_to]: event.data.message_id } };
    default: {
      const unknown: never = event;
      throw new Error(`unknown conversation event ${(unknown as { type: string }).type}`);
    }
  }
}
