import { Meilisearch, MeilisearchApiError } from 'meilisearch';
import { inParallel } from '../../in-parallel.ts';
import type { EnqueuedTaskPromise, Settings, Task } from 'meilisearch';
import { TextIndexUnavailableError, assertDocs, assertUuid, canonicalDoc, lastById } from './port.ts';
import type { TextDocument, TextHit, TextIndex, TextSearchOptions } from './port.ts';
import { type QueryTerm, parseQuery, rankByTerms, termScore } from './query.ts';
import { MATCH_END, MATCH_START, snippetHtml } from './snippet.ts';

/**
 * The full-text index on Meilisearch: one index for all tenants (`mandant-text` by default), as
 * the text port is not split by model. Isolation is the adapter's job: every entry stores a
 * filterable `tenant_id`, every read, update and delete carries the tenant condition, and the
 * primary key is `{tenant}_{id}`, so two tenants' entries can never replace each other even with
 * equal ids. Dropping a tenant is a delete by filter. Every write waits for its task and fails if
 * the task failed, so a search after a write sees it (Meilisearch indexes asynchronously).
 * `created_at` is stored as unix seconds (milliseconds as the fraction) so date ranges are
 * numeric filters. Clients never query Meilisearch directly; if one ever does, it needs a
 * tenant token whose search rules carry the same `tenant_id` filter.
 */
/**
 * The client this adapter is meant to run on. It asks for uncompressed responses: Meilisearch
 * serves HTTP with actix-web, which leaves Nagle's algorithm on (no TCP_NODELAY), and sends a gzip
 * response in chunks; on a kept-alive connection the last chunk then waits for the client's
 * delayed ACK, 40 ms on Linux, on top of a search of a few ms (bench/search.ts: p50 44 ms with
 * gzip). A response with a content-length leaves in one write.
 */
export function createMeilisearchClient(o: { host: string; apiKey?: string | undefined }): Meilisearch {
  return new Meilisearch({ host: o.host, apiKey: o.apiKey, requestInit: { headers: { 'accept-encoding': 'identity' } } });
}

/** The part of the official client the adapter uses (a `Meilisearch` is one; tests can record calls). */
export type MeilisearchCalls = Pick<Meilisearch, 'index' | 'createIndex' | 'deleteIndex' | 'multiSearch'>;

export interface MeilisearchTextIndexDeps {
  client: MeilisearchCalls;
  /** the shared index; default `mandant-text` */
  indexUid?: string;
  /** how long to wait for one task; default 30 s */
  taskTimeoutMs?: number;
  /**
   * how often to ask whether a task is done; default 10 ms. Every write waits for its task, and
   * the client's 50 ms default made a projector replay mostly sleep.
   */
  taskPollMs?: number;
  /** documents per write request; default 1 000 */
  batchSize?: number;
  /**
   * keys per read and per partial update when a document's `project_ids` change; default 10 000.
   * Both are small (a key, or a key and the project ids), so a link of a document of up to this
   * many chunks costs one read and one update whatever its size.
   */
  keyBatchSize?: number;
  /**
   * Update a document's `project_ids` with one `updateDocumentsByFunction` call (needs the
   * server's experimental `editDocumentsByFunction` feature). Off by default: then the entry keys
   * are read by filter and all of them updated in one batched partial update.
   */
  editByFunction?: boolean;
}

interface StoredDoc extends Omit<TextDocument, 'created_at'> {
  /** the primary key: tenant and entry id, so equal ids of two tenants stay two entries */
  key: string;
  tenant_id: string;
  created_at: number;
}

export const DEFAULT_TEXT_INDEX_UID = 'mandant-text';
const PRIMARY_KEY = 'key';
export const meiliKey = (tenantId: string, id: string): string => `${tenantId.toLowerCase()}_${id.toLowerCase()}`;
/** The tenant's own index of the earlier layout, deleted with the tenant so a rebuild migrates it. */
export const legacyTenantIndexUid = (tenantId: string): string => `tenant-${tenantId.toLowerCase()}`;

