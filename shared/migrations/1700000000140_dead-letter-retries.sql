-- Up Migration
-- Dead letters can be retried after a fix (`mandant projections retry`): one that fails again
-- stays, with its attempts incremented, and records when it last failed.
ALTER TABLE projection_dead_letters ADD COLUMN last_failed_at timestamptz NOT NULL DEFAULT now();

-- /metrics shows dead letters per tenant while the platform has few tenants (as it does the
-- events appended per tenant). Like mandant_projection_lag(), a definer function that returns
-- ids and counts only: no event, no error text.
CREATE FUNCTION mandant_dead_letters_by_tenant()
  RETURNS TABLE (tenant_id uuid, dead_letters bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT d.tenant_id, count(*) FROM projection_dead_letters d GROUP BY d.tenant_id ORDER BY d.tenant_id $$;
REVOKE ALL ON FUNCTION mandant_dead_letters_by_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_dead_letters_by_tenant() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_dead_letters_by_tenant();
ALTER TABLE projection_dead_letters DROP COLUMN IF EXISTS last_failed_at;
