-- Up Migration
-- The embedded vector and text stores keep a document's projects once, in a row of their own,
-- instead of on every point and every text row of the document. Linking a document to a project
-- or unlinking it rewrote each of its rows: a point row is 1.8 KB (the vector inline), a text
-- row carries its content and its stored tsvector (computed again), and both have `project_ids`
-- under a GIN index, so no relink was a HOT update; every relink added a whole new version of
-- every row with an entry in every index. At 1,000 events/s (a third of them links) the dead
-- versions grew the tables by hundreds of MB in five minutes and the relinks slowed from 2 to
-- 10 ms a statement (bench/RESULTS.md, Lag, 6 Dec). A relink now writes one narrow row per
-- document and store.
--
-- `vector_document_links.rev` is stamped with the collection's revision by the write that last
-- changed the set (see migration 1700000000080): a cache at revision S catches up by reading the
-- links stamped > S as well as the points.
CREATE TABLE vector_document_links (
  tenant_id   uuid    NOT NULL,
  model       text    NOT NULL,
  dimension   integer NOT NULL,
  document_id uuid    NOT NULL,
  project_ids uuid[]  NOT NULL,
  rev         bigint  NOT NULL,
  PRIMARY KEY (tenant_id, model, dimension, document_id),
  FOREIGN KEY (tenant_id, model, dimension) REFERENCES vector_collections ON DELETE CASCADE
);
CREATE INDEX vector_document_links_by_project ON vector_document_links USING gin (project_ids);
CREATE INDEX vector_document_links_by_rev ON vector_document_links (tenant_id, model, dimension, rev);
SELECT mandant_isolate_tenant_table('vector_document_links');

CREATE TABLE text_document_links (
  tenant_id   uuid   NOT NULL,
  document_id uuid   NOT NULL,
  project_ids uuid[] NOT NULL,
  PRIMARY KEY (tenant_id, document_id)
);
CREATE INDEX text_document_links_by_project ON text_document_links USING gin (project_ids);
SELECT mandant_isolate_tenant_table('text_document_links');

-- What the stores held: a document's set is the one its rows share (the projectors always wrote
-- them together); of points that disagree, the most recently stamped one; of text rows, which
-- carry no stamp, the first by id.
INSERT INTO vector_document_links (tenant_id, model, dimension, document_id, project_ids, rev)
SELECT DISTINCT ON (tenant_id, model, dimension, document_id) tenant_id, model, dimension, document_id, project_ids, rev
FROM vector_points ORDER BY tenant_id, model, dimension, document_id, rev DESC, id;
INSERT INTO text_document_links (tenant_id, document_id, project_ids)
SELECT DISTINCT ON (tenant_id, document_id) tenant_id, document_id, project_ids
FROM text_documents ORDER BY tenant_id, document_id, id;

-- The keyword search's project filter reads the document's links (same arguments, same outcomes:
-- a version before this one, calling it during a rolling update, gets the same answers).
CREATE OR REPLACE FUNCTION mandant_text_match(
  q tsquery, p_projects uuid[], p_type text, p_from timestamptz, p_to timestamptz, p_entity text, p_limit integer, p_offset integer
) RETURNS TABLE (id uuid, score real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
  AS $$
  DECLARE
    tenant uuid := mandant_current_tenant();
    sql text := 'SELECT t.id, ts_rank_cd(t.search, $2, 32) AS score FROM text_documents t
                 WHERE t.tenant_id = $1 AND t.search @@ $2';
  BEGIN
    IF tenant IS NULL THEN RETURN; END IF;
    -- only the filters given, so each search gets a plan for its own shape
    IF p_projects IS NOT NULL THEN
      sql := sql || ' AND t.document_id IN (SELECT l.document_id FROM text_document_links l
                                            WHERE l.tenant_id = $1 AND l.project_ids && $3)';
    END IF;
    IF p_type IS NOT NULL THEN sql := sql || ' AND t.document_type = $4'; END IF;
    IF p_from IS NOT NULL THEN sql := sql || ' AND t.created_at >= $5'; END IF;
    IF p_to IS NOT NULL THEN sql := sql || ' AND t.created_at <= $6'; END IF;
    IF p_entity IS NOT NULL THEN sql := sql || ' AND t.entity_names @> ARRAY[$7]'; END IF;
    sql := sql || ' ORDER BY score DESC, t.id LIMIT $8 OFFSET $9';
    RETURN QUERY EXECUTE sql USING tenant, q, p_projects, p_type, p_from, p_to, p_entity, p_limit, p_offset;
  END
  $$;

