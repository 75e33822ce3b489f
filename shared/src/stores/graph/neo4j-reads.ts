import neo4j from 'neo4j-driver';
import type { Driver, ManagedTransaction } from 'neo4j-driver';
import { byString, canonicalSnapshot, checkId, checkIds, clampInt } from './model.ts';
import { walkNeighbourhood } from './neighbourhood.ts';
import type { GraphStore } from './port.ts';

type Reads = Pick<GraphStore, 'entitiesInProject' | 'projectsOfEntity' | 'crossProjectEntities' | 'neighbourhood' | 'snapshot'>;
type Row = { get(key: string): unknown };

/** Neo4j integers arrive as Integer objects unless the driver was told otherwise; accept both. */
const num = (v: unknown): number => (neo4j.isInt(v) ? v.toNumber() : typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** The `v` column of every row. */
export const strings = (rows: readonly Row[]): string[] => rows.map((r) => str(r.get('v')));

/** The queries of the Neo4j GraphStore; each one read transaction starting from the tenant's nodes. */
export function createNeo4jGraphReads(driver: Driver, sessionConfig: { database?: string }): Reads {
  const read = async <T>(tenantId: string, fn: (run: (cypher: string, params?: Record<string, unknown>) => Promise<Row[]>) => Promise<T>): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    const session = driver.session({ ...sessionConfig, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx: ManagedTransaction) => fn(async (cypher, params = {}) => (await tx.run(cypher, { ...params, t })).records));
    } finally {
      await session.close();
    }
  };

  return {
    entitiesInProject: (tenantId, projectId, options = {}) => {
      const p = checkId(projectId, 'project_id');
      const limit = neo4j.int(clampInt(options.limit, 1000, 1, 10_000));
      return read(tenantId, async (run) =>
        (await run(`MATCH (:Project {tenant_id: $t, id: $p})<-[a:APPEARS_IN_PROJECT]-(e:Entity)
          RETURN e.id AS id, e.name AS name, e.type AS type, a.mentions AS mentions, a.documents AS documents
          ORDER BY mentions DESC, id LIMIT $limit`, { p, limit })).map((r) => ({
          id: str(r.get('id')), name: str(r.get('name')), type: str(r.get('type')),
          mentions: num(r.get('mentions')), documents: num(r.get('documents')),
        })));
    },

    projectsOfEntity: (tenantId, entityId) => {
      const e = checkId(entityId, 'entity_id');
      return read(tenantId, async (run) =>
        (await run(`MATCH (:Entity {tenant_id: $t, id: $e})-[a:APPEARS_IN_PROJECT]->(p:Project)
          RETURN p.id AS project_id, a.mentions AS mentions, a.documents AS documents
          ORDER BY mentions DESC, project_id`, { e })).map((r) => ({
          project_id: str(r.get('project_id')), mentions: num(r.get('mentions')), documents: num(r.get('documents')),
        })));
    },

    crossProjectEntities: (tenantId, options = {}) => {
      const min = neo4j.int(clampInt(options.minProjects, 2, 1, 1_000_000));
      const limit = neo4j.int(clampInt(options.limit, 100, 1, 10_000));
      return read(tenantId, async (run) =>
        (await run(`MATCH (e:Entity {tenant_id: $t})-[a:APPEARS_IN_PROJECT]->(p:Project)
          WITH e, count(p) AS projects, sum(a.mentions) AS mentions, collect(p.id) AS project_ids
          WHERE projects >= $min
          RETURN e.id AS id, e.name AS name, e.type AS type, project_ids, mentions
          ORDER BY projects DESC, mentions DESC, id LIMIT $limit`, { min, limit })).map((r) => ({
          id: str(r.get('id')), name: str(r.get('name')), type: str(r.get('type')),
          project_ids: (r.get('project_ids') as unknown[]).map(str).sort(byString), mentions: num(r.get('mentions')),
        })));
    },

    neighbourhood: (tenantId, entityId, options = {}) => {
      const start = checkId(entityId, 'entity_id');
      const project = options.projectId === undefined ? null : checkId(options.projectId, 'project_id');
      return read(tenantId, (run) =>
        walkNeighbourhood(
          {
            entities: async (ids) =>
              (await run('UNWIND $ids AS id MATCH (e:Entity {tenant_id: $t, id: id}) RETURN e.id AS id, e.name AS name, e.type AS type',
                { ids: checkIds(ids, 'entity_id') })).map((r) => ({ id: str(r.get('id')), name: str(r.get('name')), type: str(r.get('type')) })),
            edges: async (ids) =>
              (await run(`UNWIND $ids AS id
                MATCH (:Entity {tenant_id: $t, id: id})-[r:RELATED_TO]-(:Entity)
                WHERE $project IS NULL OR EXISTS {
                  MATCH (:Document {tenant_id: $t, id: r.document_id})-[:BELONGS_TO]->(:Project {tenant_id: $t, id: $project}) }
                WITH DISTINCT r
                WITH startNode(r).id AS a, endNode(r).id AS b, r
                RETURN a, b, max(r.confidence) AS confidence, count(r) AS documents`, { ids: [...ids], project })).map((r) => ({
                a: str(r.get('a')), b: str(r.get('b')), confidence: num(r.get('confidence')), documents: num(r.get('documents')),
              })),
          },
          start,
          options,
        ),
      );
    },

    snapshot: (tenantId) =>
      read(tenantId, async (run) => {
        const aliases = new Map<string, string[]>();
        const ids = new Map<string, string[]>();
        for (const r of await run('MATCH (a:EntityAlias {tenant_id: $t}) RETURN a.entity_id AS e, a.name AS v')) {
          aliases.set(str(r.get('e')), [...(aliases.get(str(r.get('e'))) ?? []), str(r.get('v'))]);
        }
        for (const r of await run('MATCH (n:EntityId {tenant_id: $t}) RETURN n.entity_id AS e, n.id AS v')) {
          ids.set(str(r.get('e')), [...(ids.get(str(r.get('e'))) ?? []), str(r.get('v'))]);
        }
        return canonicalSnapshot({
          projects: strings(await run('MATCH (p:Project {tenant_id: $t}) RETURN p.id AS v')),
          documents: (await run('MATCH (d:Document {tenant_id: $t}) RETURN d.id AS id, d.title AS title')).map((r) => ({
            id: str(r.get('id')), title: strOrNull(r.get('title')),
          })),
          links: (await run('MATCH (d:Document {tenant_id: $t})-[:BELONGS_TO]->(p:Project) RETURN d.id AS d, p.id AS p')).map((r) => ({
            document_id: str(r.get('d')), project_id: str(r.get('p')),
          })),
          entities: (await run('MATCH (e:Entity {tenant_id: $t}) RETURN e.id AS id, e.name AS name, e.type AS type')).map((r) => ({
            id: str(r.get('id')), name: str(r.get('name')), type: str(r.get('type')),
            aliases: aliases.get(str(r.get('id'))) ?? [], ids: ids.get(str(r.get('id'))) ?? [],
          })),
          mentions: (await run('MATCH (e:Entity {tenant_id: $t})-[f:FOUND_IN]->(d:Document) RETURN e.id AS e, d.id AS d, f.count AS c')).map((r) => ({
            entity_id: str(r.get('e')), document_id: str(r.get('d')), count: num(r.get('c')),
          })),
          appearances: (await run(`MATCH (e:Entity {tenant_id: $t})-[a:APPEARS_IN_PROJECT]->(p:Project)
            RETURN e.id AS e, p.id AS p, a.mentions AS m, a.documents AS d`)).map((r) => ({
            entity_id: str(r.get('e')), project_id: str(r.get('p')), mentions: num(r.get('m')), documents: num(r.get('d')),
          })),
          relations: (await run(`MATCH (a:Entity {tenant_id: $t})-[r:RELATED_TO]->(b:Entity)
            RETURN a.id AS a, b.id AS b, r.document_id AS d, r.confidence AS c`)).map((r) => ({
            a: str(r.get('a')), b: str(r.get('b')), document_id: str(r.get('d')), confidence: num(r.get('c')),
          })),
        });
      }),
  };
}
