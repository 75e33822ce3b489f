import type { JSONValue, PendingQuery, Row } from 'postgres';
import { ahead, pipeline, withStoreTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import { aliasKey, checkDocuments, checkId, checkIds, checkMentions, checkRelations, relationRows, resolveMentions } from './model.ts';
import type { KnownEntities, Resolution } from './model.ts';
import { createPostgresGraphReads } from './postgres-reads.ts';
import type { GraphStore, MentionInput } from './port.ts';

export interface PostgresGraphStoreDeps {
  /** the runtime role's pool (`mandant_app`): row-level security applies to every statement */
  sql: Sql;
}

const json = (tx: Tx, value: unknown) => tx.json(value as JSONValue);
type Fragment = PendingQuery<Row[]>;
/** A change to one APPEARS_IN_PROJECT pair: mentions and documents to add (negative: to take away). */
type Delta = { entity_id: string; project_id: string; mentions: number; documents: number };
type MentionRow = { document_id: string; entity_id: string; count: number };
type LinkRow = { document_id: string; project_id: string };

/**
 * The embedded GraphStore: tables of migration 1700000000020_graph. Every call is one
 * transaction acting for its tenant (`withStoreTenant`: a projector's page's own, when called from
 * one for that tenant), and every write takes a per-tenant advisory
 * lock first, so two writers of one tenant cannot both create the same entity. The schema
 * belongs to the migrations: `init` has nothing to do, and `close` leaves the caller's pool open.
 *
 * Writes are pipelined: statements that do not need an answer before the next one are sent
 * together (`pipeline`, in the order written), so a call costs two or three round trips whatever
 * it writes. A projector calls these once or more per page, so round trips are its latency.
 */
export function createPostgresGraphStore({ sql }: PostgresGraphStoreDeps): GraphStore {
  const write = <T>(tenantId: string, fn: (tx: Tx, t: string) => Promise<T>): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    return withStoreTenant(sql, t, (tx) =>
      ahead(tx`select pg_advisory_xact_lock(hashtextextended(${`mandant.graph:${t}`}, 0))`, () => fn(tx, t)),
    );
  };

  /**
   * Recomputes APPEARS_IN_PROJECT from mentions and links for every pair in entities × projects
   * (two statements, pipelined): for a merge, whose survivor takes over mentions it may share with
   * the merged entity. Every other write changes appearances by what it changed (`applying`).
   */
  async function recompute(tx: Tx, t: string, entityIds: readonly string[], projectIds: readonly string[]): Promise<void> {
    if (entityIds.length === 0 || projectIds.length === 0) return;
    await pipeline(
      tx`delete from graph_appearances
        where tenant_id = ${t} and entity_id = any(${entityIds}::uuid[]) and project_id = any(${projectIds}::uuid[])`,
      tx`insert into graph_appearances (tenant_id, entity_id, project_id, mentions, documents)
        select m.tenant_id, m.entity_id, l.project_id, sum(m.count)::int, count(*)::int
        from graph_mentions m join graph_links l on l.tenant_id = m.tenant_id and l.document_id = m.document_id
        where m.tenant_id = ${t} and m.entity_id = any(${entityIds}::uuid[]) and l.project_id = any(${projectIds}::uuid[])
        group by m.tenant_id, m.entity_id, l.project_id`,
    );
  }

  /**
   * Changes APPEARS_IN_PROJECT by what a write changed, instead of recomputing it from every
   * mention of the entities involved (a cost that grew with the tenant's corpus): `changes` are the
   * statement's leading CTEs (or none) and `deltas` a query of (entity_id, project_id, mentions,
   * documents) to add. A pair's row is created, added to, or deleted once no document is left.
   * Writes of a tenant hold its lock (`write`), so nothing else moves the rows meanwhile. The rows
   * are found by their keys: each pair's by a lookup per delta (`lateral … offset 0`), the ones to
   * delete or change by the deltas' entities as an array. The planner takes a JSON recordset for a
   * hundred rows, and for that many would rather walk all of the tenant's appearances, a cost that
   * grew with the corpus (bench/RESULTS.md, Lag, 6 Dec 17:20).
   */
  const applying = (tx: Tx, t: string, changes: Fragment, deltas: Fragment) => tx`
    with ${changes},
    d as (select x.entity_id, x.project_id, sum(x.mentions)::int as mentions, sum(x.documents)::int as documents
          from (${deltas}) x group by x.entity_id, x.project_id),
    m as (select d.*, a.documents is not null as existing, coalesce(a.documents, 0) + d.documents as remaining
          from d left join lateral (select a.documents from graph_appearances a
                                    where a.tenant_id = ${t} and a.entity_id = d.entity_id and a.project_id = d.project_id
                                    offset 0) a on true),
    gone as (delete from graph_appearances a using m
             where a.tenant_id = ${t} and a.entity_id = any(array(select entity_id from m))
               and a.entity_id = m.entity_id and a.project_id = m.project_id and m.existing and m.remaining <= 0),
    moved as (update graph_appearances a set mentions = a.mentions + m.mentions, documents = a.documents + m.documents from m
              where a.tenant_id = ${t} and a.entity_id = any(array(select entity_id from m))
                and a.entity_id = m.entity_id and a.project_id = m.project_id and m.existing and m.remaining > 0)
    insert into graph_appearances (tenant_id, entity_id, project_id, mentions, documents)
    select ${t}, m.entity_id, m.project_id, m.mentions, m.documents from m where not m.existing and m.remaining > 0`;

  /** `applying` for deltas computed here, sent as JSON (none: no statement). */
  const applyingRows = (tx: Tx, t: string, rows: Delta[]) =>
    rows.length === 0
      ? null
      : applying(
          tx,
          t,
          tx`r as (select * from jsonb_to_recordset(${json(tx, rows)}) as r(entity_id uuid, project_id uuid, mentions int, documents int))`,
          tx`select * from r`,
        );

  /**
   * A link write and `applying` for what it changed, in one statement: `added` and `removed` are
   * statements returning (document_id, project_id) of the links they actually inserted or deleted,
   * so a link written again, or one never there, changes no appearance. `docs` holds every
   * document they may touch: their mentions are found by it (the planner sizes an array right, a
   * JSON recordset it takes for a hundred rows).
   */
  const applyingLinks = (tx: Tx, t: string, docs: readonly string[], added: Fragment | null, removed: Fragment | null) => {
    const none = tx`select null::uuid as document_id, null::uuid as project_id where false`;
    return applying(
      tx,
      t,
      tx`added as (${added ?? none}), removed as (${removed ?? none}),
         x as (select document_id, project_id, 1 as sign from added union all select document_id, project_id, -1 from removed)`,
      tx`select g.entity_id, x.project_id, g.count * x.sign as mentions, x.sign as documents
         from x join graph_mentions g on g.tenant_id = ${t} and g.document_id = any(${docs}::uuid[]) and g.document_id = x.document_id`,
    );
  };

  /** Each document's mentions and links, before a write changes them. */
  const mentionsOf = (tx: Tx, t: string, docs: string[]) => tx<MentionRow[]>`select document_id, entity_id, count from graph_mentions
      where tenant_id = ${t} and document_id = any(${docs}::uuid[])`;
  const linksOf = (tx: Tx, t: string, docs: string[]) => tx<LinkRow[]>`select document_id, project_id from graph_links
      where tenant_id = ${t} and document_id = any(${docs}::uuid[])`;
  const ensureDocuments = (tx: Tx, t: string, docs: string[]) =>
    tx`insert into graph_documents (tenant_id, document_id) select ${t}, unnest(${docs}::uuid[]) on conflict do nothing`;

  /**
   * The mentions of distinct documents, resolved in order (each document sees the entities the
   * ones before it created). First trip: everything read (the documents' mentions before and
   * their links, the entities the names and ids resolve to); second: every write, appearances
   * last, changed by what the documents' mentions changed in each project they are linked to.
   */
  async function writeMentions(tx: Tx, t: string, documents: Array<{ doc: string; input: MentionInput[] }>, replace: boolean) {
    const docs = documents.map((d) => d.doc);
    const [, byKey, byId, before, links] = await pipeline(
      ensureDocuments(tx, t, docs),
      ...knownEntities(
        tx,
        t,
        documents.flatMap((d) => d.input),
      ),
      mentionsOf(tx, t, docs),
      linksOf(tx, t, docs),
    );
    const seen = known(byKey, byId);
    const entities: Resolution['entities'] = [];
    const aliases: Resolution['aliases'] = [];
    const entityIds: Resolution['ids'] = [];
    const counts: Array<{ entity_id: string; document_id: string; count: number }> = [];
    const kept: Array<{ document_id: string; keep: string[] }> = [];
    for (const { doc, input } of documents) {
      const r = resolveMentions(input, seen);
      entities.push(...r.entities);
      aliases.push(...r.aliases);
      entityIds.push(...r.ids);
      for (const a of r.aliases) seen.byKey.set(a.key, a.entity_id);
      for (const i of r.ids) seen.byId.set(i.id, i.entity_id);
      for (const [entity_id, count] of r.counts) counts.push({ entity_id, document_id: doc, count });
      kept.push({ document_id: doc, keep: [...r.counts.keys()] });
    }
    // each document's counts after this write: replaced by what it names now, or those it names
    // again changed; the appearances change by the difference in every project it is linked to
    const after = new Map<string, Map<string, number>>(docs.map((d) => [d, new Map()]));
    const prior = new Map<string, Map<string, number>>(docs.map((d) => [d, new Map()]));
    for (const m of before) prior.get(m.document_id)?.set(m.entity_id, m.count);
    if (!replace) for (const [d, counted] of prior) for (const [e, n] of counted) after.get(d)?.set(e, n);
    for (const c of counts) after.get(c.document_id)?.set(c.entity_id, c.count);
    const deltas: Delta[] = [];
    for (const { document_id, project_id } of links) {
      const [was, is] = [prior.get(document_id) ?? new Map<string, number>(), after.get(document_id) ?? new Map<string, number>()];
      for (const entity_id of new Set([...was.keys(), ...is.keys()])) {
        const [n0, n1] = [was.get(entity_id) ?? 0, is.get(entity_id) ?? 0];
        if (n0 !== n1) deltas.push({ entity_id, project_id, mentions: n1 - n0, documents: Number(n1 > 0) - Number(n0 > 0) });
      }
    }
    await pipeline(
      tx`insert into graph_entities (tenant_id, entity_id, name, type)
        select ${t}, e.id, e.name, e.type from jsonb_to_recordset(${json(tx, entities)}) as e(id uuid, name text, type text)
        on conflict do nothing`,
      tx`insert into graph_entity_aliases (tenant_id, alias_key, name, entity_id)
        select ${t}, a.key, a.name, a.entity_id from jsonb_to_recordset(${json(tx, aliases)}) as a(key text, name text, entity_id uuid)
        on conflict do nothing`,
      tx`insert into graph_entity_ids (tenant_id, id, entity_id)
        select ${t}, i.id, i.entity_id from jsonb_to_recordset(${json(tx, entityIds)}) as i(id uuid, entity_id uuid)
        on conflict do nothing`,
      replace
        ? tx`delete from graph_mentions m using jsonb_to_recordset(${json(tx, kept)}) as k(document_id uuid, keep uuid[])
            where m.tenant_id = ${t} and m.document_id = any(${docs}::uuid[]) and m.document_id = k.document_id and m.entity_id <> all(k.keep)`
        : null,
      tx`insert into graph_mentions (tenant_id, entity_id, document_id, count)
        select ${t}, c.entity_id, c.document_id, c.count from jsonb_to_recordset(${json(tx, counts)}) as c(entity_id uuid, document_id uuid, count int)
        on conflict (tenant_id, entity_id, document_id) do update set count = excluded.count`,
      applyingRows(tx, t, deltas),
    );
  }

  return {
    ...createPostgresGraphReads(sql),
    async init() {},
    async close() {},

    async upsertDocuments(tenantId, documents) {
      const docs = checkDocuments(documents);
      if (docs.length === 0) return;
      await write(
        tenantId,
        (tx, t) => tx`
        insert into graph_documents (tenant_id, document_id, title)
        select ${t}, d.id, d.title from jsonb_to_recordset(${json(tx, docs)}) as d(id uuid, title text)
        on conflict (tenant_id, document_id) do update set title = excluded.title`,
      );
    },

    async linkDocuments(tenantId, projectId, documentIds) {
      const [p, docs] = [checkId(projectId, 'project_id'), checkIds(documentIds, 'document_id')];
      if (docs.length === 0) return;
      await write(tenantId, async (tx, t) => {
        await pipeline(
          tx`insert into graph_projects (tenant_id, project_id) values (${t}, ${p}) on conflict do nothing`,
          ensureDocuments(tx, t, docs),
          applyingLinks(
            tx,
            t,
            docs,
            tx`insert into graph_links (tenant_id, document_id, project_id)
              select ${t}, unnest(${docs}::uuid[]), ${p} on conflict do nothing returning document_id, project_id`,
            null,
          ),
        );
      });
    },

    async changeLinks(tenantId, changes) {
      // each pair's last word, in order; a project linked anything gets its node, as linkDocuments does
      const pairs = new Map<string, { document_id: string; project_id: string; linked: boolean }>();
      const projects = new Set<string>();
      const linkedDocs = new Set<string>();
      for (const c of changes) {
        const [p, linked, unlinked] = [
          checkId(c.projectId, 'project_id'),
          checkIds(c.linked, 'document_id'),
          checkIds(c.unlinked, 'document_id'),
        ];
        if (linked.length > 0) projects.add(p);
        for (const d of linked) {
          linkedDocs.add(d);
          pairs.set(`${d}/${p}`, { document_id: d, project_id: p, linked: true });
        }
        for (const d of unlinked) pairs.set(`${d}/${p}`, { document_id: d, project_id: p, linked: false });
      }
      if (pairs.size === 0) return;
      const rows = [...pairs.values()];
      const [link, unlink] = [rows.filter((r) => r.linked), rows.filter((r) => !r.linked)];
      const pairDocs = [...new Set(rows.map((r) => r.document_id))];
      await write(tenantId, async (tx, t) => {
        await pipeline(
          projects.size > 0
            ? tx`insert into graph_projects (tenant_id, project_id) select ${t}, unnest(${[...projects]}::uuid[]) on conflict do nothing`
            : null,
          linkedDocs.size > 0 ? ensureDocuments(tx, t, [...linkedDocs]) : null,
          // a pair is linked or unlinked, never both (its last word), so the two touch different rows
          applyingLinks(
            tx,
            t,
            pairDocs,
            link.length > 0
              ? tx`insert into graph_links (tenant_id, document_id, project_id)
                  select ${t}, l.document_id, l.project_id from jsonb_to_recordset(${json(tx, link)}) as l(document_id uuid, project_id uuid)
                  on conflict do nothing returning document_id, project_id`
              : null,
            unlink.length > 0
              ? tx`delete from graph_links g using jsonb_to_recordset(${json(tx, unlink)}) as l(document_id uuid, project_id uuid)
                  where g.tenant_id = ${t} and g.document_id = any(${[...new Set(unlink.map((r) => r.document_id))]}::uuid[])
                    and g.document_id = l.document_id and g.project_id = l.project_id
                  returning g.document_id, g.project_id`
              : null,
          ),
        );
      });
    },

    async unlinkDocuments(tenantId, projectId, documentIds) {
      const [p, docs] = [checkId(projectId, 'project_id'), checkIds(documentIds, 'document_id')];
      if (docs.length === 0) return;
      await write(tenantId, async (tx, t) => {
        await applyingLinks(
          tx,
          t,
          docs,
          null,
          tx`delete from graph_links where tenant_id = ${t} and project_id = ${p} and document_id = any(${docs}::uuid[])
            returning document_id, project_id`,
        );
      });
    },

    async deleteDocuments(tenantId, documentIds) {
      const docs = checkIds(documentIds, 'document_id');
      if (docs.length === 0) return;
      await write(tenantId, async (tx, t) => {
        // its appearances first, as if every link of it went; then links, mentions and relation
        // evidence go with the document (foreign keys cascade)
        await pipeline(
          applyingLinks(
            tx,
            t,
            docs,
            null,
            tx`select document_id, project_id from graph_links where tenant_id = ${t} and document_id = any(${docs}::uuid[])`,
          ),
          tx`delete from graph_documents where tenant_id = ${t} and document_id = any(${docs}::uuid[])`,
        );
      });
    },

    async upsertMentions(tenantId, documentId, mentions, options = {}) {
      const doc = checkId(documentId, 'document_id');
      const input = checkMentions(mentions);
      if (input.length === 0 && options.replace !== true) return;
      await write(tenantId, (tx, t) => writeMentions(tx, t, [{ doc, input }], options.replace === true));
    },

    async upsertMentionsOfDocuments(tenantId, documents, options = {}) {
      const replace = options.replace === true;
      const all = documents
        .map((d) => ({ doc: checkId(d.documentId, 'document_id'), input: checkMentions(d.mentions) }))
        .filter((d) => d.input.length > 0 || replace);
      if (all.length === 0) return;
      await write(tenantId, async (tx, t) => {
        // a document named again starts the next run: its second call sees what its first wrote
        let run: typeof all = [];
        for (const d of all) {
          if (run.some((r) => r.doc === d.doc)) {
            await writeMentions(tx, t, run, replace);
            run = [];
          }
          run.push(d);
        }
        await writeMentions(tx, t, run, replace);
      });
    },

    async upsertRelations(tenantId, relations) {
      const input = checkRelations(relations);
      if (input.length === 0) return;
      await write(tenantId, async (tx, t) => {
        const entityIds = [...new Set(input.flatMap((r) => [r.from_entity_id, r.to_entity_id]))];
        const [ownerRows, docRows] = await pipeline(
          tx<
            { id: string; entity_id: string }[]
          >`select id, entity_id from graph_entity_ids where tenant_id = ${t} and id = any(${entityIds}::uuid[])`,
          tx<{ id: string }[]>`select document_id as id from graph_documents
            where tenant_id = ${t} and document_id = any(${[...new Set(input.map((r) => r.document_id))]}::uuid[])`,
        );
        const owners = new Map(ownerRows.map((r) => [r.id, r.entity_id] as const));
        const docs = new Set(docRows.map((r) => r.id));
        const rows = relationRows(input, owners, docs);
        await tx`insert into graph_relations (tenant_id, a, b, document_id, confidence)
          select ${t}, r.a, r.b, r.document_id, r.confidence
          from jsonb_to_recordset(${json(tx, rows)}) as r(a uuid, b uuid, document_id uuid, confidence float8)
          on conflict (tenant_id, a, b, document_id) do update set confidence = excluded.confidence`;
      });
    },

    async mergeEntities(tenantId, fromId, intoId) {
      const [from, into] = [checkId(fromId, 'entity_id'), checkId(intoId, 'entity_id')];
      if (from === into) return false;
      return write(tenantId, async (tx, t) => {
        const found = await tx`select 1 from graph_entities where tenant_id = ${t} and entity_id in (${from}, ${into})`;
        if (found.length < 2) return false;
        const projects = (
          await tx<{ id: string }[]>`select distinct project_id as id from graph_appearances
          where tenant_id = ${t} and entity_id in (${from}, ${into})`
        ).map((r) => r.id);
        await tx`update graph_entity_aliases set entity_id = ${into} where tenant_id = ${t} and entity_id = ${from}`;
        await tx`update graph_entity_ids set entity_id = ${into} where tenant_id = ${t} and entity_id = ${from}`;
        await tx`insert into graph_mentions (tenant_id, entity_id, document_id, count)
          select tenant_id, ${into}, document_id, count from graph_mentions where tenant_id = ${t} and entity_id = ${from}
          on conflict (tenant_id, entity_id, document_id) do update set count = graph_mentions.count + excluded.count`;
        // the survivor takes the other end of every relation; one between the two disappears
        await tx`insert into graph_relations (tenant_id, a, b, document_id, confidence)
          select ${t}, least(${into}::uuid, other), greatest(${into}::uuid, other), document_id, max(confidence)
          from (select case when a = ${from} then b else a end as other, document_id, confidence
                from graph_relations where tenant_id = ${t} and (a = ${from} or b = ${from})) x
          where other <> ${into}
          group by other, document_id
          on conflict (tenant_id, a, b, document_id) do update set confidence = greatest(graph_relations.confidence, excluded.confidence)`;
        // its mentions, relations and appearances go with it (foreign keys cascade)
        await tx`delete from graph_entities where tenant_id = ${t} and entity_id = ${from}`;
        await recompute(tx, t, [into], projects);
        return true;
      });
    },

    async deleteProject(tenantId, projectId) {
      const p = checkId(projectId, 'project_id');
      // links and appearances cascade; no entity's appearance elsewhere depends on this project
      await write(tenantId, (tx, t) => tx`delete from graph_projects where tenant_id = ${t} and project_id = ${p}`);
    },

    async dropTenant(tenantId) {
      await write(tenantId, async (tx, t) => {
        await tx`delete from graph_entities where tenant_id = ${t}`;
        await tx`delete from graph_documents where tenant_id = ${t}`;
        await tx`delete from graph_projects where tenant_id = ${t}`;
      });
    },
  };
}

/** The statements that read which of a batch's alias keys and ids the tenant already knows (see `known`). */
function knownEntities(tx: Tx, t: string, input: readonly MentionInput[]) {
  const keys = [...new Set(input.map((m) => aliasKey(m.name, m.type)))];
  const ids = [...new Set(input.map((m) => m.entity_id))];
  return [
    tx<{ k: string; e: string }[]>`select alias_key as k, entity_id as e from graph_entity_aliases
      where tenant_id = ${t} and alias_key = any(${keys}::text[])`,
    tx<{ k: string; e: string }[]>`select id as k, entity_id as e from graph_entity_ids
      where tenant_id = ${t} and id = any(${ids}::uuid[])`,
  ] as const;
}

const known = (byKey: readonly { k: string; e: string }[], byId: readonly { k: string; e: string }[]): KnownEntities => ({
  byKey: new Map(byKey.map((r) => [r.k, r.e])),
  byId: new Map(byId.map((r) => [r.k, r.e])),
});