-- A rolling update runs the version before this one beside this one; it reads and writes
-- `project_ids` on the rows themselves. While it may run, both places are kept equal here, each
-- way: what it writes on the rows reaches the links, and what this version writes on the links
-- reaches the rows (their `rev` too, which its cache reads). And when it deletes a document's last
-- row (a deleted document, an offboarded tenant), the document's links go with it. A database that held nothing from a
-- version before (a new installation) never ran one, so it gets none of this and relinks write
-- the narrow rows only. The later migration that drops the rows' `project_ids` drops these too.
CREATE FUNCTION mandant_vector_links_from_points() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  INSERT INTO vector_document_links AS l (tenant_id, model, dimension, document_id, project_ids, rev)
  VALUES (NEW.tenant_id, NEW.model, NEW.dimension, NEW.document_id, NEW.project_ids, NEW.rev)
  ON CONFLICT (tenant_id, model, dimension, document_id) DO UPDATE SET project_ids = excluded.project_ids, rev = excluded.rev
  WHERE l.project_ids IS DISTINCT FROM excluded.project_ids;
  RETURN NULL;
END
$$;
CREATE FUNCTION mandant_vector_points_from_links() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  UPDATE vector_points p SET project_ids = NEW.project_ids, rev = NEW.rev
  WHERE p.tenant_id = NEW.tenant_id AND p.model = NEW.model AND p.dimension = NEW.dimension
    AND p.document_id = NEW.document_id AND p.project_ids IS DISTINCT FROM NEW.project_ids;
  RETURN NULL;
END
$$;
CREATE FUNCTION mandant_text_links_from_rows() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  INSERT INTO text_document_links AS l (tenant_id, document_id, project_ids)
  VALUES (NEW.tenant_id, NEW.document_id, NEW.project_ids)
  ON CONFLICT (tenant_id, document_id) DO UPDATE SET project_ids = excluded.project_ids
  WHERE l.project_ids IS DISTINCT FROM excluded.project_ids;
  RETURN NULL;
END
$$;
CREATE FUNCTION mandant_text_rows_from_links() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  UPDATE text_documents t SET project_ids = NEW.project_ids
  WHERE t.tenant_id = NEW.tenant_id AND t.document_id = NEW.document_id AND t.project_ids IS DISTINCT FROM NEW.project_ids;
  RETURN NULL;
END
$$;
CREATE FUNCTION mandant_vector_links_without_points() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  DELETE FROM vector_document_links l
  USING (SELECT DISTINCT tenant_id, model, dimension, document_id FROM gone) g
  WHERE l.tenant_id = g.tenant_id AND l.model = g.model AND l.dimension = g.dimension AND l.document_id = g.document_id
    AND NOT EXISTS (SELECT 1 FROM vector_points p WHERE p.tenant_id = g.tenant_id AND p.model = g.model
                      AND p.dimension = g.dimension AND p.document_id = g.document_id);
  RETURN NULL;
END
$$;
CREATE FUNCTION mandant_text_links_without_rows() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  DELETE FROM text_document_links l
  USING (SELECT DISTINCT tenant_id, document_id FROM gone) g
  WHERE l.tenant_id = g.tenant_id AND l.document_id = g.document_id
    AND NOT EXISTS (SELECT 1 FROM text_documents t WHERE t.tenant_id = g.tenant_id AND t.document_id = g.document_id);
  RETURN NULL;
