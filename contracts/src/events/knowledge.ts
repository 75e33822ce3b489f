import { z } from 'zod';
import { Id, ProjectRole, TenantRole } from '../common.ts';
import { Sealed } from './document.ts';

/**
 * Entities, searches and conversations. As for documents, what users typed or were told
 * (queries, messages, answers, titles) travels only sealed with the tenant's data key, opened
 * with the associated data `event/{stream id}`; ids, scopes and positions stay in clear for audit.
 */

/** Stream `entity-{from_entity_id}`: the entity is folded into `into_entity_id` for good (aliases kept). */
export const EntityMerged = z.object({
  type: z.literal('entity.merged.v1'),
  data: z.object({ from_entity_id: Id, into_entity_id: Id }),
});
export const EntityEvent = z.discriminatedUnion('type', [EntityMerged]);
export type EntityEvent = z.infer<typeof EntityEvent>;

/** The access a read relied on: the caller's tenant role and their role in each project it covered. */
export const Grant = z.object({
  tenant_role: TenantRole,
  /** project id → role, for every project in scope */
  project_roles: z.record(z.string(), ProjectRole),
});
export type Grant = z.infer<typeof Grant>;

export const SearchScope = z.enum(['project', 'global']);
export const SearchMode = z.enum(['hybrid', 'keyword', 'vector']);

/**
 * Stream `search-{search_id}`: what a search was asked (sealed), in which scope, under which
 * grant, at which log position, and which chunks it answered with; so an auditor can tell what
 * the system knew and why.
 */
export const SearchPerformed = z.object({
  type: z.literal('search.performed.v1'),
  data: z.object({
    scope: SearchScope,
    mode: SearchMode,
    /** the project filter applied in every store call; null for a tenant admin's unfiltered global view */
    project_ids: z.array(Id).nullable(),
    grant: Grant,
    /** the tenant's log head when the search ran */
    position: z.number().int().nonnegative(),
    chunk_ids: z.array(Id),
    /** sealJson({ query, filters }) */
    sealed: Sealed,
  }),
});
export const SearchEvent = z.discriminatedUnion('type', [SearchPerformed]);

/** Stream `conversation-{id}`; the envelope's project_id is the conversation's project (null: global). */
export const ConversationStarted = z.object({
  type: z.literal('conversation.started.v1'),
  /** sealed: { title } */
  data: z.object({ project_id: Id.nullable(), sealed: Sealed }),
});
export const MessagePosted = z.object({
  type: z.literal('conversation.message_posted.v1'),
  /** sealed: { content } */
  data: z.object({ message_id: Id, sealed: Sealed }),
});
export const Citation = z.object({ document_id: Id, chunk_id: Id, project_ids: z.array(Id) });
export type Citation = z.infer<typeof Citation>;
export const AnswerRecorded = z.object({
  type: z.literal('conversation.answered.v1'),
  data: z.object({
    message_id: Id,
    /** the user message it answers */
    reply_to: Id,
    scope: SearchScope,
    project_ids: z.array(Id).nullable(),
    grant: Grant,
    position: z.number().int().nonnegative(),
    chunk_ids: z.array(Id),
    citations: z.array(Citation),
    /** `extractive` or the chat model's id */
    generator: z.string(),
    /** sealed: { content } */
    sealed: Sealed,
  }),
});
export const ConversationEvent = z.discriminatedUnion('type', [ConversationStarted, MessagePosted, AnswerRecorded]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;
