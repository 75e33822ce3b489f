import { z } from 'zod';
import { Id, Instant } from './common.ts';
import { EntityType } from './events/document.ts';
import { SearchMode } from './events/knowledge.ts';

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

export interface SearchHit {
  chunk_id: string;
  document_id: string;
  title: string | null;
  chunk_index: number;
  document_type: string;
  created_at: string;
  /** HTML: escaped text with matches in <mark>…</mark> */
  snippet: string;
  /** the projects it is in that the caller may read */
  project_ids: string[];
  /** reciprocal-rank-fusion score (hybrid) or the engine's score */
  score: number;
  /** which retrievers found it */
  found_by: ('keyword' | 'vector')[];
}
export interface SearchResult { search_id: string; scope: 'project' | 'global'; mode: string; hits: SearchHit[] }

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

export interface EntityView {
  id: string; name: string; type: string; aliases: string[];
  /** only projects the caller may read */
  projects: { project_id: string; mentions: number; documents: number }[];
  mentions: number;
  /** projects the caller cannot open that also hold it; present only when the tenant setting `reveal_hidden_project_counts` is true */
  hidden_projects?: number;
}
export interface GraphView {
  nodes: { id: string; label: string; kind: 'entity' | 'document' | 'project'; type?: string; weight?: number }[];
  edges: { source: string; target: string; kind: 'RELATED_TO' | 'FOUND_IN' | 'APPEARS_IN_PROJECT' | 'BELONGS_TO'; weight?: number }[];
  truncated: boolean;
}

export const CreateConversationInput = z.strictObject({
  /** absent: a global conversation (tenant-wide context) */
  project_id: Id.optional(),
  title: z.string().trim().min(1).max(200).optional(),
});
export const ListConversationsInput = z.strictObject({ project_id: Id.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });
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

export interface ConversationView {
  id: string; project_id: string | null; title: string; created_by: string; created_at: string; updated_at: string;
  messages?: MessageView[];
}
export interface MessageView {
  id: string; role: 'user' | 'assistant'; content: string; created_at: string;
  citations?: { document_id: string; chunk_id: string; project_ids: string[]; title: string | null }[];
  scope?: 'project' | 'global';
}
