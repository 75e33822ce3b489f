import { type ConversationEvent, ConversationEvent as ConversationEventSchema } from '@mandant/contracts';
import { deciderSpec } from '@mandant/shared/testing';
import { describe, expect, it } from 'vitest';
import { type AskQuestion, conversationDecider } from './decide.ts';

const spec = deciderSpec(conversationDecider, ConversationEventSchema);
const P = '0190a000-0000-7000-8000-00000000000a';
const Q = '0190a000-0000-7000-8000-0000000000a1';
const A = '0190a000-0000-7000-8000-0000000000b1';
const DOC = '0190a000-0000-7000-8000-0000000000d1';
const CHUNK = '0190a000-0000-7000-8000-0000000000c1';

const started = (project_id: string | null): ConversationEvent => ({
  type: 'conversation.started.v1',
  data: { project_id, sealed: 'c2VhbGVk' },
});
const ask = (over: Partial<AskQuestion['answer']> = {}, message_id = Q): AskQuestion => ({
  type: 'AskQuestion',
  message_id,
  sealed: 'cQ==',
  answer: {
    message_id: A,
    scope: 'project',
    project_ids: [P],
    grant: { tenant_role: 'member', project_roles: { [P]: 'viewer' } },
    position: 7,
    chunk_ids: [CHUNK],
    citations: [{ document_id: DOC, chunk_id: CHUNK, project_ids: [P] }],
    generator: 'extractive',
    sealed: 'YQ==',
    ...over,
  },
});

describe('conversation decider', () => {
  it('starts a conversation in a project, or global with no project', () => {
    expect(spec.decide([], { type: 'StartConversation', project_id: P, sealed: 'c2VhbGVk' })).toEqual([started(P)]);
    expect(spec.decide([], { type: 'StartConversation', project_id: null, sealed: 'c2VhbGVk' })).toEqual([started(null)]);
  });

  it('refuses to start a conversation twice', () => {
    expect(spec.rejection([started(P)], { type: 'StartConversation', project_id: P, sealed: 'eA==' })).toBe('conflict');
  });

  it('records the question, then its answer, in that order', () => {
    const events = spec.decide([started(P)], ask());
    expect(events.map((e) => e.type)).toEqual(['conversation.message_posted.v1', 'conversation.answered.v1']);
    expect(events[1]).toMatchObject({ data: { reply_to: Q, message_id: A, scope: 'project', project_ids: [P], position: 7 } });
  });

  it('records nothing for a question id already asked (a retried request)', () => {
    const given = [started(P), ...spec.decide([started(P)], ask())];
    expect(spec.decide(given, ask())).toEqual([]);
  });

  it('answers no question in a conversation that was never started', () => {
    expect(spec.rejection([], ask())).toBe('not_found');
  });

  it("refuses a project-scoped answer over any project but the conversation's", () => {
    const other = '0190a000-0000-7000-8000-00000000000b';
    expect(spec.rejection([started(P)], ask({ project_ids: [other] }))).toBe('conflict');
    expect(spec.rejection([started(P)], ask({ project_ids: [P, other] }))).toBe('conflict');
    expect(spec.rejection([started(null)], ask())).toBe('conflict');
  });

  it('takes a global answer in a project conversation (the caller asked for global scope)', () => {
    const events = spec.decide(
      [started(P)],
      ask({ scope: 'global', project_ids: null, grant: { tenant_role: 'tenant_admin', project_roles: {} } }),
    );
    expect(events[1]).toMatchObject({ data: { scope: 'global', project_ids: null } });
  });
});
