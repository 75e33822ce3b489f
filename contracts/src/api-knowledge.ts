import { z } from 'zod';
import { Id, Instant, Timestamp } from './common.ts';
import { EntityType } from './events/document.ts';
import { Citation, SearchMode, SearchScope } from './events/knowledge.ts';

/** Inputs and views of search, entities, graph and chat (see `rpc` in api.ts for the patterns). */

export const SearchFilters = z.strictObject({
  document_type: z.string().min(1).max(50).optional(),
  /** inclusive, ISO-8601 */
  from: Instant.optional(),
  to: Instant.optional(),
  /** exact entity name the chunk must mention */
  entity: z.string().min(1).max(200).optional(),
});
export const SearchInput = z.strictObject({
  /** absent: the global (tenant-wide) view, which the caller opts into by calling `POST /search` */
  project_id: Id.optional(),
  query: z.string().trim().min(1).max(1000),
  mode: SearchMode.default('hybrid'),
  filters: SearchFilters.default({}),
  limit: z.number().int().min(1).max(100).default(10),
  offset: z.number().int().min(0).max(1000).default(0),
});
export type SearchInput = z.infer<typeof SearchInput>;

export const SearchHit = z.object({
  chunk_id: z.string(),
  document_id: Id,
  title: z.string().nullable(),
  chunk_index: z.number().int().nonnegative(),
  document_type: z.string(),
  created_at: Timestamp,
  snippet: z.string().describe('HTML: escaped text with matches in <mark>…</mark>'),
  project_ids: z.array(Id).describe('the projects it is in that the caller may read'),
  score: z
    .number()
    .describe(
      "hybrid: 1 for a passage with more than half of the query's words, plus the weighted reciprocal-rank sum (keyword 1, vector 1/2, k = 60); keyword or vector: the engine's own score",
    ),
  found_by: z.array(z.enum(['keyword', 'vector'])).describe('which retrievers found it'),
  match: z
    .enum(['strong', 'weak'])
    .describe(
      "how clearly it answers the query: `strong` when it holds more than half of the query's words (keyword) or lies well above " +
        "the embedding model's relevance floor (vector); `weak` when it is only related (a few of the words, or a vector match " +
        'just above the floor). Hits below the floor are never returned; an answer whose hits are all weak means the corpus holds ' +
        'nothing clearly about the query',
    ),
});
export type SearchHit = z.infer<typeof SearchHit>;
export const SearchResult = z.object({ search_id: Id, scope: SearchScope, mode: SearchMode, hits: z.array(SearchHit) });
export type SearchResult = z.infer<typeof SearchResult>;

