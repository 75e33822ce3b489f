-- Up Migration
-- Alerts need two more figures across tenants (GET /metrics, via `ops.metrics`). Like
-- mandant_projection_lag(), definer functions that return ids, positions and aggregates only.
--
-- The tenants lagging most behind each projector, at most p_limit per projector (capped at 1000):
-- the series per tenant stay bounded however many tenants there are. A tenant with no checkpoint
-- row counts as lagging by its whole head, as in mandant_projection_lag().
CREATE FUNCTION mandant_projection_lag_by_tenant(p_limit integer)
  RETURNS TABLE (projector text, tenant_id uuid, lag bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    WITH p AS (SELECT DISTINCT c.projector FROM projection_checkpoints c),
    l AS (
      SELECT p.projector, h.tenant_id, greatest(h.last_seq - coalesce(c.position, 0), 0) AS lag
      FROM p CROSS JOIN tenant_heads h
      LEFT JOIN projection_checkpoints c ON c.projector = p.projector AND c.tenant_id = h.tenant_id
    ),
    r AS (
      SELECT l.*, row_number() OVER (PARTITION BY l.projector ORDER BY l.lag DESC, l.tenant_id) AS rank FROM l WHERE l.lag > 0
    )
    SELECT r.projector, r.tenant_id, r.lag FROM r
    WHERE r.rank <= least(greatest(coalesce(p_limit, 0), 0), 1000)
    ORDER BY r.projector, r.lag DESC, r.tenant_id
  $$;

-- The outbox relay's backlog: events appended but not yet published, and how long the oldest has
-- waited (by the time its event occurred; 0 when there is none, or its event is gone).
CREATE FUNCTION mandant_outbox_backlog()
  RETURNS TABLE (unrelayed bigint, oldest_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT count(*), coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::double precision
    FROM outbox o LEFT JOIN events e ON e.tenant_id = o.tenant_id AND e.tenant_seq = o.tenant_seq
  $$;

REVOKE ALL ON FUNCTION mandant_projection_lag_by_tenant(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION mandant_outbox_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_projection_lag_by_tenant(integer) TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_outbox_backlog() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_outbox_backlog();
DROP FUNCTION IF EXISTS mandant_projection_lag_by_tenant(integer);
