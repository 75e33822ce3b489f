-- Up Migration
-- Documents: relational read views kept by the document projector, and the content-hash claim
-- the upload takes inside its append transaction (the same bytes in one tenant are one document).

CREATE TABLE documents_view (
  tenant_id      uuid        NOT NULL,
  document_id    uuid        NOT NULL,
  status         text        NOT NULL CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
  title          text,
  kind           text        NOT NULL,
  content_type   text        NOT NULL,
  size           bigint      NOT NULL,
  content_sha256 text        NOT NULL,
  chunk_count    integer     NOT NULL DEFAULT 0,
  entity_count   integer     NOT NULL DEFAULT 0,
  pages          integer,
  failure        jsonb,
  uploaded_by    text        NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, document_id)
);
CREATE INDEX documents_view_created ON documents_view (tenant_id, created_at, document_id);

CREATE TABLE document_links_view (
  tenant_id   uuid        NOT NULL,
  document_id uuid        NOT NULL,
  project_id  uuid        NOT NULL,
  linked_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, document_id, project_id)
);
CREATE INDEX document_links_view_project ON document_links_view (tenant_id, project_id, document_id);

CREATE TABLE document_embeddings_view (
  tenant_id      uuid NOT NULL,
  document_id    uuid NOT NULL,
  model          text NOT NULL,
  dimension      integer NOT NULL,
  vectors_sha256 text NOT NULL,
  PRIMARY KEY (tenant_id, document_id, model)
);

-- Claimed by the upload in its append transaction; released when the document is deleted.
CREATE TABLE document_hashes (
  tenant_id      uuid NOT NULL,
  content_sha256 text NOT NULL,
  document_id    uuid NOT NULL,
  PRIMARY KEY (tenant_id, content_sha256)
);

SELECT mandant_isolate_tenant_table('documents_view', 'SELECT, INSERT, UPDATE, DELETE');
SELECT mandant_isolate_tenant_table('document_links_view', 'SELECT, INSERT, UPDATE, DELETE');
SELECT mandant_isolate_tenant_table('document_embeddings_view', 'SELECT, INSERT, UPDATE, DELETE');
SELECT mandant_isolate_tenant_table('document_hashes', 'SELECT, INSERT, DELETE');

-- Down Migration
DROP TABLE IF EXISTS document_hashes;
DROP TABLE IF EXISTS document_embeddings_view;
DROP TABLE IF EXISTS document_links_view;
DROP TABLE IF EXISTS documents_view;
