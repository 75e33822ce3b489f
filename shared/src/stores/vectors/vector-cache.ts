import { CachedCollection, POINT_OVERHEAD_BYTES } from './cached-collection.ts';
import type { CachedRow, DocumentProjects } from './cached-collection.ts';

/**
 * The embedded vector index's per-process cache of whole collections (see `postgres.ts`), kept
 * fresh by the collection's revision (migrations `1700000000080_vector-revisions.sql` and `1700000000320_document-links.sql`).
 *
 * - Freshness: a search reads the collection's revision in its own tenant transaction (RLS
 *   decides what it may see), then brings the cached copy up to at least that revision: the
 *   rows, tombstones and document links stamped after the copy's revision, or a full load when there is no copy,
 *   the collection was re-created, or the tombstones it would need were pruned. A search thus
 *   sees every write committed before its revision check (and possibly later ones).
 * - Several processes: each has its own cache; all are consistent through the revision.
 * - Memory: an LRU over collections within `maxBytes` (an estimate: floats exactly, the rest per
 *   point). A collection that alone exceeds the budget is not cached; the caller then streams
 *   from Postgres as before. Evicted collections are re-loaded on their next search.
 * - Concurrency: one refresh per collection at a time; concurrent searches of that collection
 *   wait for it and then check again, so a refresh is never applied over a newer one.
 */
export interface CollectionState {
  /** identifies this incarnation of the collection (a dropped and re-created one differs) */
  born: string;
  revision: number;
  /** tombstones stamped at or below this are gone: older copies must reload */
  tombstonesFrom: number;
}

/** Reads from the collection, inside the searching transaction. */
export interface CollectionSource {
  count(): Promise<number>;
  /** every point, delivered in batches */
  all(onRows: (rows: CachedRow[]) => void): Promise<void>;
  /**
   * After `revision`: ids deleted, rows written (tombstones first: a re-inserted id is in both),
   * and documents whose projects changed, with their projects now
   */
  changedSince(revision: number): Promise<{ deleted: string[]; rows: CachedRow[]; relinked: DocumentProjects[] }>;
}

interface Entry {
  collection: CachedCollection;
  born: string;
  revision: number;
  bytes: number;
}

export interface VectorCache {
  /** The collection at `state.revision` or later, or undefined when it does not fit the budget. */
  fresh(key: string, dimension: number, state: CollectionState, source: CollectionSource): Promise<CachedCollection | undefined>;
  /** Forgets a collection (it no longer exists). */
  forget(key: string): void;
  /** Forgets every collection whose key starts with `prefix` (a dropped tenant's). */
  forgetTenant(prefix: string): void;
  stats(): { collections: number; bytes: number; maxBytes: number };
}

export function createVectorCache({ maxBytes }: { maxBytes: number }): VectorCache {
  const entries = new Map<string, Entry>(); // insertion order = least recently used first
  const inflight = new Map<string, Promise<void>>();
  /** collections known not to fit, at the state they were measured */
  const tooBig = new Map<string, string>();
  let total = 0;

  const drop = (key: string): void => {
    const e = entries.get(key);
    if (e) total -= e.bytes;
    entries.delete(key);
  };

  /** Keeps `key` (if it fits at all) and evicts the least recently used others until within budget. */
  const settle = (key: string, e: Entry): boolean => {
    drop(key);
    e.bytes = e.collection.bytes();
    if (e.bytes > maxBytes) return false;
    for (const [other] of entries) {
      if (total + e.bytes <= maxBytes) break;
      drop(other);
    }
    entries.set(key, e);
    total += e.bytes;
    return true;
  };

  async function refresh(key: string, dimension: number, state: CollectionState, source: CollectionSource): Promise<void> {
    const e = entries.get(key);
    if (e && e.born === state.born && e.revision >= state.tombstonesFrom) {
      const { deleted, rows, relinked } = await source.changedSince(e.revision);
      for (const id of deleted) e.collection.remove(id);
      for (const row of rows) e.collection.put(row);
      for (const d of relinked) e.collection.relink(d.document_id, d.project_ids);
      e.revision = Math.max(e.revision, state.revision);
      if (!settle(key, e)) {
        drop(key);
        tooBig.set(key, `${state.born}@${state.revision}`);
      }
      return;
    }
    drop(key);
    const n = await source.count();
    if (n * (dimension * 4 + 16 + POINT_OVERHEAD_BYTES) > maxBytes) {
      tooBig.set(key, `${state.born}@${state.revision}`);
      return;
    }
    tooBig.delete(key);
    const collection = new CachedCollection(dimension, Math.ceil(n * 1.05) + 16);
    await source.all((rows) => rows.forEach((r) => collection.put(r)));
    if (!settle(key, { collection, born: state.born, revision: state.revision, bytes: 0 }))
      tooBig.set(key, `${state.born}@${state.revision}`);
  }

  return {
    async fresh(key, dimension, state, source) {
      for (;;) {
        // a refresh applies its changes in one synchronous step, so a copy that is fresh enough
        // can be used even while another refresh of it awaits the database
        const e = entries.get(key);
        if (e && e.born === state.born && e.revision >= state.revision) {
          entries.delete(key); // most recently used last
          entries.set(key, e);
          return e.collection;
        }
        const running = inflight.get(key);
        if (running) {
          await running.catch(() => {});
          continue;
        }
        if (!e && tooBig.get(key) === `${state.born}@${state.revision}`) return undefined;
        const work = refresh(key, dimension, state, source);
        inflight.set(key, work);
        try {
          await work;
        } catch (err) {
          drop(key); // a half-applied refresh is not trusted
          throw err;
        } finally {
          inflight.delete(key);
        }
        if (!entries.has(key)) return undefined;
      }
    },
    forget(key) {
      drop(key);
      tooBig.delete(key);
    },
    forgetTenant(prefix) {
      for (const key of [...entries.keys(), ...tooBig.keys()]) {
        if (!key.startsWith(prefix)) continue;
        drop(key);
        tooBig.delete(key);
      }
    },
    stats: () => ({ collections: entries.size, bytes: total, maxBytes }),
  };
}
