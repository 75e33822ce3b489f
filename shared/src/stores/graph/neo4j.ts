import type { Driver, ManagedTransaction } from 'neo4j-driver';
import { aliasKey, checkDocuments, checkId, checkIds, checkMentions, checkRelations, relationRows, resolveMentions } from './model.ts';
import { createNeo4jGraphReads, strings } from './neo4j-reads.ts';
import type { GraphStore } from './port.ts';

export interface Neo4jGraphStoreDeps {
  /** owned by the caller, who closes it */
  driver: Driver;
  /** default: the server's default database */
  database?: string;
}

/**
 * Neo4j Community 5 supports composite property uniqueness (node keys and existence constraints
 * are Enterprise-only), so each label is unique on (tenant_id, id) and every lookup seeks that
 * index. A tenant-only index serves the tenant-wide scans (snapshot, drop, cross-project).
 */
const SCHEMA = [
  ...['Project', 'Document', 'Entity'].flatMap((l) => [
    `CREATE CONSTRAINT graph_${l.toLowerCase()}_id IF NOT EXISTS FOR (n:${l}) REQUIRE (n.tenant_id, n.id) IS UNIQUE`,
    `CREATE INDEX graph_${l.toLowerCase()}_tenant IF NOT EXISTS FOR (n:${l}) ON (n.tenant_id)`,
  ]),
  'CREATE CONSTRAINT graph_alias_key IF NOT EXISTS FOR (n:EntityAlias) REQUIRE (n.tenant_id, n.alias_key) IS UNIQUE',
  'CREATE INDEX graph_alias_entity IF NOT EXISTS FOR (n:EntityAlias) ON (n.tenant_id, n.entity_id)',
  'CREATE CONSTRAINT graph_entity_ref_id IF NOT EXISTS FOR (n:EntityId) REQUIRE (n.tenant_id, n.id) IS UNIQUE',
  'CREATE INDEX graph_entity_ref_entity IF NOT EXISTS FOR (n:EntityId) ON (n.tenant_id, n.entity_id)',
  'CREATE CONSTRAINT graph_tenant_id IF NOT EXISTS FOR (n:GraphTenant) REQUIRE n.tenant_id IS UNIQUE',
  'CREATE INDEX graph_related_document IF NOT EXISTS FOR ()-[r:RELATED_TO]-() ON (r.tenant_id, r.document_id)',
];

/** Labels that hold a tenant's data; `dropTenant` empties each. */
const LABELS = ['Project', 'Document', 'Entity', 'EntityAlias', 'EntityId', 'GraphTenant'];

const RECOMPUTE = `
  UNWIND $entityIds AS eid
  MATCH (e:Entity {tenant_id: $t, id: eid})
  UNWIND $projectIds AS pid
  MATCH (p:Project {tenant_id: $t, id: pid})
  OPTIONAL MATCH (e)-[f:FOUND_IN]->(d:Document)-[:BELONGS_TO]->(p)
  WITH e, p, sum(f.count) AS mentions, count(d) AS documents
  OPTIONAL MATCH (e)-[old:APPEARS_IN_PROJECT]->(p)
  DELETE old
  WITH e, p, mentions, documents WHERE documents > 0
  CREATE (e)-[:APPEARS_IN_PROJECT {tenant_id: $t, mentions: mentions, documents: documents}]->(p)`;

/**
 * The GraphStore on Neo4j 5. Every statement is parameterised and starts from nodes matched by
 * `tenant_id` (relationships only ever join nodes of one tenant, so traversals stay inside it);
 * lists go through UNWIND, one statement per step whatever their length. Each call is one
 * transaction; a write first locks the tenant's `GraphTenant` node, so writers of one tenant
 * queue instead of racing to create the same entity.
 */
