import { type Principal, type RequestMeta, type RpcReply, type SearchHit, type SearchResult, rpc as patterns } from '@mandant/contracts';
import { DomainError, type ErrorCode } from '@mandant/shared/errors';
import type { Logger } from '@mandant/shared/log';
import type { RpcClient } from '@mandant/shared/rpc';
import { STOPWORDS } from './extractive.ts';

/** How many chunks an answer is written from. */
export const PASSAGES = 8;

/**
 * Where a message's retrieval looks, decided from two things only: the conversation's project
 * and the `scope` the message input asked for. The message text (and any document text) is
 * the query, never a switch: "search all projects" inside either changes nothing here.
 */
export interface RetrievalPlan {
  scope: 'project' | 'global';
  /** the project every retrieval call is limited to; null: global (the services limit it to projects the caller may read) */
  project_id: string | null;
  search: { project_id?: string; query: string; mode: 'hybrid'; limit: number };
}

export function planRetrieval(
  conversation: { project_id: string | null },
  message: { content: string; scope: 'conversation' | 'global' },
): RetrievalPlan {
  const project_id = message.scope === 'global' ? null : conversation.project_id;
  const query = message.content.slice(0, 1000);
  return project_id
    ? { scope: 'project', project_id, search: { project_id, query, mode: 'hybrid', limit: PASSAGES } }
    : { scope: 'global', project_id: null, search: { query, mode: 'hybrid', limit: PASSAGES } };
}

export interface Retrieved {
  hits: SearchHit[];
  /** short facts from the entity graph, within the same scope */
  connections: string[];
}

interface Caller {
  rpc: RpcClient;
  principal: Principal;
  meta: RequestMeta;
  log: Logger;
}

/** `unavailable` is what the gateway answers 503 for; shared's ErrorCode does not list it yet. */
const unavailable = (what: string) => new DomainError('unavailable', `${what} is unavailable: try again`);

/** Runs the plan's search as the caller. Search is required: without passages there is nothing to answer from. */
export async function search(c: Caller, plan: RetrievalPlan): Promise<SearchHit[]> {
  let reply: RpcReply<SearchResult>;
  try {
    reply = await c.rpc.request<SearchResult>(patterns.searchRun, { principal: c.principal, meta: c.meta, input: plan.search });
  } catch (err) {
    c.log.warn(
      { err, tenant_id: c.principal.tenant_id, project_id: plan.project_id, correlation_id: c.meta.correlation_id },
      'search unavailable for chat',
    );
    throw unavailable('search');
  }
  if (!reply.ok) throw new DomainError(reply.error.code as ErrorCode, reply.error.message, reply.error.details);
  const hits = reply.value.hits ?? [];
  // belt and braces: a project-scoped answer never uses a chunk the search says lies outside the project
  return plan.project_id ? hits.filter((h) => h.project_ids.includes(plan.project_id as string)) : hits;
}

/** Capitalised word runs ("Maria Gonzalez", "Acme Holdings"): the names worth looking up in the graph. */
export function candidateNames(text: string, max = 2): string[] {
  const runs = (text.match(/\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+)*/gu) ?? []).map((run) => {
    // a question's first word is capitalised too: "Did", "Who", "Where" name nobody
    const words = run.split(/\s+/);
    while (words.length > 0 && STOPWORDS.has((words[0] ?? '').toLowerCase())) words.shift();
    return words.join(' ');
  });
  return [...new Set(runs.filter((r) => r.length >= 3))].sort((a, b) => b.split(/\s+/).length - a.split(/\s+/).length).slice(0, max);
}

type EntityLike = { id: string; name: string; project_ids?: string[] };
type GraphLike = { nodes?: { id: string; label: string; kind: string }[] };

/**
 * Graph context for names in the question, from the entity service, in the plan's scope:
 * neighbours of each entity found (limited to the project when the plan is), and, in global
 * scope only, in how many readable projects it appears. Best effort: an entity service that is
 * absent, slow or refusing leaves the answer without connections, never without an answer.
 */
export async function connections(c: Caller, plan: RetrievalPlan, question: string, timeoutMs = 3_000): Promise<string[]> {
  const scoped = plan.project_id ? { project_id: plan.project_id } : {};
  const call = async <T>(pattern: string, input: unknown): Promise<T | null> => {
    try {
      const r = await c.rpc.request<T>(pattern, { principal: c.principal, meta: c.meta, input }, timeoutMs);
      return r.ok ? r.value : null;
    } catch {
      return null;
    }
  };
  const facts: string[] = [];
  for (const name of candidateNames(question)) {
    const listed = await call<{ entities?: EntityLike[] } | EntityLike[]>(patterns.entityList, { ...scoped, query: name, limit: 1 });
    const entity = (Array.isArray(listed) ? listed : (listed?.entities ?? []))[0];
    if (!entity) continue;
    const graph = await call<GraphLike>(patterns.entityNeighbourhood, { ...scoped, entity_id: entity.id, depth: 1, limit: 10 });
    const related = (graph?.nodes ?? [])
      .filter((n) => n.kind === 'entity' && n.id !== entity.id)
      .map((n) => n.label)
      .slice(0, 8);
    if (related.length > 0) facts.push(`${entity.name} is connected to ${related.join(', ')}`);
    const projects = entity.project_ids?.length ?? 0;
    if (plan.scope === 'global' && projects > 1) facts.push(`${entity.name} appears in ${projects} projects you can read`);
  }
  return facts;
}
