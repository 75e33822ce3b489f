import neo4j from 'neo4j-driver';
import type { Driver, ManagedTransaction } from 'neo4j-driver';
import { COMBINING_MARKS, byString, canonicalSnapshot, checkId, checkIds, clampInt, foldForSearch } from './model.ts';
import { walkNeighbourhood } from './neighbourhood.ts';
import { MAX_GRAPH_EDGES, MAX_GRAPH_NODES } from './port.ts';
import type { EntityMatch, EntitySearchOptions, GraphStore, RelationEdge } from './port.ts';

type Reads = Pick<
  GraphStore,
  'entitiesInProject' | 'projectsOfEntity' | 'crossProjectEntities' | 'searchEntities' | 'entity' | 'graph' | 'neighbourhood' | 'snapshot'
>;
type Row = { get(key: string): unknown };
type Run = (cypher: string, params?: Record<string, unknown>) => Promise<Row[]>;

/** Folds a name like `foldForSearch` (Cypher has no regex replace, so marks are dropped per character). */
const FOLD = (v: string) => `toLower(reduce(s = '', c IN split(normalize(${v}, NFKD), '') | s + CASE WHEN c =~ $marks THEN '' ELSE c END))`;

/**
 * Entities mentioned in the scope's documents, filtered and ranked (see `searchEntities`); a
 * document linked to several projects of the scope counts once.
 */
async function matchEntities(run: Run, options: EntitySearchOptions, maxLimit = 1000): Promise<EntityMatch[]> {
  const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
  if (projects !== null && projects.length === 0) return [];
  const query = options.query === undefined ? '' : foldForSearch(options.query);
  const type = options.type === undefined ? null : options.type.trim().toLowerCase();
  const limit = neo4j.int(clampInt(options.limit, 50, 1, maxLimit));
  const offset = neo4j.int(clampInt(options.offset, 0, 0, 1_000_000));
  const rows = await run(
    `MATCH (e:Entity {tenant_id: $t})-[f:FOUND_IN]->(d:Document)
    WHERE ($type IS NULL OR toLower(e.type) = $type)
      AND ($projects IS NULL OR EXISTS { MATCH (d)-[:BELONGS_TO]->(p:Project {tenant_id: $t}) WHERE p.id IN $projects })
    WITH e, sum(f.count) AS mentions, count(d) AS documents
    WHERE $query = '' OR EXISTS { MATCH (x:EntityAlias {tenant_id: $t, entity_id: e.id}) WHERE ${FOLD('x.name')} CONTAINS $query }
    WITH e, mentions, documents ORDER BY mentions DESC, e.id SKIP $offset LIMIT $limit
    OPTIONAL MATCH (e)-[:APPEARS_IN_PROJECT]->(p:Project {tenant_id: $t}) WHERE $projects IS NULL OR p.id IN $projects
    RETURN e.id AS id, e.name AS name, e.type AS type, mentions, documents, collect(p.id) AS project_ids
    ORDER BY mentions DESC, id`,
    { projects, query, type, limit, offset, marks: COMBINING_MARKS },
  );
  return rows.map((r) => ({
    id: str(r.get('id')),
    name: str(r.get('name')),
    type: str(r.get('type')),
    mentions: num(r.get('mentions')),
    documents: num(r.get('documents')),
    project_ids: (r.get('project_ids') as unknown[]).map(str).sort(byString),
  }));
}

/** Neo4j integers arrive as Integer objects unless the driver was told otherwise; accept both. */
const num = (v: unknown): number => (neo4j.isInt(v) ? v.toNumber() : typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
/** Text columns arrive as strings; ids and counts may arrive as Neo4j integers or numbers. */
const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : neo4j.isInt(v)
      ? v.toString()
      : typeof v === 'number' || typeof v === 'bigint'
        ? String(v)
        : JSON.stringify(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));
/** The `v` column of every row. */
export const strings = (rows: readonly Row[]): string[] => rows.map((r) => str(r.get('v')));