export function createNeo4jGraphStore({ driver, database }: Neo4jGraphStoreDeps): GraphStore {
  const sessionConfig = database === undefined ? {} : { database };

  const write = async <T>(tenantId: string, fn: (run: Run, t: string) => Promise<T>): Promise<T> => {
    const t = checkId(tenantId, 'tenant_id');
    const session = driver.session(sessionConfig);
    try {
      return await session.executeWrite(async (tx) => {
        const run = runner(tx, t);
        await run('MERGE (l:GraphTenant {tenant_id: $t}) SET l.writes = coalesce(l.writes, 0) + 1');
        return fn(run, t);
      });
    } finally {
      await session.close();
    }
  };

  const recompute = async (run: Run, entityIds: readonly string[], projectIds: readonly string[]): Promise<void> => {
    if (entityIds.length > 0 && projectIds.length > 0) await run(RECOMPUTE, { entityIds, projectIds });
  };
  const entitiesOf = async (run: Run, docs: readonly string[]): Promise<string[]> =>
    strings(
      await run(
        `UNWIND $docs AS id MATCH (:Document {tenant_id: $t, id: id})<-[:FOUND_IN]-(e:Entity)
      RETURN DISTINCT e.id AS v`,
        { docs },
      ),
    );
  const projectsOf = async (run: Run, docs: readonly string[]): Promise<string[]> =>
    strings(
      await run(
        `UNWIND $docs AS id MATCH (:Document {tenant_id: $t, id: id})-[:BELONGS_TO]->(p:Project)
      RETURN DISTINCT p.id AS v`,
        { docs },
      ),
    );

  const self: GraphStore = {
    ...createNeo4jGraphReads(driver, sessionConfig),

    // one call per change and document, in order: each is its own write transaction
    async changeLinks(tenantId, changes) {
      for (const c of changes) {
        await self.linkDocuments(tenantId, c.projectId, c.linked);
        await self.unlinkDocuments(tenantId, c.projectId, c.unlinked);
      }
    },
    async upsertMentionsOfDocuments(tenantId, documents, options = {}) {
      for (const d of documents) await self.upsertMentions(tenantId, d.documentId, d.mentions, options);
    },

    async init() {
      for (const statement of SCHEMA) {
        await driver.executeQuery(statement, {}, sessionConfig).catch((err: unknown) => {
          // `IF NOT EXISTS` does not cover a twin process creating the same rule at the same
          // moment (every replica starts here): the rule it made is the one we wanted
          if ((err as { code?: unknown }).code !== 'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists') throw err;
        });
      }
    },
    async close() {},

    async upsertDocuments(tenantId, documents) {
      const docs = checkDocuments(documents);
      if (docs.length === 0) return;
      await write(tenantId, (run) =>
        run('UNWIND $docs AS doc MERGE (d:Document {tenant_id: $t, id: doc.id}) SET d.title = doc.title', { docs }),
      );
    },

    async linkDocuments(tenantId, projectId, documentIds) {
      const [p, docs] = [checkId(projectId, 'project_id'), checkIds(documentIds, 'document_id')];
      if (docs.length === 0) return;
      await write(tenantId, async (run) => {
        await run(
          `MERGE (p:Project {tenant_id: $t, id: $p})
          WITH p UNWIND $docs AS id
          MERGE (d:Document {tenant_id: $t, id: id})
          MERGE (d)-[:BELONGS_TO {tenant_id: $t}]->(p)`,
          { p, docs },
        );
        await recompute(run, await entitiesOf(run, docs), [p]);
      });
    },

    async unlinkDocuments(tenantId, projectId, documentIds) {
      const [p, docs] = [checkId(projectId, 'project_id'), checkIds(documentIds, 'document_id')];
      if (docs.length === 0) return;
      await write(tenantId, async (run) => {
        await run(
          `MATCH (p:Project {tenant_id: $t, id: $p}) UNWIND $docs AS id
          MATCH (:Document {tenant_id: $t, id: id})-[r:BELONGS_TO]->(p) DELETE r`,
          { p, docs },
        );
        await recompute(run, await entitiesOf(run, docs), [p]);
      });
    },

    async deleteDocuments(tenantId, documentIds) {
      const docs = checkIds(documentIds, 'document_id');
      if (docs.length === 0) return;
      await write(tenantId, async (run) => {
        const [entities, projects] = [await entitiesOf(run, docs), await projectsOf(run, docs)];
        await run('MATCH ()-[r:RELATED_TO]->() WHERE r.tenant_id = $t AND r.document_id IN $docs DELETE r', { docs });
        await run('UNWIND $docs AS id MATCH (d:Document {tenant_id: $t, id: id}) DETACH DELETE d', { docs });
        await recompute(run, entities, projects);
      });
    },

    async upsertMentions(tenantId, documentId, mentions, options = {}) {
      const doc = checkId(documentId, 'document_id');
      const input = checkMentions(mentions);
      if (input.length === 0 && options.replace !== true) return;
      await write(tenantId, async (run) => {
        await run('MERGE (:Document {tenant_id: $t, id: $doc})', { doc });
        const keys = [...new Set(input.map((m) => aliasKey(m.name, m.type)))];
        const ids = [...new Set(input.map((m) => m.entity_id))];
        const pairs = (rows: Row[]) => new Map(rows.map((r) => [String(r.get('k')), String(r.get('e'))] as const));
        const r = resolveMentions(input, {
          byKey: pairs(
            await run('UNWIND $keys AS k MATCH (a:EntityAlias {tenant_id: $t, alias_key: k}) RETURN k, a.entity_id AS e', { keys }),
          ),
          byId: pairs(await run('UNWIND $ids AS k MATCH (n:EntityId {tenant_id: $t, id: k}) RETURN k, n.entity_id AS e', { ids })),
        });
        await run('UNWIND $rows AS e MERGE (n:Entity {tenant_id: $t, id: e.id}) ON CREATE SET n.name = e.name, n.type = e.type', {
          rows: r.entities,
        });
        await run(
          `UNWIND $rows AS a MERGE (n:EntityAlias {tenant_id: $t, alias_key: a.key})
          ON CREATE SET n.name = a.name, n.entity_id = a.entity_id`,
          { rows: r.aliases },
        );
        await run('UNWIND $rows AS i MERGE (n:EntityId {tenant_id: $t, id: i.id}) ON CREATE SET n.entity_id = i.entity_id', {
          rows: r.ids,
        });
        const before = strings(await run('MATCH (:Document {tenant_id: $t, id: $doc})<-[:FOUND_IN]-(e:Entity) RETURN e.id AS v', { doc }));
        const counts = [...r.counts].map(([entity_id, count]) => ({ entity_id, count }));
        if (options.replace === true) {
          await run(
            `MATCH (:Document {tenant_id: $t, id: $doc})<-[f:FOUND_IN]-(e:Entity)
            WHERE NOT e.id IN $keep DELETE f`,
            { doc, keep: counts.map((c) => c.entity_id) },
          );
        }
        await run(
          `MATCH (d:Document {tenant_id: $t, id: $doc}) UNWIND $counts AS c
          MATCH (e:Entity {tenant_id: $t, id: c.entity_id})
          MERGE (e)-[f:FOUND_IN {tenant_id: $t}]->(d) SET f.count = toInteger(c.count)`,
          { doc, counts },
        );
        await recompute(run, [...new Set([...before, ...r.counts.keys()])], await projectsOf(run, [doc]));
      });
    },

    async upsertRelations(tenantId, relations) {
      const input = checkRelations(relations);
      if (input.length === 0) return;
      await write(tenantId, async (run) => {
        const ids = [...new Set(input.flatMap((r) => [r.from_entity_id, r.to_entity_id]))];
        const docs = [...new Set(input.map((r) => r.document_id))];
        const owners = await run('UNWIND $ids AS k MATCH (n:EntityId {tenant_id: $t, id: k}) RETURN k, n.entity_id AS e', { ids });
        const known = strings(await run('UNWIND $docs AS k MATCH (d:Document {tenant_id: $t, id: k}) RETURN k AS v', { docs }));
        const rows = relationRows(input, new Map(owners.map((o) => [String(o.get('k')), String(o.get('e'))])), new Set(known));
        await run(
          `UNWIND $rows AS r
          MATCH (a:Entity {tenant_id: $t, id: r.a}) MATCH (b:Entity {tenant_id: $t, id: r.b})
          MERGE (a)-[x:RELATED_TO {tenant_id: $t, document_id: r.document_id}]->(b) SET x.confidence = r.confidence`,
          { rows },
        );
      });
    },

    async mergeEntities(tenantId, fromId, intoId) {
      const [from, into] = [checkId(fromId, 'entity_id'), checkId(intoId, 'entity_id')];
      if (from === into) return false;
      return write(tenantId, async (run) => {
        const both = await run('MATCH (f:Entity {tenant_id: $t, id: $from}) MATCH (i:Entity {tenant_id: $t, id: $into}) RETURN f.id AS v', {
          from,
          into,
        });
        if (both.length === 0) return false;
        const projects = strings(
          await run(
            `UNWIND [$from, $into] AS id MATCH (:Entity {tenant_id: $t, id: id})-[:APPEARS_IN_PROJECT]->(p:Project)
          RETURN DISTINCT p.id AS v`,
            { from, into },
          ),
        );
        await run('MATCH (a:EntityAlias {tenant_id: $t, entity_id: $from}) SET a.entity_id = $into', { from, into });
        await run('MATCH (n:EntityId {tenant_id: $t, entity_id: $from}) SET n.entity_id = $into', { from, into });
        await run(
          `MATCH (i:Entity {tenant_id: $t, id: $into}) MATCH (:Entity {tenant_id: $t, id: $from})-[m:FOUND_IN]->(d:Document)
          MERGE (i)-[n:FOUND_IN {tenant_id: $t}]->(d) ON CREATE SET n.count = 0
          SET n.count = n.count + m.count`,
          { from, into },
        );
        // the survivor takes the other end of every relation; one between the two disappears
        await run(
          `MATCH (i:Entity {tenant_id: $t, id: $into}) MATCH (:Entity {tenant_id: $t, id: $from})-[r:RELATED_TO]-(x:Entity)
          WHERE x <> i
          WITH r, CASE WHEN i.id < x.id THEN [i, x] ELSE [x, i] END AS pair
          WITH r, pair[0] AS a, pair[1] AS b
          MERGE (a)-[n:RELATED_TO {tenant_id: $t, document_id: r.document_id}]->(b)
          ON CREATE SET n.confidence = r.confidence
          ON MATCH SET n.confidence = CASE WHEN r.confidence > n.confidence THEN r.confidence ELSE n.confidence END`,
          { from, into },
        );
        // its mentions, relations and appearances go with it
        await run('MATCH (f:Entity {tenant_id: $t, id: $from}) DETACH DELETE f', { from });
        await recompute(run, [into], projects);
        return true;
      });
    },

    async deleteProject(tenantId, projectId) {
      const p = checkId(projectId, 'project_id');
      // no entity's appearance in another project depends on this one
      await write(tenantId, (run) => run('MATCH (p:Project {tenant_id: $t, id: $p}) DETACH DELETE p', { p }));
    },

    async dropTenant(tenantId) {
      const t = checkId(tenantId, 'tenant_id');
      // in slices, so a large tenant never needs one huge transaction; labels cannot be
      // parameters, and these come from the constant list above
      for (const label of LABELS) {
        for (;;) {
          const { records } = await driver.executeQuery(
            `MATCH (n:${label} {tenant_id: $t}) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n`,
            { t },
            sessionConfig,
          );
          if (Number(records[0]?.get('n') ?? 0) === 0) break;
        }
      }
    },
  };
  return self;
}

type Row = { get(key: string): unknown };
type Run = (cypher: string, params?: Record<string, unknown>) => Promise<Row[]>;

/** Runs a statement in the transaction with the tenant bound as `$t`. */
function runner(tx: ManagedTransaction, t: string): Run {
  return async (cypher, params = {}) => (await tx.run(cypher, { ...params, t })).records;
}
