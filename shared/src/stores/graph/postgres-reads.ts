import { withStoreTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import { COMBINING_MARKS, byString, canonicalSnapshot, checkId, checkIds, clampInt, foldForSearch } from './model.ts';
import { walkNeighbourhood } from './neighbourhood.ts';
import { MAX_GRAPH_EDGES, MAX_GRAPH_NODES } from './port.ts';
import type { EntityDetail, EntityMatch, EntitySearchOptions, EntitySummary, GraphSnapshot, GraphStore, RelationEdge } from './port.ts';

type Reads = Pick<
  GraphStore,
  'entitiesInProject' | 'projectsOfEntity' | 'crossProjectEntities' | 'searchEntities' | 'entity' | 'graph' | 'neighbourhood' | 'snapshot'
>;

/**
 * Entities mentioned in the scope's documents, filtered and ranked (see `searchEntities`). The
 * name match folds like `foldForSearch`: NFKD, combining marks stripped, lower case.
 */
async function matchEntities(tx: Tx, t: string, options: EntitySearchOptions, maxLimit = 1000): Promise<EntityMatch[]> {
  const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
  if (projects !== null && projects.length === 0) return [];
  const query = options.query === undefined ? '' : foldForSearch(options.query);
  const type = options.type === undefined ? null : options.type.trim().toLowerCase();
  const limit = clampInt(options.limit, 50, 1, maxLimit);
  const offset = clampInt(options.offset, 0, 0, 1_000_000);
  const inScope = (alias: string) =>
    projects === null
      ? tx``
      : tx`and exists (select 1 from graph_links l
    where l.tenant_id = ${tx(alias)}.tenant_id and l.document_id = ${tx(alias)}.document_id and l.project_id = any(${projects}::uuid[]))`;
  const rows = await tx<Array<EntitySummary & { mentions: number; documents: number; project_ids: string[] }>>`
    with scoped as (
      select m.tenant_id, m.entity_id, sum(m.count)::int as mentions, count(*)::int as documents
      from graph_mentions m where m.tenant_id = ${t} ${inScope('m')}
      group by m.tenant_id, m.entity_id)
    select e.entity_id as id, e.name, e.type, s.mentions, s.documents,
      array(select a.project_id::text from graph_appearances a where a.tenant_id = e.tenant_id and a.entity_id = e.entity_id
            ${projects === null ? tx`` : tx`and a.project_id = any(${projects}::uuid[])`}) as project_ids
    from scoped s join graph_entities e on e.tenant_id = s.tenant_id and e.entity_id = s.entity_id
    where true
      ${type === null ? tx`` : tx`and lower(e.type) = ${type}`}
      ${
        query === ''
          ? tx``
          : tx`and exists (select 1 from graph_entity_aliases x where x.tenant_id = e.tenant_id and x.entity_id = e.entity_id
        and strpos(lower(regexp_replace(normalize(x.name, NFKD), ${COMBINING_MARKS}, '', 'g')), ${query}) > 0)`
      }
    order by s.mentions desc, e.entity_id limit ${limit} offset ${offset}`;
  return rows.map((r) => ({ ...r, project_ids: [...r.project_ids].sort(byString) }));
}

/** The queries of the embedded GraphStore; each one transaction under the tenant's RLS. */
export function createPostgresGraphReads(sql: Sql): Reads {
  const read = <T>(tenantId: string, fn: (tx: Tx, t: string) => Promise<T>): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    return withStoreTenant(sql, t, (tx) => fn(tx, t));
  };

  return {
    entitiesInProject: (tenantId, projectId, options = {}) => {
      const p = checkId(projectId, 'project_id');
      const limit = clampInt(options.limit, 1000, 1, 10_000);
      return read(tenantId, (tx, t) =>
        tx<Array<EntitySummary & { mentions: number; documents: number }>>`
        select e.entity_id as id, e.name, e.type, a.mentions, a.documents
        from graph_appearances a join graph_entities e on e.tenant_id = a.tenant_id and e.entity_id = a.entity_id
        where a.tenant_id = ${t} and a.project_id = ${p}
        order by a.mentions desc, e.entity_id limit ${limit}`.then((rows) => [...rows]),
      );
    },

    projectsOfEntity: (tenantId, entityId) => {
      const e = checkId(entityId, 'entity_id');
      return read(tenantId, (tx, t) =>
        tx<Array<{ project_id: string; mentions: number; documents: number }>>`
        select project_id, mentions, documents from graph_appearances
        where tenant_id = ${t} and entity_id = ${e}
        order by mentions desc, project_id`.then((rows) => [...rows]),
      );
    },

    crossProjectEntities: (tenantId, options = {}) => {
      const min = clampInt(options.minProjects, 2, 1, 1_000_000);
      const limit = clampInt(options.limit, 100, 1, 10_000);
      const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
      if (projects !== null && projects.length === 0) return Promise.resolve([]);
      return read(tenantId, (tx, t) =>
        tx<Array<EntitySummary & { project_ids: string[]; mentions: number }>>`
        select e.entity_id as id, e.name, e.type,
               array_agg(a.project_id::text order by a.project_id::text) as project_ids, sum(a.mentions)::int as mentions
        from graph_appearances a join graph_entities e on e.tenant_id = a.tenant_id and e.entity_id = a.entity_id
        where a.tenant_id = ${t} ${projects === null ? tx`` : tx`and a.project_id = any(${projects}::uuid[])`}
        group by e.entity_id, e.name, e.type
        having count(*) >= ${min}
        order by count(*) desc, sum(a.mentions) desc, e.entity_id limit ${limit}`.then((rows) => [...rows]),
      );
    },

    searchEntities: (tenantId, options = {}) => read(tenantId, (tx, t) => matchEntities(tx, t, options)),

    entity: (tenantId, entityId) => {
      const id = checkId(entityId, 'entity_id');
      return read(tenantId, async (tx, t): Promise<EntityDetail | null> => {
        const [row] = await tx<EntityDetail[]>`
          select e.entity_id as id, e.name, e.type,
                 array(select a.name from graph_entity_aliases a where a.tenant_id = e.tenant_id and a.entity_id = e.entity_id) as aliases,
                 array(select i.id::text from graph_entity_ids i where i.tenant_id = e.tenant_id and i.entity_id = e.entity_id) as ids
          from graph_entities e
          where e.tenant_id = ${t} and e.entity_id = coalesce(
            (select entity_id from graph_entity_ids where tenant_id = ${t} and id = ${id}), ${id}::uuid)`;
        if (row === undefined) return null;
        return { ...row, aliases: [...row.aliases].sort(byString), ids: [...new Set([row.id, ...row.ids])].sort(byString) };
      });
    },

    graph: (tenantId, options = {}) => {
      const limit = clampInt(options.limit, 200, 1, MAX_GRAPH_NODES);
      const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
      return read(tenantId, async (tx, t) => {
        const ranked = await matchEntities(tx, t, { projectIds: projects ?? undefined, limit: limit + 1 }, MAX_GRAPH_NODES + 1);
        const entities = ranked.slice(0, limit).map(({ id, name, type, mentions }) => ({ id, name, type, mentions }));
        const ids = entities.map((e) => e.id);
        const edges =
          ids.length < 2
            ? []
            : [
                ...(await tx<RelationEdge[]>`
          select r.a, r.b, max(r.confidence) as confidence, count(*)::int as documents
          from graph_relations r
          where r.tenant_id = ${t} and r.a = any(${ids}::uuid[]) and r.b = any(${ids}::uuid[])
            ${
              projects === null
                ? tx``
                : tx`and exists (select 1 from graph_links l
              where l.tenant_id = r.tenant_id and l.document_id = r.document_id and l.project_id = any(${projects}::uuid[]))`
            }
          group by r.a, r.b order by max(r.confidence) desc, r.a, r.b limit ${MAX_GRAPH_EDGES + 1}`),
              ];
        const kept = edges.slice(0, MAX_GRAPH_EDGES).sort((x, y) => byString(x.a, y.a) || byString(x.b, y.b));
        return { entities, edges: kept, truncated: ranked.length > limit || edges.length > MAX_GRAPH_EDGES };
      });
    },

    neighbourhood: (tenantId, entityId, options = {}) => {
      const start = checkId(entityId, 'entity_id');
      return read(tenantId, (tx, t) =>
        walkNeighbourhood(
          {
            entities: async (ids) => [
              ...(await tx<EntitySummary[]>`select entity_id as id, name, type from graph_entities
              where tenant_id = ${t} and entity_id = any(${checkIds(ids, 'entity_id')}::uuid[])`),
            ],
            edges: async (ids, projects) => [
              ...(await tx<RelationEdge[]>`
              select r.a, r.b, max(r.confidence) as confidence, count(*)::int as documents
              from graph_relations r
              where r.tenant_id = ${t} and (r.a = any(${[...ids]}::uuid[]) or r.b = any(${[...ids]}::uuid[]))
                ${
                  projects === null
                    ? tx``
                    : tx`and exists (select 1 from graph_links l
                     where l.tenant_id = r.tenant_id and l.document_id = r.document_id and l.project_id = any(${[...projects]}::uuid[]))`
                }
              group by r.a, r.b`),
            ],
          },
          start,
          options,
        ),
      );
    },

    snapshot: (tenantId) =>
      read(tenantId, async (tx, t): Promise<GraphSnapshot> => {
        const projects = await tx<{ id: string }[]>`select project_id as id from graph_projects where tenant_id = ${t}`;
        const documents = await tx<
          { id: string; title: string | null }[]
        >`select document_id as id, title from graph_documents where tenant_id = ${t}`;
        const links = await tx<
          { document_id: string; project_id: string }[]
        >`select document_id, project_id from graph_links where tenant_id = ${t}`;
        const entities = await tx<Array<EntitySummary & { aliases: string[]; ids: string[] }>>`
          select e.entity_id as id, e.name, e.type,
                 array(select a.name from graph_entity_aliases a where a.tenant_id = e.tenant_id and a.entity_id = e.entity_id) as aliases,
                 array(select i.id::text from graph_entity_ids i where i.tenant_id = e.tenant_id and i.entity_id = e.entity_id) as ids
          from graph_entities e where e.tenant_id = ${t}`;
        const mentions = await tx<{ entity_id: string; document_id: string; count: number }[]>`
          select entity_id, document_id, count from graph_mentions where tenant_id = ${t}`;
        const appearances = await tx<{ entity_id: string; project_id: string; mentions: number; documents: number }[]>`
          select entity_id, project_id, mentions, documents from graph_appearances where tenant_id = ${t}`;
        const relations = await tx<{ a: string; b: string; document_id: string; confidence: number }[]>`
          select a, b, document_id, confidence from graph_relations where tenant_id = ${t}`;
        return canonicalSnapshot({
          projects: projects.map((p) => p.id),
          documents: [...documents],
          links: [...links],
          entities: [...entities],
          mentions: [...mentions],
          appearances: [...appearances],
          relations: [...relations],
        });
      }),
  };
}
