import { withTenant } from '../../db/connect.ts';
import type { Sql, Tx } from '../../db/connect.ts';
import { canonicalSnapshot, checkId, checkIds, clampInt } from './model.ts';
import { walkNeighbourhood } from './neighbourhood.ts';
import type { EntitySummary, GraphSnapshot, GraphStore, RelationEdge } from './port.ts';

type Reads = Pick<GraphStore, 'entitiesInProject' | 'projectsOfEntity' | 'crossProjectEntities' | 'neighbourhood' | 'snapshot'>;

/** The queries of the embedded GraphStore; each one transaction under the tenant's RLS. */
export function createPostgresGraphReads(sql: Sql): Reads {
  const read = <T>(tenantId: string, fn: (tx: Tx, t: string) => Promise<T>): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    return withTenant(sql, t, (tx) => fn(tx, t));
  };

  return {
    entitiesInProject: (tenantId, projectId, options = {}) => {
      const p = checkId(projectId, 'project_id');
      const limit = clampInt(options.limit, 1000, 1, 10_000);
      return read(tenantId, (tx, t) => tx<Array<EntitySummary & { mentions: number; documents: number }>>`
        select e.entity_id as id, e.name, e.type, a.mentions, a.documents
        from graph_appearances a join graph_entities e on e.tenant_id = a.tenant_id and e.entity_id = a.entity_id
        where a.tenant_id = ${t} and a.project_id = ${p}
        order by a.mentions desc, e.entity_id limit ${limit}`.then((rows) => [...rows]));
    },

    projectsOfEntity: (tenantId, entityId) => {
      const e = checkId(entityId, 'entity_id');
      return read(tenantId, (tx, t) => tx<Array<{ project_id: string; mentions: number; documents: number }>>`
        select project_id, mentions, documents from graph_appearances
        where tenant_id = ${t} and entity_id = ${e}
        order by mentions desc, project_id`.then((rows) => [...rows]));
    },

    crossProjectEntities: (tenantId, options = {}) => {
      const min = clampInt(options.minProjects, 2, 1, 1_000_000);
      const limit = clampInt(options.limit, 100, 1, 10_000);
      return read(tenantId, (tx, t) => tx<Array<EntitySummary & { project_ids: string[]; mentions: number }>>`
        select e.entity_id as id, e.name, e.type,
               array_agg(a.project_id::text order by a.project_id::text) as project_ids, sum(a.mentions)::int as mentions
        from graph_appearances a join graph_entities e on e.tenant_id = a.tenant_id and e.entity_id = a.entity_id
        where a.tenant_id = ${t}
        group by e.entity_id, e.name, e.type
        having count(*) >= ${min}
        order by count(*) desc, sum(a.mentions) desc, e.entity_id limit ${limit}`.then((rows) => [...rows]));
    },

    neighbourhood: (tenantId, entityId, options = {}) => {
      const start = checkId(entityId, 'entity_id');
      const project = options.projectId === undefined ? null : checkId(options.projectId, 'project_id');
      return read(tenantId, (tx, t) =>
        walkNeighbourhood(
          {
            entities: async (ids) => [...(await tx<EntitySummary[]>`select entity_id as id, name, type from graph_entities
              where tenant_id = ${t} and entity_id = any(${checkIds(ids, 'entity_id')}::uuid[])`)],
            edges: async (ids) => [...(await tx<RelationEdge[]>`
              select r.a, r.b, max(r.confidence) as confidence, count(*)::int as documents
              from graph_relations r
              where r.tenant_id = ${t} and (r.a = any(${[...ids]}::uuid[]) or r.b = any(${[...ids]}::uuid[]))
                and (${project}::uuid is null or exists (select 1 from graph_links l
                     where l.tenant_id = r.tenant_id and l.document_id = r.document_id and l.project_id = ${project}::uuid))
              group by r.a, r.b`)],
          },
          start,
          options,
        ),
      );
    },

    snapshot: (tenantId) =>
      read(tenantId, async (tx, t): Promise<GraphSnapshot> => {
        const projects = await tx<{ id: string }[]>`select project_id as id from graph_projects where tenant_id = ${t}`;
        const documents = await tx<{ id: string; title: string | null }[]>`select document_id as id, title from graph_documents where tenant_id = ${t}`;
        const links = await tx<{ document_id: string; project_id: string }[]>`select document_id, project_id from graph_links where tenant_id = ${t}`;
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
