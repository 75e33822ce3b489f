import { type SearchHit, SearchInput, type SearchResult } from '@mandant/contracts';
import { withTenant } from '@mandant/shared/db';
import { DomainError, isTransient } from '@mandant/shared/errors';
import { uuidv7 } from '@mandant/shared/ids';
import type { Logger } from '@mandant/shared/log';
import type { RpcContext } from '@mandant/shared/rpc';
import { requirePrincipal } from '@mandant/membership';
import type { ServingMemo } from '@mandant/project';
import { requestEventMeta } from '@mandant/shared/service';
import type { SearchDeps } from '../service.ts';
import { recordSearch } from './audit.ts';
import { chunkTexts } from './chunk-text.ts';
import { type DocumentFacts, documentFacts } from './documents.ts';
import { type Candidate, type Fused, fuseByRank, single } from './fuse.ts';
import { type StoreQuery, type VectorAnswer, keywordCandidates, vectorCandidates } from './retrieve.ts';
import { type SearchScope, resolveScope } from './scope.ts';
import { highlight, queryTerms } from './snippet.ts';

/** Candidates fetched from each engine per hit asked for (offset + limit), so fusing has enough to rank. */
export const CANDIDATES_PER_HIT = 3;

/** Whether the relational views (ahead of the search stores) still put the document in the caller's scope. */
function inScope(scope: SearchScope, facts: DocumentFacts): boolean {
  if (scope.projectIds === undefined) return true;
  return facts.projectIds.some((id) => scope.projectIds?.includes(id));
}

/**
 * What the engines answered. A hybrid search whose one engine is down (restarting, unreachable)
 * answers from the other, as when the vector model is not served here; a search left with no
 * engine is refused as `unavailable` (503, the client retries), never an internal error.
 */
function engineAnswers(
  mode: SearchInput['mode'],
  keyword: PromiseSettledResult<Candidate[] | null>,
  vector: PromiseSettledResult<VectorAnswer | null>,
  log: Logger,
): { keyword: Candidate[] | null; vector: VectorAnswer | null } {
  const down = (r: PromiseSettledResult<unknown>): boolean => r.status === 'rejected' && isTransient(r.reason);
  for (const r of [keyword, vector]) if (r.status === 'rejected' && !down(r)) throw r.reason;
  const value = <T>(r: PromiseSettledResult<T | null>): T | null => (r.status === 'fulfilled' ? r.value : null);
  const keywordDown = down(keyword);
  const vectorDown = down(vector);
  if (keywordDown || vectorDown) {
    log.warn(
      {
        err: keywordDown ? (keyword as PromiseRejectedResult).reason : (vector as PromiseRejectedResult).reason,
        keyword_down: keywordDown,
        vector_down: vectorDown,
      },
      'a search engine is unavailable',
    );
    if (mode !== 'hybrid' || (keywordDown && vectorDown))
      throw new DomainError('unavailable', 'the search engines are unavailable right now: try again shortly');
  }
  return { keyword: value(keyword), vector: value(vector) };
}

/**
 * `search.run`: parse, resolve the caller's scope, query the engines the mode asks for, fuse,
 * drop what the relational views no longer show in scope (deleted, unlinked), paginate, fill in
 * titles, snippets and readable projects, record the search, answer.
 */
/** `memo`: the service's `servingMemo()`, so a scope's model is not re-read from its documents on every search. */
export async function runSearch(deps: SearchDeps, input: unknown, ctx: RpcContext, memo?: ServingMemo): Promise<SearchResult> {
  const q = SearchInput.parse(input);
  const p = requirePrincipal(ctx.principal);
  const tenantId = p.tenant_id;
  // a model is complete in a scope under its canonical name, whatever alias a setting uses
  const canonical = (m: string): string | null => deps.embedders.get(m)?.model ?? null;
  const scope = await withTenant(deps.sql, tenantId, (tx) =>
    resolveScope(tx, p, q.project_id, deps.embedders.defaultModel, canonical, memo),
  );
  const log = deps.log.child({ tenant_id: tenantId, project_id: scope.projectId, correlation_id: ctx.meta.correlation_id });
  const position = await deps.store.head(tenantId);

  const storeQuery: StoreQuery = {
    tenantId,
    query: q.query,
    projectIds: scope.projectIds,
    filters: q.filters,
    candidates: (q.offset + q.limit) * CANDIDATES_PER_HIT,
  };
  const [keywordAnswer, vectorAnswer] = await Promise.allSettled([
    q.mode === 'vector' ? null : keywordCandidates(deps.stores, storeQuery),
    q.mode === 'keyword' ? null : vectorCandidates(deps, scope.model, storeQuery, log),
  ]);
  const { keyword, vector } = engineAnswers(q.mode, keywordAnswer, vectorAnswer, log);
  const lists: { keyword?: Candidate[]; vector?: Candidate[] } = {
    ...(keyword && { keyword }),
    ...(vector && { vector: vector.candidates }),
  };
  const vectorFloor = vector?.floor ?? Infinity;
  const fused: Fused[] =
    q.mode === 'hybrid'
      ? fuseByRank(lists, { vectorFloor })
      : q.mode === 'keyword'
        ? single('keyword', keyword ?? [])
        : single('vector', vector?.candidates ?? [], vectorFloor);

  const facts = await withTenant(deps.sql, tenantId, (tx) =>
    documentFacts(
      tx,
      tenantId,
      fused.map((f) => f.documentId),
    ),
  );
  const kept = fused.flatMap((f) => {
    const doc = facts.get(f.documentId);
    if (!doc || !inScope(scope, doc)) return [];
    const chunkIndex = f.chunkIndex ?? doc.chunkIndex(f.chunkId);
    // a chunk the document no longer has (re-processed, stores behind): leave it out
    if (chunkIndex === undefined) return [];
    return [{ f, doc, chunkIndex }];
  });
  const page = kept.slice(q.offset, q.offset + q.limit);

  const texts = chunkTexts({ store: deps.store, stores: deps.stores, log }, tenantId);
  const terms = queryTerms(q.query);
  const hits: SearchHit[] = await Promise.all(
    page.map(async ({ f, doc, chunkIndex }) => ({
      chunk_id: f.chunkId,
      document_id: doc.documentId,
      title: doc.title,
      chunk_index: chunkIndex,
      document_type: doc.kind,
      created_at: doc.createdAt,
      snippet: f.snippet ?? highlight((await texts.get(doc.documentId, chunkIndex)) ?? '', terms),
      project_ids: scope.readable === null ? doc.projectIds : doc.projectIds.filter((id) => scope.readable?.has(id)),
      score: f.score,
      found_by: f.foundBy,
      match: f.match,
    })),
  );

  const searchId = uuidv7();
  await recordSearch(
    { store: deps.store, clock: deps.clock, keyring: deps.stores.keyring },
    {
      tenantId,
      searchId,
      scope,
      mode: q.mode,
      position,
      chunkIds: hits.map((h) => h.chunk_id),
      secret: { query: q.query, filters: q.filters },
      meta: requestEventMeta(ctx, p.actor),
    },
  );
  log.info(
    {
      search_id: searchId,
      scope: scope.scope,
      mode: q.mode,
      hits: hits.length,
      weak: hits.filter((h) => h.match === 'weak').length,
      vector_skipped: q.mode !== 'keyword' && vector === null,
    },
    'search performed',
  );
  return { search_id: searchId, scope: scope.scope, mode: q.mode, hits };
}
