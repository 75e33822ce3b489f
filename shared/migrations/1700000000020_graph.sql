-- Up Migration
-- The entity graph's embedded store (the Neo4j read model, on tables): projects, documents,
-- entities and their relationships. Tenant-scoped and under forced RLS like every other table;
-- foreign keys include tenant_id, so no row can point into another tenant.

CREATE TABLE graph_projects (
  tenant_id  uuid NOT NULL,
  project_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, project_id)
);

CREATE TABLE graph_documents (
  tenant_id   uuid NOT NULL,
  document_id uuid NOT NULL,
  title       text,
  PRIMARY KEY (tenant_id, document_id)
);

-- BELONGS_TO
CREATE TABLE graph_links (
  tenant_id   uuid NOT NULL,
  document_id uuid NOT NULL,
  project_id  uuid NOT NULL,
  PRIMARY KEY (tenant_id, document_id, project_id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES graph_documents ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, project_id) REFERENCES graph_projects ON DELETE CASCADE
);
CREATE INDEX graph_links_by_project ON graph_links (tenant_id, project_id);

CREATE TABLE graph_entities (
  tenant_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  name      text NOT NULL,
  type      text NOT NULL,
  PRIMARY KEY (tenant_id, entity_id)
);

-- The dedup keys (normalised type and name) that resolve to an entity; merges keep them.
CREATE TABLE graph_entity_aliases (
  tenant_id uuid NOT NULL,
  alias_key text NOT NULL,
  name      text NOT NULL,
  entity_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, alias_key),
  FOREIGN KEY (tenant_id, entity_id) REFERENCES graph_entities ON DELETE CASCADE
);
CREATE INDEX graph_entity_aliases_by_entity ON graph_entity_aliases (tenant_id, entity_id);

-- Every id an entity was ever known by (merged-away ones too), so late events still resolve.
CREATE TABLE graph_entity_ids (
  tenant_id uuid NOT NULL,
  id        uuid NOT NULL,
  entity_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, entity_id) REFERENCES graph_entities ON DELETE CASCADE
);
CREATE INDEX graph_entity_ids_by_entity ON graph_entity_ids (tenant_id, entity_id);

-- FOUND_IN
CREATE TABLE graph_mentions (
  tenant_id   uuid    NOT NULL,
  entity_id   uuid    NOT NULL,
  document_id uuid    NOT NULL,
  count       integer NOT NULL CHECK (count > 0),
  PRIMARY KEY (tenant_id, entity_id, document_id),
  FOREIGN KEY (tenant_id, entity_id) REFERENCES graph_entities ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, document_id) REFERENCES graph_documents ON DELETE CASCADE
);
CREATE INDEX graph_mentions_by_document ON graph_mentions (tenant_id, document_id);

-- APPEARS_IN_PROJECT: derived from mentions and links, recomputed for every pair a write touches.
CREATE TABLE graph_appearances (
  tenant_id  uuid    NOT NULL,
  entity_id  uuid    NOT NULL,
  project_id uuid    NOT NULL,
  mentions   integer NOT NULL,
  documents  integer NOT NULL CHECK (documents > 0),
  PRIMARY KEY (tenant_id, entity_id, project_id),
  FOREIGN KEY (tenant_id, entity_id) REFERENCES graph_entities ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, project_id) REFERENCES graph_projects ON DELETE CASCADE
);
CREATE INDEX graph_appearances_by_project ON graph_appearances (tenant_id, project_id);

-- RELATED_TO evidence: one row per undirected pair (a < b) and document.
CREATE TABLE graph_relations (
  tenant_id   uuid             NOT NULL,
  a           uuid             NOT NULL,
  b           uuid             NOT NULL,
  document_id uuid             NOT NULL,
  confidence  double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  PRIMARY KEY (tenant_id, a, b, document_id),
  CHECK (a < b),
  FOREIGN KEY (tenant_id, a) REFERENCES graph_entities ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, b) REFERENCES graph_entities ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, document_id) REFERENCES graph_documents ON DELETE CASCADE
);
CREATE INDEX graph_relations_by_b ON graph_relations (tenant_id, b);
CREATE INDEX graph_relations_by_document ON graph_relations (tenant_id, document_id);

SELECT mandant_isolate_tenant_table('graph_projects');
SELECT mandant_isolate_tenant_table('graph_documents');
SELECT mandant_isolate_tenant_table('graph_links');
SELECT mandant_isolate_tenant_table('graph_entities');
SELECT mandant_isolate_tenant_table('graph_entity_aliases');
SELECT mandant_isolate_tenant_table('graph_entity_ids');
SELECT mandant_isolate_tenant_table('graph_mentions');
SELECT mandant_isolate_tenant_table('graph_appearances');
SELECT mandant_isolate_tenant_table('graph_relations');

-- Down Migration
DROP TABLE IF EXISTS graph_relations, graph_appearances, graph_mentions, graph_entity_ids, graph_entity_aliases,
  graph_entities, graph_links, graph_documents, graph_projects;