export const EntityIdInput = z.strictObject({ entity_id: Id });
export const ListEntitiesInput = z.strictObject({
  project_id: Id.optional(),
  /** name (or alias) contains, case- and accent-insensitive */
  query: z.string().trim().min(1).max(200).optional(),
  type: EntityType.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const CrossProjectInput = z.strictObject({
  min_projects: z.coerce.number().int().min(2).max(1000).default(2),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const MergeEntityInput = z.strictObject({ entity_id: Id, into: Id });
export const GraphInput = z.strictObject({
  project_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(2000).default(200),
});
export const NeighbourhoodInput = z.strictObject({
  entity_id: Id,
  depth: z.coerce.number().int().min(1).max(3).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  project_id: Id.optional(),
});

/**
 * `mentions` means the same on every entity route (`GET /entities`, `/projects/{id}/entities`,
 * `/entities/{id}`, `/entities/cross-project`): occurrences in the text of distinct documents of
 * the scope, a document linked to several projects counted once.
 */
const MentionCount = z
  .number()
  .int()
  .nonnegative()
  .describe(
    'mentions in the text of the distinct documents of the scope (the projects the caller may read; for tenant admins every document): ' +
      'a document linked to several projects counts once',
  );
const DocumentCount = z.number().int().nonnegative().describe('distinct documents of the scope that mention it');

export const EntityView = z.object({
  id: Id,
  name: z.string(),
  type: z.string(),
  aliases: z.array(z.string()),
  projects: z
    .array(
      z.object({
        project_id: Id,
        mentions: z
          .number()
          .int()
          .nonnegative()
          .describe(
            'per-project breakdown: mentions in the documents linked to this project (a document linked to two projects counts in each)',
          ),
        documents: z.number().int().nonnegative().describe('documents linked to this project that mention it'),
      }),
    )
    .describe('only projects the caller may read'),
  mentions: MentionCount,
  documents: DocumentCount,
  hidden_projects: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      'projects the caller cannot open that also hold it; present only when the tenant setting `reveal_hidden_project_counts` is true',
    ),
});
export type EntityView = z.infer<typeof EntityView>;
/** An entity found by a list: counts over the scope's readable projects. */
export const EntityMatch = z.object({
  id: Id,
  name: z.string(),
  type: z.string(),
  mentions: MentionCount,
  documents: DocumentCount,
  project_ids: z.array(Id).describe('the projects of the scope it appears in'),
});
export const EntityPage = z.object({
  scope: SearchScope,
  entities: z.array(EntityMatch),
  next_offset: z.number().int().nonnegative().nullable().describe('pass as `offset` for the next page; null on the last'),
});
export const CrossProjectEntities = z.object({
  entities: z.array(
    z.object({
      id: Id,
      name: z.string(),
      type: z.string(),
      project_ids: z.array(Id).describe('the readable projects it appears in, sorted'),
      mentions: MentionCount,
      documents: DocumentCount,
    }),
  ),
});
export const MergeResult = z.object({
  from_entity_id: Id,
  into_entity_id: Id,
  position: z.number().int().positive().describe("the merge's position in the tenant's log"),
});
export const GraphView = z.object({
  nodes: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      kind: z.enum(['entity', 'document', 'project']),
      type: z.string().optional(),
      weight: z.number().optional(),
    }),
  ),
  edges: z.array(
    z.object({
      source: z.string(),
      target: z.string(),
      kind: z.enum(['RELATED_TO', 'FOUND_IN', 'APPEARS_IN_PROJECT', 'BELONGS_TO']),
      weight: z.number().optional(),
    }),
  ),
  truncated: z.boolean().describe('the bound was reached: more lies beyond'),
});
export type GraphView = z.infer<typeof GraphView>;

export const CreateConversationInput = z.strictObject({
  /** absent: a global conversation (tenant-wide context) */
  project_id: Id.optional(),
  title: z.string().trim().min(1).max(200).optional(),
});
export const ListConversationsInput = z.strictObject({
  project_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const ConversationIdInput = z.strictObject({ conversation_id: Id });
export const PostMessageInput = z.strictObject({
  conversation_id: Id,
  content: z.string().trim().min(1).max(8000),
  /**
   * Widen retrieval to the whole tenant for this message: honoured only when asked here,
   * explicitly, and only over projects the caller may read. Text inside documents never widens it.
   */
  scope: z.enum(['conversation', 'global']).default('conversation'),
  stream: z.boolean().default(false),
});

export const CitationView = Citation.extend({ title: z.string().nullable() });
export const MessageView = z.object({
  id: Id,
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  created_at: Timestamp,
  citations: z.array(CitationView).optional().describe('answers only: the passages it rests on that the reader may open'),
  scope: SearchScope.optional().describe('answers only: where the answer searched'),
});
export type MessageView = z.infer<typeof MessageView>;
export const ConversationView = z.object({
  id: Id,
  project_id: Id.nullable().describe('null: a global conversation'),
  title: z.string(),
  created_by: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  messages: z.array(MessageView).optional().describe('present when one conversation is read, absent in lists'),
});
export type ConversationView = z.infer<typeof ConversationView>;
export const ConversationList = z.object({ conversations: z.array(ConversationView) });
