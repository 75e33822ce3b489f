-- Up Migration
-- The embedded vector index (shared/src/stores/vectors/postgres.ts). No pgvector here, so
-- search is exact: the adapter scores the tenant+model+scope-filtered candidates itself.
-- A "collection" is one tenant's vectors of one embedding model at one dimension, mirroring a
-- Qdrant collection: vectors of different models never share one.

CREATE TABLE vector_collections (
  tenant_id  uuid        NOT NULL,
  model      text        NOT NULL,
  dimension  integer     NOT NULL CHECK (dimension > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, model, dimension)
);

CREATE TABLE vector_points (
  tenant_id     uuid        NOT NULL,
  model         text        NOT NULL,
  dimension     integer     NOT NULL,
  id            uuid        NOT NULL,
  document_id   uuid        NOT NULL,
  project_ids   uuid[]      NOT NULL DEFAULT '{}',
  chunk_index   integer     NOT NULL,
  document_type text        NOT NULL,
  created_at    timestamptz NOT NULL,
  entity_names  text[]      NOT NULL DEFAULT '{}',
  -- unit-length float32 little-endian: cosine similarity is then a plain dot product
  vector        bytea       NOT NULL CHECK (length(vector) = 4 * dimension),
  PRIMARY KEY (tenant_id, model, dimension, id),
  -- a point can only land in a collection that was ensured; dropping it drops its points
  FOREIGN KEY (tenant_id, model, dimension) REFERENCES vector_collections ON DELETE CASCADE
);
CREATE INDEX vector_points_by_document ON vector_points (tenant_id, model, dimension, document_id);
CREATE INDEX vector_points_by_project ON vector_points USING gin (project_ids);
CREATE INDEX vector_points_by_entity ON vector_points USING gin (entity_names);

SELECT mandant_isolate_tenant_table('vector_collections');
SELECT mandant_isolate_tenant_table('vector_points');

-- Down Migration
DROP TABLE IF EXISTS vector_points, vector_collections;