const SETTINGS: Settings = {
  // order matters: Meilisearch's `attribute` ranking rule ranks title matches first
  searchableAttributes: ['title', 'entity_names', 'content'],
  filterableAttributes: ['tenant_id', 'document_id', 'project_ids', 'document_type', 'entity_names', 'created_at'],
};

/** A filter string literal: Meilisearch reads `"…"` with backslash escapes. */
export const meiliLiteral = (value: string): string => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

const ENSURE_EVERY_MS = 60_000;

const seconds = (iso: string): number => new Date(iso).getTime() / 1000;

/**
 * The tenant condition first, always; then the scope and payload conditions asked for, ANDed
 * into one expression (every filter-taking route, reads and writes alike, accepts a string).
 */
export function meiliFilter(tenantId: string, f: Partial<TextSearchOptions> & { documentId?: string } = {}): string {
  const all = [`tenant_id = ${meiliLiteral(tenantId.toLowerCase())}`];
  if (f.projectIds) all.push(`project_ids IN [${f.projectIds.map((id) => meiliLiteral(id.toLowerCase())).join(', ')}]`);
  if (f.documentId) all.push(`document_id = ${meiliLiteral(f.documentId.toLowerCase())}`);
  if (f.documentType !== undefined) all.push(`document_type = ${meiliLiteral(f.documentType)}`);
  if (f.from !== undefined) all.push(`created_at >= ${seconds(f.from)}`);
  if (f.to !== undefined) all.push(`created_at <= ${seconds(f.to)}`);
  if (f.entity !== undefined) all.push(`entity_names = ${meiliLiteral(f.entity)}`);
  return all.map((c) => `(${c})`).join(' AND ');
}

