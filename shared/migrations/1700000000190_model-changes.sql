-- Up Migration
-- Model changes without a gap in search.
--
-- documents: when each document was embedded in each model (the event's occurred_at, so a replay
-- writes the same). A scope searches its desired model once every processed document in it has
-- that model, else the model it last had complete: the one whose last embedding is the newest.
-- Rows written before this column get the time from the log, as the projection would have.
ALTER TABLE document_embeddings_view ADD COLUMN embedded_at timestamptz;
UPDATE document_embeddings_view v SET embedded_at = (
  SELECT max(e.occurred_at) FROM events e
  WHERE e.tenant_id = v.tenant_id AND e.stream = 'document-' || v.document_id::text
    AND e.type = 'document.embedded.v1' AND e.data->>'model' = v.model);

-- ingestion: the installation default model (EMBEDDING_MODEL) each tenant's documents were last
-- brought up to. A worker starting with another default re-embeds, in the background, the
-- documents of every tenant whose row differs (or is missing), then records the new default;
-- a pass cut short by a crash runs again at the next start and skips what it already did.
CREATE TABLE embedding_defaults (
  tenant_id  uuid        NOT NULL PRIMARY KEY,
  model      text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
SELECT mandant_isolate_tenant_table('embedding_defaults', 'SELECT, INSERT, UPDATE, DELETE');

-- An offboarded tenant keeps no row here (purged in the tombstone's transaction, later writes
-- dropped), like every other row of an offboarded tenant (migration 1700000000100).
CREATE FUNCTION mandant_purge_offboarded_embedding_defaults() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  DELETE FROM embedding_defaults WHERE tenant_id = NEW.tenant_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER offboarded_tenants_purge_embedding_defaults AFTER INSERT ON offboarded_tenants
  FOR EACH ROW EXECUTE FUNCTION mandant_purge_offboarded_embedding_defaults();
CREATE TRIGGER embedding_defaults_drop_offboarded BEFORE INSERT OR UPDATE ON embedding_defaults
  FOR EACH ROW EXECUTE FUNCTION mandant_drop_offboarded_rows();

-- Down Migration
DROP TRIGGER IF EXISTS offboarded_tenants_purge_embedding_defaults ON offboarded_tenants;
DROP FUNCTION IF EXISTS mandant_purge_offboarded_embedding_defaults();
DROP TABLE IF EXISTS embedding_defaults;
ALTER TABLE document_embeddings_view DROP COLUMN IF EXISTS embedded_at;
