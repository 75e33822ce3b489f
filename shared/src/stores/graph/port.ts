/**
 * The entity graph of one tenant: projects, documents and entities, and the relationships the
 * design names. It is a read model: a projector writes it from events, in each tenant's order,
 * and a rebuild from the log must end in the same `snapshot` as live projection.
 *
 *   (Document)-[:BELONGS_TO]->(Project)              a document linked to a project
 *   (Entity)-[:FOUND_IN {count}]->(Document)          mentions of an entity in a document
 *   (Entity)-[:APPEARS_IN_PROJECT]->(Project)         derived: present while at least one document
 *                                                     linked to the project mentions the entity
 *   (Entity)-[:RELATED_TO {confidence}]-(Entity)      co-mention, with the document as evidence
 *
 * Every operation takes the tenant first and touches nothing outside it; ids of another tenant
 * behave exactly like ids that do not exist. Ids (tenant, project, document, entity) are UUIDs.
 * Every write is idempotent: applying it twice leaves the same snapshot as applying it once, so
 * a redelivered event needs no special care. Writes take lists and cost a constant number of
 * store round trips whatever their length.
 *
 * Writes of one tenant are meant to come from one projector at a time (tenant order); should two
 * overlap anyway, every adapter serialises them per tenant, so mention resolution never races.
 */
export interface GraphStore {
  /** Creates documents or updates their title. */
  upsertDocuments(tenantId: string, documents: readonly GraphDocument[]): Promise<void>;
  /** Links documents to a project (creating the project node and, if needed, the documents). */
  linkDocuments(tenantId: string, projectId: string, documentIds: readonly string[]): Promise<void>;
  /** Unlinks; an entity leaves the project when no document still linked to it mentions it. */
  unlinkDocuments(tenantId: string, projectId: string, documentIds: readonly string[]): Promise<void>;
  /**
   * `linkDocuments` then `unlinkDocuments` for each change, in order, at once (a projector's
   * page): the same nodes, links and appearances in the end, in a constant number of round trips.
   */
  changeLinks(tenantId: string, changes: readonly LinkChange[]): Promise<void>;
  /** Removes documents with their links, mentions and relation evidence; entities stay. */
  deleteDocuments(tenantId: string, documentIds: readonly string[]): Promise<void>;
  /**
   * Records what a document mentions. Each mention resolves to one entity of the tenant: first by
   * its normalised name and type (the dedup key, aliases included), then by `entity_id` (also an
   * id merged away earlier), else a new entity with that id. Sets, never adds, the count of the
   * document's mentions of that entity; several mentions resolving to one entity in one call are
   * summed. With `replace`, the document's mentions of entities not in the list are removed.
   */
  upsertMentions(tenantId: string, documentId: string, mentions: readonly MentionInput[], options?: { replace?: boolean }): Promise<void>;
  /**
   * `upsertMentions` for several documents, in order (a name resolves to the entity of the first
   * document in the list that named it, as with one call per document), at once.
   */
  upsertMentionsOfDocuments(tenantId: string, documents: readonly DocumentMentions[], options?: { replace?: boolean }): Promise<void>;
  /**
   * Records co-mention evidence, one per (entity pair, document): the edge is undirected and its
   * confidence is the highest over its documents. Evidence naming an unknown entity or document
   * is ignored (mentions and documents come first in the log, and a deleted document takes its
   * evidence with it); merged-away ids follow their survivor; a pair of one entity is dropped.
   * Evidence recorded again for the same pair and document takes the new confidence.
   */
  upsertRelations(tenantId: string, relations: readonly RelationInput[]): Promise<void>;
  /**
   * Merges `fromId` into `intoId`: names and ids become aliases of the survivor, mentions (counts
   * summed per document), project appearances and relations follow it; `fromId` is gone.
   * Resolves false, changing nothing, when either is missing (so a replay is a no-op).
   */
  mergeEntities(tenantId: string, fromId: string, intoId: string): Promise<boolean>;
  /** Removes the project node and every link to it; documents and entities stay. */
  deleteProject(tenantId: string, projectId: string): Promise<void>;
  /** Everything of the tenant, gone. */
  dropTenant(tenantId: string): Promise<void>;

