-- Up Migration
-- Operational metrics (GET /metrics, via the tenant service's `ops.metrics`) need a few figures
-- across tenants. Like mandant_tenant_positions(), these definer functions return aggregates
-- only: no tenant's rows, names or ids. Per projector, the lag behind each tenant's head is
-- folded into max / total, so the metric's labels stay bounded however many tenants there are.
-- A tenant with no checkpoint row for a projector counts as lagging by its whole head.
CREATE FUNCTION mandant_projection_lag()
  RETURNS TABLE (projector text, tenants bigint, max_lag bigint, total_lag bigint, dead_letters bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    WITH p AS (SELECT DISTINCT c.projector FROM projection_checkpoints c),
    l AS (
      SELECT p.projector, greatest(h.last_seq - coalesce(c.position, 0), 0) AS lag
      FROM p CROSS JOIN tenant_heads h
      LEFT JOIN projection_checkpoints c ON c.projector = p.projector AND c.tenant_id = h.tenant_id
    )
    SELECT l.projector, count(*), coalesce(max(l.lag), 0), coalesce(sum(l.lag), 0)::bigint,
           (SELECT count(*) FROM projection_dead_letters d WHERE d.projector = l.projector)
    FROM l GROUP BY l.projector ORDER BY l.projector
  $$;

-- Tenants and projects on the platform, by project status.
CREATE FUNCTION mandant_platform_counts()
  RETURNS TABLE (tenants bigint, projects_active bigint, projects_archived bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT (SELECT count(*) FROM tenants_view),
           (SELECT count(*) FROM projects_view WHERE status = 'active'),
           (SELECT count(*) FROM projects_view WHERE status = 'archived')
  $$;

REVOKE ALL ON FUNCTION mandant_projection_lag() FROM PUBLIC;
REVOKE ALL ON FUNCTION mandant_platform_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_projection_lag() TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_platform_counts() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_platform_counts();
DROP FUNCTION IF EXISTS mandant_projection_lag();
