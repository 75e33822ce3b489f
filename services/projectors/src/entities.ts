import { EntityMerged, EventEnvelope } from '@mandant/contracts';
import type { DocumentAnalysis } from '@mandant/contracts';
import { type Tx, readOfTheLog } from '@mandant/shared/db';
import { type DocumentStores, isErased, readAnalysis } from './content.ts';
import { documentStatesAt } from './document-state.ts';

/*
 * Entity merges as the search projections (text, vectors) see them, from the log alone so a
 * rebuild resolves exactly like live projection:
 *
 * - A chunk carries, besides the names its own analysis gives, the name of the survivor of every
 *   entity it mentions that was merged away (so the search's entity filter on the survivor's name
 *   finds the chunks of both). The survivor follows the merges up to the position being projected.
 * - A merge (from, into) counts when neither id was merged away before it (the graph store's
 *   `mergeEntities` refuses the same: the merged-away entity is gone); later ones chain.
 * - On `entity.merged.v1` the documents mentioning `from` (or anything merged into it before) are
 *   indexed again with their state at that position.
 *
 * The survivor's name is the name the earliest processed, still readable document at that
 * position gives it in its analysis (the graph keeps the first name it saw, too). Finding it, and
 * the documents a merge touches, reads the analysis of the tenant's live documents in log order
 * (stopping early for a name): one pass per merge event, and one per survivor whose name is not
 * known yet. Known limits: a merge costs a pass over the tenant's documents; and the name comes
 * from artefacts, so when the documents naming the survivor are deleted (their artefacts gone)
 * a rebuild may find another spelling of it (same normalised name, other case) or none at all,
 * where live projection had one: those chunks then differ in that name only.
 */

export type Survivors = Map<string, string>;

interface Merge {
  seq: number;
  from: string;
  into: string;
}

/** Merged-away id → its survivor, from merges in log order (a merge counts when neither id was merged away before it). */
export function survivorsOf(merges: readonly Merge[]): Survivors {
  const parent = new Map<string, string>();
  for (const { from, into } of merges) {
    if (from === into || parent.has(from) || parent.has(into)) continue;
    parent.set(from, into);
  }
  const survivors: Survivors = new Map();
  for (const id of parent.keys()) {
    let s = id;
    for (let next = parent.get(s); next !== undefined; next = parent.get(s)) s = next;
    survivors.set(id, s);
  }
  return survivors;
}

/** The ids that resolved to `from` just before its merge (itself included): their mentions move with it. */
export function mergedClass(before: Survivors, from: string): Set<string> {
  const f = from.toLowerCase();
  return new Set([f, ...[...before].filter(([, s]) => s === f).map(([id]) => id)]);
}

/** The processed documents live at `position`, by their latest analysis, earliest first processed first. */
async function liveAnalyses(tx: Tx, tenantId: string, position: number): Promise<Array<{ documentId: string; analysisKey: string }>> {
  const rows = await readOfTheLog(
    tx,
    tx<{ stream: string; key: string }[]>`
    select l.stream, l.key from (
      select distinct on (stream) stream, data->>'analysis_key' as key from events
      where tenant_id = ${tenantId} and type = 'document.processed.v1' and tenant_seq <= ${position}
      order by stream, tenant_seq desc) l
    join (select stream, min(tenant_seq) as first from events
          where tenant_id = ${tenantId} and type = 'document.processed.v1' and tenant_seq <= ${position} group by stream) f on f.stream = l.stream
    where not exists (select 1 from events d where d.tenant_id = ${tenantId} and d.stream = l.stream
                      and d.type = 'document.deleted.v1' and d.tenant_seq <= ${position})
    order by f.first`,
  );
  return rows.map((r) => ({ documentId: r.stream.slice('document-'.length), analysisKey: r.key }));
}

/**
 * One pass over the live documents' analyses at `position`: the first name of each id in
 * `names`, and the documents that mention any id in `mentioning`. Unreadable (erased) content is
 * skipped. Stops early when only names were asked and all were found.
 */
async function scanEntities(
  tx: Tx,
  stores: DocumentStores,
  tenantId: string,
  position: number,
  want: { names?: ReadonlySet<string>; mentioning?: ReadonlySet<string> },
): Promise<{ names: Map<string, string>; documents: string[] }> {
  const names = new Map<string, string>();
  const documents: string[] = [];
  const wantNames = want.names ?? new Set<string>();
  const wantDocs = want.mentioning ?? new Set<string>();
  if (wantNames.size === 0 && wantDocs.size === 0) return { names, documents };
  for (const { documentId, analysisKey } of await liveAnalyses(tx, tenantId, position)) {
    if (wantDocs.size === 0 && names.size === wantNames.size) break;
    let analysis: DocumentAnalysis;
    try {
      analysis = await readAnalysis(stores, tenantId, analysisKey);
    } catch (err) {
      if (!isErased(err)) throw err;
      continue;
    }
    let mentions = false;
    for (const e of analysis.entities) {
      const id = e.id.toLowerCase();
      if (wantNames.has(id) && !names.has(id)) names.set(id, e.name);
      if (wantDocs.has(id)) mentions = true;
    }
    if (mentions) documents.push(documentId);
  }
  return { names, documents };
}

