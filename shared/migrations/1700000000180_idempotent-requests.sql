-- Up Migration
-- Idempotent requests: one claim per (tenant, idempotency key) that a POST carried, written by the
-- RPC serving layer (shared/src/rpc/idempotency.ts) around the use case. `key` is a hash of the
-- caller's scope and key, never the key; `reply` is sealed with a key derived from the caller's
-- key and never stored, so a row alone reveals no answer. Operator requests use the nil tenant.
CREATE TABLE idempotent_requests (
  tenant_id   uuid        NOT NULL,
  key         text        NOT NULL CHECK (key ~ '^[0-9a-f]{64}$'),
  fingerprint text        NOT NULL,
  pattern     text        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('running', 'done')),
  -- who holds a running claim: only that executor may finish or drop it
  claim       uuid        NOT NULL,
  -- a running claim past its lease lost its executor; a done one keeps none
  lease_until timestamptz,
  reply       bytea,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key),
  CHECK ((state = 'done') = (reply IS NOT NULL))
);
-- the opportunistic purge on each claim reads this
CREATE INDEX idempotent_requests_expiry ON idempotent_requests (tenant_id, expires_at);
SELECT mandant_isolate_tenant_table('idempotent_requests', 'SELECT, INSERT, UPDATE, DELETE');

-- Whether a request whose executor died was applied: its events carry `idem-…` as correlation
-- id. Partial, so appends without an idempotency key pay nothing for it.
CREATE INDEX events_idempotent_correlation ON events (correlation_id) WHERE correlation_id LIKE 'idem-%';

-- The operator's requests (tenant provisioning) append to a tenant not known beforehand: this
-- definer function answers, for one reserved `idem-…` correlation id, whether any tenant's log
-- holds it. It reveals a yes or no for an id derived from the operator's own key, nothing else.
CREATE FUNCTION mandant_idempotent_request_applied(p_correlation_id text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT p_correlation_id LIKE 'idem-%'
           AND EXISTS (SELECT 1 FROM events WHERE correlation_id = p_correlation_id AND correlation_id LIKE 'idem-%') $$;
REVOKE ALL ON FUNCTION mandant_idempotent_request_applied(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_idempotent_request_applied(text) TO mandant_app;

-- Offboarding purges a tenant's claims in the tombstone's own transaction (which acts for that
-- tenant), and a claim written later for it is dropped, like every other row of an offboarded
-- tenant (migration 1700000000100).
CREATE FUNCTION mandant_purge_offboarded_idempotent_requests() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  DELETE FROM idempotent_requests WHERE tenant_id = NEW.tenant_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER offboarded_tenants_purge_idempotent_requests AFTER INSERT ON offboarded_tenants
  FOR EACH ROW EXECUTE FUNCTION mandant_purge_offboarded_idempotent_requests();
CREATE TRIGGER idempotent_requests_drop_offboarded BEFORE INSERT OR UPDATE ON idempotent_requests
  FOR EACH ROW EXECUTE FUNCTION mandant_drop_offboarded_rows();

-- Down Migration
DROP TRIGGER IF EXISTS offboarded_tenants_purge_idempotent_requests ON offboarded_tenants;
DROP FUNCTION IF EXISTS mandant_purge_offboarded_idempotent_requests();
DROP FUNCTION IF EXISTS mandant_idempotent_request_applied(text);
DROP INDEX IF EXISTS events_idempotent_correlation;
DROP TABLE IF EXISTS idempotent_requests;
