-- Up Migration
-- Keyword search for the embedded text index without a full scan. Under forced RLS PostgreSQL
-- cannot use the GIN indexes for `@@` and `&&` (not leakproof) before the row policy ran, so
-- every search read every row of the table. This function finds the matching ids with the
-- indexes as the migration role (a superuser or BYPASSRLS, see README), and is bound to the
-- caller's tenant by the same setting the row policy reads: with no tenant set it finds nothing,
-- and no argument can name another tenant. The adapter then reads the rows themselves under RLS.
CREATE FUNCTION mandant_text_match(
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
    IF p_projects IS NOT NULL THEN sql := sql || ' AND t.project_ids && $3'; END IF;
    IF p_type IS NOT NULL THEN sql := sql || ' AND t.document_type = $4'; END IF;
    IF p_from IS NOT NULL THEN sql := sql || ' AND t.created_at >= $5'; END IF;
    IF p_to IS NOT NULL THEN sql := sql || ' AND t.created_at <= $6'; END IF;
    IF p_entity IS NOT NULL THEN sql := sql || ' AND t.entity_names @> ARRAY[$7]'; END IF;
    sql := sql || ' ORDER BY score DESC, t.id LIMIT $8 OFFSET $9';
    RETURN QUERY EXECUTE sql USING tenant, q, p_projects, p_type, p_from, p_to, p_entity, p_limit, p_offset;
  END
  $$;
REVOKE ALL ON FUNCTION mandant_text_match(tsquery, uuid[], text, timestamptz, timestamptz, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_text_match(tsquery, uuid[], text, timestamptz, timestamptz, text, integer, integer) TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_text_match(tsquery, uuid[], text, timestamptz, timestamptz, text, integer, integer);