/** The queries of the Neo4j GraphStore; each one read transaction starting from the tenant's nodes. */
export function createNeo4jGraphReads(driver: Driver, sessionConfig: { database?: string }): Reads {
  const read = async <T>(
    tenantId: string,
    fn: (run: (cypher: string, params?: Record<string, unknown>) => Promise<Row[]>) => Promise<T>,
  ): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    const session = driver.session({ ...sessionConfig, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx: ManagedTransaction) =>
        fn(async (cypher, params = {}) => (await tx.run(cypher, { ...params, t })).records),
      );
    } finally {
      await session.close();
    }
  };

  return {
    entitiesInProject: (tenantId, projectId, options = {}) => {
      const p = checkId(projectId, 'project_id');
      const limit = neo4j.int(clampInt(options.limit, 1000, 1, 10_000));
      return read(tenantId, async (run) =>
        (
          await run(
            `MATCH (:Project {tenant_id: $t, id: $p})<-[a:APPEARS_IN_PROJECT]-(e:Entity)
          RETURN e.id AS id, e.name AS name, e.type AS type, a.mentions AS mentions, a.documents AS documents
          ORDER BY mentions DESC, id LIMIT $limit`,
            { p, limit },
          )
        ).map((r) => ({
          id: str(r.get('id')),
          name: str(r.get('name')),
          type: str(r.get('type')),
          mentions: num(r.get('mentions')),
          documents: num(r.get('documents')),
        })),
      );
    },

    projectsOfEntity: (tenantId, entityId) => {
      const e = checkId(entityId, 'entity_id');
      return read(tenantId, async (run) =>
        (
          await run(
            `MATCH (:Entity {tenant_id: $t, id: $e})-[a:APPEARS_IN_PROJECT]->(p:Project)
          RETURN p.id AS project_id, a.mentions AS mentions, a.documents AS documents
          ORDER BY mentions DESC, project_id`,
            { e },
          )
        ).map((r) => ({
          project_id: str(r.get('project_id')),
          mentions: num(r.get('mentions')),
          documents: num(r.get('documents')),
        })),
      );
    },

    crossProjectEntities: (tenantId, options = {}) => {
      const min = neo4j.int(clampInt(options.minProjects, 2, 1, 1_000_000));
      const limit = neo4j.int(clampInt(options.limit, 100, 1, 10_000));
      const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
      if (projects !== null && projects.length === 0) return Promise.resolve([]);
      return read(tenantId, async (run) =>
        (
          await run(
            `MATCH (e:Entity {tenant_id: $t})-[a:APPEARS_IN_PROJECT]->(p:Project)
          WHERE $projects IS NULL OR p.id IN $projects
          WITH e, count(p) AS projects, sum(a.mentions) AS mentions, collect(p.id) AS project_ids
          WHERE projects >= $min
          RETURN e.id AS id, e.name AS name, e.type AS type, project_ids, mentions
          ORDER BY projects DESC, mentions DESC, id LIMIT $limit`,
            { min, limit, projects },
          )
        ).map((r) => ({
          id: str(r.get('id')),
          name: str(r.get('name')),
          type: str(r.get('type')),
          project_ids: (r.get('project_ids') as unknown[]).map(str).sort(byString),
          mentions: num(r.get('mentions')),
        })),
      );
    },

    searchEntities: (tenantId, options = {}) => read(tenantId, (run) => matchEntities(run, options)),

    entity: (tenantId, entityId) => {
      const id = checkId(entityId, 'entity_id');
      return read(tenantId, async (run) => {
        const [row] = await run(
          `OPTIONAL MATCH (ref:EntityId {tenant_id: $t, id: $id})
          WITH coalesce(ref.entity_id, $id) AS eid
          MATCH (e:Entity {tenant_id: $t, id: eid})
          OPTIONAL MATCH (a:EntityAlias {tenant_id: $t, entity_id: e.id})
          WITH e, collect(a.name) AS aliases
          OPTIONAL MATCH (i:EntityId {tenant_id: $t, entity_id: e.id})
          RETURN e.id AS id, e.name AS name, e.type AS type, aliases, collect(i.id) AS ids`,
          { id },
        );
        if (row === undefined) return null;
        const own = str(row.get('id'));
        return {
          id: own,
          name: str(row.get('name')),
          type: str(row.get('type')),
          aliases: (row.get('aliases') as unknown[]).map(str).sort(byString),
          ids: [...new Set([own, ...(row.get('ids') as unknown[]).map(str)])].sort(byString),
        };
      });
    },

    graph: (tenantId, options = {}) => {
      const limit = clampInt(options.limit, 200, 1, MAX_GRAPH_NODES);
      const projects = options.projectIds === undefined ? null : checkIds(options.projectIds, 'project_id');
      return read(tenantId, async (run) => {
        const ranked = await matchEntities(run, { projectIds: projects ?? undefined, limit: limit + 1 }, MAX_GRAPH_NODES + 1);
        const entities = ranked.slice(0, limit).map(({ id, name, type, mentions }) => ({ id, name, type, mentions }));
        const ids = entities.map((e) => e.id);
        const edges: RelationEdge[] =
          ids.length < 2
            ? []
            : (
                await run(
                  `UNWIND $ids AS id
          MATCH (a:Entity {tenant_id: $t, id: id})-[r:RELATED_TO]->(b:Entity {tenant_id: $t})
          WHERE b.id IN $ids AND ($projects IS NULL OR EXISTS {
            MATCH (:Document {tenant_id: $t, id: r.document_id})-[:BELONGS_TO]->(p:Project {tenant_id: $t}) WHERE p.id IN $projects })
          WITH a.id AS a, b.id AS b, max(r.confidence) AS confidence, count(r) AS documents
          RETURN a, b, confidence, documents ORDER BY confidence DESC, a, b LIMIT $max`,
                  { ids, projects, max: neo4j.int(MAX_GRAPH_EDGES + 1) },
                )
              ).map((r) => ({
                a: str(r.get('a')),
                b: str(r.get('b')),
                confidence: num(r.get('confidence')),
                documents: num(r.get('documents')),
              }));
        const kept = edges.slice(0, MAX_GRAPH_EDGES).sort((x, y) => byString(x.a, y.a) || byString(x.b, y.b));
        return { entities, edges: kept, truncated: ranked.length > limit || edges.length > MAX_GRAPH_EDGES };
      });
    },

    neighbourhood: (tenantId, entityId, options = {}) => {
      const start = checkId(entityId, 'entity_id');
      return read(tenantId, (run) =>
        walkNeighbourhood(
          {
            entities: async (ids) =>
              (
                await run('UNWIND $ids AS id MATCH (e:Entity {tenant_id: $t, id: id}) RETURN e.id AS id, e.name AS name, e.type AS type', {
                  ids: checkIds(ids, 'entity_id'),
                })
              ).map((r) => ({ id: str(r.get('id')), name: str(r.get('name')), type: str(r.get('type')) })),
            edges: async (ids, projects) =>
              (
                await run(
                  `UNWIND $ids AS id
                MATCH (:Entity {tenant_id: $t, id: id})-[r:RELATED_TO]-(:Entity)
                WHERE $projects IS NULL OR EXISTS {
                  MATCH (:Document {tenant_id: $t, id: r.document_id})-[:BELONGS_TO]->(p:Project {tenant_id: $t}) WHERE p.id IN $projects }
                WITH DISTINCT r
                WITH startNode(r).id AS a, endNode(r).id AS b, r
                RETURN a, b, max(r.confidence) AS confidence, count(r) AS documents`,
                  { ids: [...ids], projects },
                )
              ).map((r) => ({
                a: str(r.get('a')),
                b: str(r.get('b')),
                confidence: num(r.get('confidence')),
                documents: num(r.get('documents')),
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
            id: str(r.get('id')),
            title: strOrNull(r.get('title')),
          })),
          links: (await run('MATCH (d:Document {tenant_id: $t})-[:BELONGS_TO]->(p:Project) RETURN d.id AS d, p.id AS p')).map((r) => ({
            document_id: str(r.get('d')),
            project_id: str(r.get('p')),
          })),
          entities: (await run('MATCH (e:Entity {tenant_id: $t}) RETURN e.id AS id, e.name AS name, e.type AS type')).map((r) => ({
            id: str(r.get('id')),
            name: str(r.get('name')),
            type: str(r.get('type')),
            aliases: aliases.get(str(r.get('id'))) ?? [],
            ids: ids.get(str(r.get('id'))) ?? [],
          })),
          mentions: (
            await run('MATCH (e:Entity {tenant_id: $t})-[f:FOUND_IN]->(d:Document) RETURN e.id AS e, d.id AS d, f.count AS c')
          ).map((r) => ({
            entity_id: str(r.get('e')),
            document_id: str(r.get('d')),
            count: num(r.get('c')),
          })),
          appearances: (
            await run(`MATCH (e:Entity {tenant_id: $t})-[a:APPEARS_IN_PROJECT]->(p:Project)
            RETURN e.id AS e, p.id AS p, a.mentions AS m, a.documents AS d`)
          ).map((r) => ({
            entity_id: str(r.get('e')),
            project_id: str(r.get('p')),
            mentions: num(r.get('m')),
            documents: num(r.get('d')),
          })),
          relations: (
            await run(`MATCH (a:Entity {tenant_id: $t})-[r:RELATED_TO]->(b:Entity)
            RETURN a.id AS a, b.id AS b, r.document_id AS d, r.confidence AS c`)
          ).map((r) => ({
            a: str(r.get('a')),
            b: str(r.get('b')),
            document_id: str(r.get('d')),
            confidence: num(r.get('c')),
          })),
        });
      }),
  };
}