  /** Entities appearing in the project, most mentioned first (then by id). */
  entitiesInProject(tenantId: string, projectId: string, options?: { limit?: number }): Promise<EntityInProject[]>;
  /** Projects an entity appears in, most mentioned first (then by project id); [] when unknown. */
  projectsOfEntity(tenantId: string, entityId: string): Promise<EntityProject[]>;
  /**
   * Entities in at least `minProjects` (default 2) projects, most shared first, then most mentioned,
   * then id. With `projectIds`, only appearances in those projects count (for `minProjects`, the
   * listed projects and the mentions); an empty list finds nothing.
   */
  crossProjectEntities(
    tenantId: string,
    options?: { minProjects?: number; limit?: number; projectIds?: readonly string[] },
  ): Promise<CrossProjectEntity[]>;
  /**
   * Entities mentioned in the scope, most mentioned first, then by id: with `projectIds`, by
   * documents linked to any of those projects (an empty list finds nothing); without, by any
   * document of the tenant. `query` matches when any name of the entity (its aliases) contains
   * it, ignoring case and accents; `type` compares case-insensitively. Paginated by `offset` and
   * `limit` (default 50, at most 1000).
   */
  searchEntities(tenantId: string, options?: EntitySearchOptions): Promise<EntityMatch[]>;
  /** One entity with its aliases and ids; an id merged away resolves to its survivor; null when unknown. */
  entity(tenantId: string, entityId: string): Promise<EntityDetail | null>;
  /**
   * The graph of the scope for drawing: the most mentioned entities (as `searchEntities` ranks
   * them, at most `limit`, default 200, at most MAX_GRAPH_NODES) and the RELATED_TO edges among them whose
   * evidence documents are in the scope (at most MAX_GRAPH_EDGES, strongest first). `truncated`
   * when entities or edges were left out.
   */
  graph(tenantId: string, options?: { projectIds?: readonly string[]; limit?: number }): Promise<GraphDrawing>;
  /**
   * The entity and its RELATED_TO neighbours up to `depth` hops (1..3, default 1), at most `limit`
   * nodes (default 50, start included): nearer hops first, within a hop the strongest link first,
   * then by id; edges are every relation among the returned nodes. With `projectId`, only relations
   * whose evidence documents are linked to that project count. Empty when the entity is unknown.
   */
  neighbourhood(tenantId: string, entityId: string, options?: NeighbourhoodOptions): Promise<Neighbourhood>;
  /** The whole tenant graph in a canonical order, for equality checks (rebuild vs live). */
  snapshot(tenantId: string): Promise<GraphSnapshot>;
  /** Prepares the store (schema, constraints); idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}

export interface GraphDocument {
  id: string;
  title: string | null;
}

/** The documents a change links to a project and, after that, unlinks from it. */
export interface LinkChange {
  projectId: string;
  linked: readonly string[];
  unlinked: readonly string[];
}

/** What one document mentions (see `upsertMentions`). */
export interface DocumentMentions {
  documentId: string;
  mentions: readonly MentionInput[];
}

export interface MentionInput {
  entity_id: string;
  name: string;
  /** person, organisation, place, email, … (compared case-insensitively in the dedup key) */
  type: string;
  /** how often the document mentions it; a positive integer */
  count: number;
}

export interface RelationInput {
  from_entity_id: string;
  to_entity_id: string;
  /** the document whose co-mention is the evidence */
  document_id: string;
  /** in [0, 1] */
  confidence: number;
}

export interface EntitySummary {
  id: string;
  name: string;
  type: string;
}

export interface EntityInProject extends EntitySummary {
  /** mentions in documents linked to the project */
  mentions: number;
  /** documents linked to the project that mention it */
  documents: number;
}

export interface EntityProject {
  project_id: string;
  mentions: number;
  documents: number;
}

export interface CrossProjectEntity extends EntitySummary {
  /** sorted */
  project_ids: string[];
  /** mentions summed over those projects (a document linked to two projects counts twice) */
  mentions: number;
}

export interface NeighbourhoodOptions {
  depth?: number;
  limit?: number;
  /** only relations with an evidence document linked to this project */
  projectId?: string;
  /** only relations with an evidence document linked to any of these (with `projectId`: both must hold); empty: none */
  projectIds?: readonly string[];
}

export interface EntitySearchOptions {
  /** any-of project scope; absent = the whole tenant, empty = nothing */
  projectIds?: readonly string[];
  query?: string;
  type?: string;
  limit?: number;
  offset?: number;
}

export interface EntityMatch extends EntitySummary {
  /** mentions in the scope's documents (each document once, however many of the projects it is in) */
  mentions: number;
  documents: number;
  /** the projects of the scope it appears in, sorted */
  project_ids: string[];
}

export interface EntityDetail extends EntitySummary {
  /** every name folded into it (its own included), sorted */
  aliases: string[];
  /** every id that resolves to it (its own included), sorted */
  ids: string[];
}

export interface GraphDrawing {
  /** ranked like `searchEntities` */
  entities: Array<EntitySummary & { mentions: number }>;
  /** sorted by a, then b; documents counts evidence in the scope only */
  edges: RelationEdge[];
  truncated: boolean;
}

/** The most entities and edges `graph` returns. */
export const MAX_GRAPH_NODES = 2_000;
export const MAX_GRAPH_EDGES = 5_000;

export interface RelationEdge {
  /** the smaller id of the pair: edges are undirected */
  a: string;
  b: string;
  /** highest confidence over the evidence documents */
  confidence: number;
  /** evidence documents */
  documents: number;
}

export interface Neighbourhood {
  /** start first, then in the order of `neighbourhood`'s ranking */
  nodes: Array<EntitySummary & { depth: number }>;
  /** sorted by a, then b */
  edges: RelationEdge[];
}

/** Sorted in plain string order at every level, so two stores holding the same graph are deep-equal. */
export interface GraphSnapshot {
  projects: string[];
  documents: GraphDocument[];
  /** BELONGS_TO */
  links: Array<{ document_id: string; project_id: string }>;
  /** `aliases`: every name folded into the entity; `ids`: every id that resolves to it */
  entities: Array<EntitySummary & { aliases: string[]; ids: string[] }>;
  /** FOUND_IN */
  mentions: Array<{ entity_id: string; document_id: string; count: number }>;
  /** APPEARS_IN_PROJECT */
  appearances: Array<{ entity_id: string; project_id: string; mentions: number; documents: number }>;
  /** RELATED_TO evidence, a < b */
  relations: Array<{ a: string; b: string; document_id: string; confidence: number }>;
}
