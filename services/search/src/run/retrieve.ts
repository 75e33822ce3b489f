import type { SearchInput } from '@mandant/contracts';
import type { Logger } from '@mandant/shared/log';
import type { ReadStores } from '@mandant/shared/stores';
import { type TextSearchOptions, parseQuery } from '@mandant/shared/stores/text';
import { type Candidate, aboveFloor, keywordStrength, vectorStrength } from './fuse.ts';
import type { SearchDeps } from '../service.ts';

/**
 * The two retrievers. Every store call carries the tenant id (its own argument) and the scope's
 * project filter, so the stores never answer outside the caller's reach; the filters of the
 * request pass through unchanged.
 */
export interface StoreQuery {
  tenantId: string;
  query: string;
  /** undefined only for a tenant admin's global view */
  projectIds: string[] | undefined;
  filters: SearchInput['filters'];
  /** how many candidates to fetch from each engine (from the top: pagination happens after fusing) */
  candidates: number;
}

/** The options both ports take; keys left out when absent (an `undefined` filter means "none"). */
export function storeOptions(q: StoreQuery): TextSearchOptions {
  const { filters } = q;
  return {
    ...(q.projectIds !== undefined && { projectIds: q.projectIds }),
    ...(filters.document_type !== undefined && { documentType: filters.document_type }),
    ...(filters.from !== undefined && { from: filters.from }),
    ...(filters.to !== undefined && { to: filters.to }),
    ...(filters.entity !== undefined && { entity: filters.entity }),
    limit: q.candidates,
    offset: 0,
  };
}

export async function keywordCandidates(stores: Pick<ReadStores, 'text'>, q: StoreQuery): Promise<Candidate[]> {
  const terms = parseQuery(q.query).terms.length;
  const hits = await stores.text.search(q.tenantId, q.query, storeOptions(q));
  return hits.map((h) => ({
    chunkId: h.id,
    documentId: h.document_id,
    chunkIndex: null,
    score: h.score,
    snippet: h.snippet,
    match: keywordStrength(h.matched_terms, terms),
  }));
}

/** The vector retriever's answer: chunks at or above the model's similarity floor, nearest first. */
export interface VectorAnswer {
  /** the model's `minSimilarity`: nothing below it was asked for or kept */
  floor: number;
  candidates: Candidate[];
}

/**
 * Nearest chunks in the scope's model, the query embedded as a query (models that embed queries
 * and passages differently need to know), no farther than the model's similarity floor: the
 * store is asked for nothing below it (`minScore`) and anything below it is dropped anyway. A model
 * this deployment cannot embed with (a setting that names an unserved model) skips the vector
 * part: the caller still gets the keyword answers, and the log says why the vectors were left out.
 * Returns null when skipped.
 */
export async function vectorCandidates(
  deps: Pick<SearchDeps, 'stores' | 'embedders'>,
  model: string,
  q: StoreQuery,
  log: Logger,
): Promise<VectorAnswer | null> {
  const embedder = deps.embedders.get(model);
  if (!embedder) {
    log.warn({ model }, 'embedding model not served here: vector search skipped, keyword results only');
    return null;
  }
  const floor = embedder.minSimilarity;
  const [vector] = await embedder.embed([q.query], 'query');
  if (!vector) return { floor, candidates: [] };
  const hits = await deps.stores.vectors.search(q.tenantId, { id: embedder.model, dimension: embedder.dimension }, vector, {
    ...storeOptions(q),
    minScore: floor,
  });
  const candidates = hits.map((h) => ({
    chunkId: h.id,
    documentId: h.payload.document_id,
    chunkIndex: h.payload.chunk_index,
    score: h.score,
    snippet: null,
    match: vectorStrength(h.score, floor),
  }));
  return { floor, candidates: aboveFloor(candidates, floor) };
}
