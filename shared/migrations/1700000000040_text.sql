-- Up Migration
-- The embedded full-text index (shared/src/stores/text/postgres.ts): one row per indexed chunk
-- or document, searched with the 'simple' configuration (no stemming, no stop words: the
-- corpus mixes languages, and a missed stem is better than a wrong one).

-- Weights: title A, entity names B, content C, so a title match outranks a body match.
-- array_to_string is only STABLE in general (element output functions may be); for text[] it
-- is immutable in fact, which the generated column below needs.
CREATE FUNCTION mandant_text_vector(title text, entity_names text[], content text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(array_to_string(entity_names, ' '), '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(content, '')), 'C')
  $$;

CREATE TABLE text_documents (
  tenant_id     uuid        NOT NULL,
  id            uuid        NOT NULL,
  document_id   uuid        NOT NULL,
  title         text        NOT NULL,
  content       text        NOT NULL,
  project_ids   uuid[]      NOT NULL DEFAULT '{}',
  document_type text        NOT NULL,
  entity_names  text[]      NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL,
  search        tsvector    GENERATED ALWAYS AS (mandant_text_vector(title, entity_names, content)) STORED,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX text_documents_by_document ON text_documents (tenant_id, document_id);
CREATE INDEX text_documents_search ON text_documents USING gin (search);
CREATE INDEX text_documents_by_project ON text_documents USING gin (project_ids);
CREATE INDEX text_documents_by_entity ON text_documents USING gin (entity_names);

SELECT mandant_isolate_tenant_table('text_documents');

-- Down Migration
DROP TABLE IF EXISTS text_documents;
DROP FUNCTION IF EXISTS mandant_text_vector(text, text[], text);