END
$$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM vector_points) OR EXISTS (SELECT 1 FROM text_documents) THEN
    CREATE TRIGGER vector_points_links_for_earlier_version AFTER INSERT OR UPDATE OF project_ids ON vector_points
      FOR EACH ROW EXECUTE FUNCTION mandant_vector_links_from_points();
    CREATE TRIGGER vector_document_links_for_earlier_version AFTER INSERT OR UPDATE OF project_ids ON vector_document_links
      FOR EACH ROW EXECUTE FUNCTION mandant_vector_points_from_links();
    CREATE TRIGGER text_documents_links_for_earlier_version AFTER INSERT OR UPDATE OF project_ids ON text_documents
      FOR EACH ROW EXECUTE FUNCTION mandant_text_links_from_rows();
    CREATE TRIGGER text_document_links_for_earlier_version AFTER INSERT OR UPDATE OF project_ids ON text_document_links
      FOR EACH ROW EXECUTE FUNCTION mandant_text_rows_from_links();
    CREATE TRIGGER vector_points_deleted_for_earlier_version AFTER DELETE ON vector_points
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mandant_vector_links_without_points();
    CREATE TRIGGER text_documents_deleted_for_earlier_version AFTER DELETE ON text_documents
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mandant_text_links_without_rows();
  END IF;
END
$$;

-- Down Migration
DROP TRIGGER IF EXISTS vector_points_links_for_earlier_version ON vector_points;
DROP TRIGGER IF EXISTS text_documents_links_for_earlier_version ON text_documents;
DROP TRIGGER IF EXISTS vector_points_deleted_for_earlier_version ON vector_points;
DROP TRIGGER IF EXISTS text_documents_deleted_for_earlier_version ON text_documents;
-- the rows get back the sets the links hold
UPDATE vector_points p SET project_ids = l.project_ids, rev = greatest(p.rev, l.rev)
FROM vector_document_links l
WHERE p.tenant_id = l.tenant_id AND p.model = l.model AND p.dimension = l.dimension AND p.document_id = l.document_id
  AND p.project_ids IS DISTINCT FROM l.project_ids;
UPDATE text_documents t SET project_ids = l.project_ids
FROM text_document_links l
WHERE t.tenant_id = l.tenant_id AND t.document_id = l.document_id AND t.project_ids IS DISTINCT FROM l.project_ids;
DROP TABLE IF EXISTS vector_document_links, text_document_links;
DROP FUNCTION IF EXISTS mandant_vector_links_from_points(), mandant_vector_points_from_links(),
  mandant_text_links_from_rows(), mandant_text_rows_from_links(), mandant_vector_links_without_points(),
  mandant_text_links_without_rows();
-- the keyword search as migration 1700000000090 made it
CREATE OR REPLACE FUNCTION mandant_text_match(
  q tsquery, p_projects uuid[], p_type text, p_from timestamptz, p_to timestamptz, p_entity text, p_limit integer, p_offset integer
) RETURNS TABLE (id uuid, score real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
  AS $$
  DECLARE
    tenant uuid := mandant_current_tenant();
    sql text := 'SELECT t.id, ts_rank_cd(t.search, $2, 32) AS score FROM text_documents t
                 WHERE t.tenant_id = $1 AND t.search @@ $2';
  BEGIN
    IF tenant IS NULL THEN RETURN; END IF;
    IF p_projects IS NOT NULL THEN sql := sql || ' AND t.project_ids && $3'; END IF;
    IF p_type IS NOT NULL THEN sql := sql || ' AND t.document_type = $4'; END IF;
    IF p_from IS NOT NULL THEN sql := sql || ' AND t.created_at >= $5'; END IF;
    IF p_to IS NOT NULL THEN sql := sql || ' AND t.created_at <= $6'; END IF;
    IF p_entity IS NOT NULL THEN sql := sql || ' AND t.entity_names @> ARRAY[$7]'; END IF;
    sql := sql || ' ORDER BY score DESC, t.id LIMIT $8 OFFSET $9';
    RETURN QUERY EXECUTE sql USING tenant, q, p_projects, p_type, p_from, p_to, p_entity, p_limit, p_offset;
  END
  $$;
