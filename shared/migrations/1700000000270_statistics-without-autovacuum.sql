-- Up Migration
-- Planner statistics on a server that keeps none. Many of the projectors' statements find a page's
-- rows among a tenant's rows (a document's points, links, mentions, views); on a table never
-- analysed the planner takes a tenant's rows to be one and plans a scan of all of them, a cost that
-- grows with the tenant's corpus (bench/RESULTS.md, Lag, 5 Dec). A production server analyses its
-- tables (autovacuum); one that runs with autovacuum off does not, and the runtime role may not
-- (ANALYZE needs the table's owner). This definer function analyses, when autovacuum is off, each
-- table whose rows changed past autovacuum's own default threshold (50 rows and a tenth of the
-- table) since it was last analysed; with autovacuum on it does nothing. One caller at a time
-- (the others return at once); it returns the tables it analysed. It reads and reveals nothing of
-- any tenant.
CREATE FUNCTION mandant_analyze_stale() RETURNS SETOF text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $$
DECLARE
  t text;
BEGIN
  IF current_setting('autovacuum')::boolean OR NOT pg_try_advisory_xact_lock(hashtext('mandant_analyze_stale')) THEN
    RETURN;
  END IF;
  FOR t IN
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = 'public' AND c.relowner = (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)
      AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
    ORDER BY s.relname
  LOOP
    EXECUTE format('ANALYZE %I', t);
    RETURN NEXT t;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION mandant_analyze_stale() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_analyze_stale() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_analyze_stale();