export function createMeilisearchTextIndex(deps: MeilisearchTextIndexDeps): TextIndex {
  const {
    client,
    indexUid: uid = DEFAULT_TEXT_INDEX_UID,
    taskTimeoutMs = 30_000,
    taskPollMs = 10,
    batchSize = 1_000,
    keyBatchSize = 10_000,
    editByFunction = false,
  } = deps;
  // When this instance last created and configured the index, so every upsert can ensure it
  // nearly for free. Meilisearch creates a missing index on the first write, without our
  // settings; re-applying them every minute heals an index dropped behind this instance's back.
  let ensuredAt = -Infinity;
  /** the shared index, reached only with a checked tenant id: every caller filters by it */
  const index = (tenantId: string) => {
    assertUuid('tenant id', tenantId);
    return client.index<StoredDoc>(uid);
  };

  /**
   * Waits for a write's task. `tolerate` lists error codes that mean "already so" (a missing
   * index for a delete, an existing one for a create): Meilisearch reports them on the enqueue
   * request or on the task, depending on the route and version, so both are checked.
   */
  async function settle(what: string, task: EnqueuedTaskPromise, tolerate: string[] = []): Promise<void> {
    let done: Task;
    try {
      done = await task.waitTask({ timeout: taskTimeoutMs, interval: taskPollMs });
    } catch (err) {
      if (err instanceof MeilisearchApiError && tolerate.includes(err.cause?.code ?? '')) return;
      throw new TextIndexUnavailableError(`meilisearch ${what} failed`, { cause: err });
    }
    if (done.status !== 'succeeded' && !tolerate.includes(done.error?.code ?? '')) {
      throw new TextIndexUnavailableError(`meilisearch ${what}: task ${done.uid} ${done.status}: ${done.error?.message ?? ''}`, {
        cause: done.error,
      });
    }
  }

  /** Reads of an index that does not exist (never written, or dropped) find nothing. */
  async function orIfMissing<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof MeilisearchApiError && err.cause?.code === 'index_not_found') return fallback;
      throw new TextIndexUnavailableError(`meilisearch ${what} failed`, { cause: err });
    }
  }

  async function ensure(tenantId: string): Promise<void> {
    assertUuid('tenant id', tenantId);
    if (Date.now() - ensuredAt < ENSURE_EVERY_MS) return;
    await settle(`create index ${uid}`, client.createIndex(uid, { primaryKey: PRIMARY_KEY }), ['index_already_exists']);
    await settle(`settings of ${uid}`, client.index(uid).updateSettings(SETTINGS));
    ensuredAt = Date.now();
  }

  /** Every primary key of the tenant's entries matching the filter, read in pages of `keyBatchSize`. */
  async function keysWhere(tenantId: string, filter: string): Promise<string[]> {
    const keys: string[] = [];
    for (let offset = 0; ; offset += keyBatchSize) {
      const page = await orIfMissing(
        'get documents',
        () => index(tenantId).getDocuments<{ [PRIMARY_KEY]: string }>({ filter, fields: [PRIMARY_KEY], limit: keyBatchSize, offset }),
        { results: [], total: 0 },
      );
      keys.push(...page.results.map((d) => d.key));
      // `total` says whether another page exists, so a full last page costs no empty read
      if (page.results.length < keyBatchSize || offset + page.results.length >= page.total) return keys;
    }
  }

  const self: TextIndex = {
    ensureIndex: (tenantId) => ensure(tenantId),

    async upsert(tenantId, docs) {
      assertDocs(tenantId, docs);
      if (docs.length === 0) return;
      // writing to a missing index would create it without the filterable attributes
      await ensure(tenantId);
      const stored = lastById(docs)
        .map(canonicalDoc)
        .map((d): StoredDoc => ({
          key: meiliKey(tenantId, d.id),
          ...d,
          tenant_id: tenantId.toLowerCase(),
          created_at: seconds(d.created_at),
        }));
      for (let i = 0; i < stored.length; i += batchSize) {
        // addDocuments replaces whole documents: a field dropped from an entry does not linger
        await settle('add documents', index(tenantId).addDocuments(stored.slice(i, i + batchSize), { primaryKey: PRIMARY_KEY }));
      }
    },

    async setDocumentProjects(tenantId, documentId, projectIds) {
      assertUuid('document id', documentId);
      projectIds.forEach((id) => assertUuid('project id', id));
      const project_ids = projectIds.map((id) => id.toLowerCase());
      const filter = meiliFilter(tenantId, { documentId });
      if (editByFunction) {
        await settle(
          'edit documents by function',
          index(tenantId).updateDocumentsByFunction({
            function: 'doc.project_ids = context.project_ids',
            filter,
            context: { project_ids },
          }),
          ['index_not_found'],
        );
        return;
      }
      // Read, then one partial update of exactly those keys. An entry deleted in between would
      // come back as a stub without a tenant (found by no one), so callers serialise writes per
      // tenant (projectors do).
      const keys = await keysWhere(tenantId, filter);
      for (let i = 0; i < keys.length; i += keyBatchSize) {
        await settle(
          'update documents',
          index(tenantId).updateDocuments(
            keys.slice(i, i + keyBatchSize).map((key) => ({ key, project_ids })),
            { primaryKey: PRIMARY_KEY },
          ),
        );
      }
    },

    async setProjectsOfDocuments(tenantId, documents) {
      // one task per document: an edit by function or a partial update is filtered by one document
      const last = new Map(documents.map((d) => [d.documentId.toLowerCase(), d]));
      await inParallel([...last.values()], (d) => self.setDocumentProjects(tenantId, d.documentId, d.projectIds));
    },

    async deleteDocument(tenantId, documentId) {
      assertUuid('document id', documentId);
      await settle('delete documents', index(tenantId).deleteDocuments({ filter: meiliFilter(tenantId, { documentId }) }), [
        'index_not_found',
      ]);
    },

    async search(tenantId, query, options) {
      const idx = index(tenantId);
      options.projectIds?.forEach((id) => assertUuid('project id', id));
      const { terms, excluded } = parseQuery(query);
      // no term would be Meilisearch's "placeholder search" returning everything
      if (terms.length === 0 || options.limit <= 0 || options.projectIds?.length === 0) return [];
      const offset = options.offset ?? 0;
      const exclusions = excluded.map((t) => meiliTerm(t, true));
      const params = (these: QueryTerm[], page: { limit: number; offset: number }) => ({
        q: [...these.map((t) => meiliTerm(t)), ...exclusions].join(' '),
        // every term of the query must match: which terms may be missing is decided here, per term
        matchingStrategy: 'all' as const,
        filter: meiliFilter(tenantId, options),
        ...page,
        showRankingScore: true,
        attributesToHighlight: ['content'],
        attributesToCrop: ['content'],
        cropLength: 30,
        cropMarker: '…',
        highlightPreTag: MATCH_START,
        highlightPostTag: MATCH_END,
      });
      const search = async (
        these: QueryTerm[],
        page: { limit: number; offset: number },
      ): Promise<Array<MeiliHit & { relevance: number }>> => {
        const { q, ...rest } = params(these, page);
        const hits = await orIfMissing('search', async () => (await idx.search<MeiliHit>(q, rest)).hits, []);
        return hits.map((h) => Object.assign(h, { relevance: h._rankingScore ?? 0 }));
      };
      if (terms.length === 1) {
        return (await search(terms, { limit: options.limit, offset })).map((h) => textHit(h, 1, termScore(1, 1, h.relevance)));
      }
      // Meilisearch's matching strategies drop terms from the end ('last') or the most frequent
      // first ('frequency'), so a document with only a later or a common term would never be
      // found. Instead: the hits with every term as deep as the page and, only when they do not
      // fill it, each term on its own, in one multi-search.
      const page = { limit: offset + options.limit, offset: 0 };
      const all = await search(terms, page);
      const perTerm =
        all.length >= page.limit
          ? []
          : await orIfMissing(
              'multi-search',
              async () =>
                (await client.multiSearch({ queries: terms.map((t) => ({ indexUid: uid, ...params([t], page) })) })).results.map((r) =>
                  (r.hits as MeiliHit[]).map((h) => Object.assign(h, { relevance: h._rankingScore ?? 0 })),
                ),
              [],
            );
      return rankByTerms(all, perTerm.length > 0 ? perTerm : terms.map(() => []))
        .slice(offset, offset + options.limit)
        .map((r) => textHit(r.hit, r.matched, termScore(r.matched, terms.length, r.relevance)));
    },

    // offboarding and the reset before a rebuild: the tenant's entries go, the shared index and
    // its settings stay; an index of the earlier one-per-tenant layout goes too, so rebuilding
    // the text store from the log moves every tenant to the shared index
    async dropTenant(tenantId) {
      await settle('delete tenant documents', index(tenantId).deleteDocuments({ filter: meiliFilter(tenantId) }), ['index_not_found']);
      const legacy = legacyTenantIndexUid(tenantId);
      await settle(`delete index ${legacy}`, client.deleteIndex(legacy), ['index_not_found']);
    },

    async snapshot(tenantId) {
      const docs: TextDocument[] = [];
      for (let offset = 0; ; offset += batchSize) {
        const page = await orIfMissing(
          'get documents',
          () => index(tenantId).getDocuments({ filter: meiliFilter(tenantId), limit: batchSize, offset }),
          { results: [], total: 0 },
        );
        for (const d of page.results) {
          docs.push({
            id: d.id,
            document_id: d.document_id,
            title: d.title,
            content: d.content,
            project_ids: d.project_ids,
            document_type: d.document_type,
            entity_names: d.entity_names,
            created_at: isoFromSeconds(d.created_at),
          });
        }
        if (page.results.length < batchSize) break;
      }
      return docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
  return self;
}

const isoFromSeconds = (s: number): string => new Date(Math.round(s * 1000)).toISOString();

type MeiliHit = StoredDoc & { _rankingScore?: number; _formatted?: Partial<Record<keyof StoredDoc, unknown>> };

function textHit(h: MeiliHit, matched: number, score: number): TextHit {
  return {
    id: h.id,
    document_id: h.document_id,
    title: h.title,
    project_ids: h.project_ids,
    document_type: h.document_type,
    entity_names: h.entity_names,
    created_at: isoFromSeconds(h.created_at),
    score,
    matched_terms: matched,
    snippet: snippetHtml(typeof h._formatted?.content === 'string' ? h._formatted.content : h.content),
  };
}

/** Meilisearch's own syntax for a term: a phrase in quotes, an exclusion behind a dash (neither text holds a quote). */
export function meiliTerm(t: QueryTerm, excluded = false): string {
  return `${excluded ? '-' : ''}${t.phrase ? `"${t.text}"` : t.text}`;
}