/**
 * How a projection names entities at a position: each chunk's own names plus the survivors' names
 * of the merged-away entities it mentions.
 */
export interface EntityNaming {
  namesByChunk(analysis: DocumentAnalysis): Promise<Map<number, string[]>>;
}

export interface EntityMerges {
  /** The naming at `position`: one cheap read of the log's new range, none while no merge happened. */
  namingAt(tx: Tx, tenantId: string, position: number): Promise<EntityNaming>;
  /**
   * The documents a page's merges touch: for each merge that counts, those mentioning its `from`
   * class at its position. The caller indexes them again with their state at the end of the page.
   */
  touchedBy(tx: Tx, merges: readonly EventEnvelope[]): Promise<Set<string>>;
}

/**
 * The merges of each tenant's log, read incrementally: a projection asks at positions that only
 * grow (but for a rebuild, which starts over), so each range of the log is read for merges once
 * instead of the whole log per page. Survivors' names are kept with the position they were found
 * at, and used again at that position or later. One per projection instance; per tenant.
 */
export function entityMerges(stores: DocumentStores): EntityMerges {
  const logs = new Map<string, { upTo: number; merges: Merge[] }>();
  const names = new Map<string, Map<string, { name: string; at: number }>>();

  async function mergesUpTo(tx: Tx, tenantId: string, position: number): Promise<Merge[]> {
    // complete up to `upTo`: a lower position (a rebuild starting over) is served by filtering
    let entry = logs.get(tenantId) ?? { upTo: 0, merges: [] };
    if (entry.upTo < position) {
      const rows = await readOfTheLog(
        tx,
        tx<{ tenant_seq: number; data: unknown }[]>`select tenant_seq, data from events where tenant_id = ${tenantId}
          and tenant_seq > ${entry.upTo} and tenant_seq <= ${position} and type = 'entity.merged.v1' order by tenant_seq`,
      );
      const more = rows.flatMap((r) => {
        const parsed = EntityMerged.shape.data.safeParse(r.data);
        return parsed.success
          ? [{ seq: Number(r.tenant_seq), from: parsed.data.from_entity_id.toLowerCase(), into: parsed.data.into_entity_id.toLowerCase() }]
          : [];
      });
      entry = { upTo: position, merges: [...entry.merges, ...more] };
      logs.set(tenantId, entry);
    }
    return entry.merges.filter((m) => m.seq <= position);
  }

  return {
    async namingAt(tx, tenantId, position) {
      const survivors = survivorsOf(await mergesUpTo(tx, tenantId, position));
      const known = names.get(tenantId) ?? new Map<string, { name: string; at: number }>();
      names.set(tenantId, known);
      const nameOf = (id: string): string | undefined => {
        const k = known.get(id);
        return k !== undefined && k.at <= position ? k.name : undefined;
      };
      return {
        async namesByChunk(analysis) {
          const own = new Map(analysis.entities.map((e) => [e.id.toLowerCase(), e.name] as const));
          const needed = new Set(
            [...own.keys()].flatMap((id) => {
              const s = survivors.get(id);
              return s !== undefined && nameOf(s) === undefined ? [s] : [];
            }),
          );
          if (needed.size > 0) {
            for (const [id, name] of (await scanEntities(tx, stores, tenantId, position, { names: needed })).names)
              known.set(id, { name, at: position });
          }
          const byChunk = new Map<number, Set<string>>();
          for (const m of analysis.mentions) {
            const id = m.entity_id.toLowerCase();
            const name = own.get(id);
            if (name === undefined) continue;
            const set = byChunk.get(m.chunk_index) ?? new Set<string>();
            set.add(name);
            const s = survivors.get(id);
            const survivorName = s === undefined ? undefined : nameOf(s);
            if (survivorName !== undefined) set.add(survivorName);
            byChunk.set(m.chunk_index, set);
          }
          return new Map([...byChunk].map(([i, set]) => [i, [...set].sort()]));
        },
      };
    },

    async touchedBy(tx, merges) {
      const touched = new Set<string>();
      for (const e of merges) {
        const parsed = EntityMerged.shape.data.safeParse(e.data);
        if (!parsed.success) continue;
        const before = survivorsOf(await mergesUpTo(tx, e.tenant_id, e.tenant_seq - 1));
        const from = parsed.data.from_entity_id.toLowerCase();
        // a merge that does not count (from or into merged away already) changes no name
        if (before.has(from) || before.has(parsed.data.into_entity_id.toLowerCase())) continue;
        const { documents } = await scanEntities(tx, stores, e.tenant_id, e.tenant_seq, { mentioning: mergedClass(before, from) });
        for (const d of documents) touched.add(d);
      }
      return touched;
    },
  };
}

export { documentStatesAt };
