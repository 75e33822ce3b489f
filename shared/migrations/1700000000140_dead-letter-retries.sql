-- Up Migration
-- Dead letters can be retried after a fix (`mandant projections retry`, POST /projections/retry):
-- one that fails again stays, with its attempts incremented, and records when it last failed.
-- A retry asked for over the API is marked here and carried out by the projector that owns the
-- read model, wherever it runs (the service answering the request may not hold that projection).
ALTER TABLE projection_dead_letters
  ADD COLUMN last_failed_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN retry_requested_at timestamptz;

-- /metrics shows dead letters per tenant while the platform has few tenants (as it does the
-- events appended per tenant). Like mandant_projection_lag(), a definer function that returns
-- ids and counts only: no event, no error text.
CREATE FUNCTION mandant_dead_letters_by_tenant()
  RETURNS TABLE (tenant_id uuid, dead_letters bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT d.tenant_id, count(*) FROM projection_dead_letters d GROUP BY d.tenant_id ORDER BY d.tenant_id $$;

-- Which tenants asked for a retry of this projector's dead letters: ids only, so a projector
-- learns where to act without reading any tenant's rows (it then acts within that tenant).
CREATE FUNCTION mandant_dead_letter_retries(p_projector text) RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT DISTINCT d.tenant_id FROM projection_dead_letters d WHERE d.projector = p_projector AND d.retry_requested_at IS NOT NULL $$;

REVOKE ALL ON FUNCTION mandant_dead_letters_by_tenant() FROM PUBLIC;
REVOKE ALL ON FUNCTION mandant_dead_letter_retries(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_dead_letters_by_tenant() TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_dead_letter_retries(text) TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_dead_letter_retries(text);
DROP FUNCTION IF EXISTS mandant_dead_letters_by_tenant();
ALTER TABLE projection_dead_letters DROP COLUMN IF EXISTS retry_requested_at, DROP COLUMN IF EXISTS last_failed_at;
