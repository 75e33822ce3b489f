-- Up Migration
-- Master-key rotation re-wraps data keys in place: the runtime role may replace a key's wrapped
-- form (never its tenant, id or scope), and the operator's rotation lists the tenants that hold keys.
GRANT UPDATE (wrapped) ON data_keys TO mandant_app;

-- The id of the master key that wrapped a stored key (form 0x03: bytes 2..9, hex), null for the
-- older forms that name none. Mirrors `wrappingMasterKeyId` in data-keys.ts.
CREATE FUNCTION mandant_wrapping_master_key(p_wrapped bytea) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT SET search_path = public
  AS $$ SELECT CASE WHEN get_byte(p_wrapped, 0) = 3 AND length(p_wrapped) = 85
                    THEN encode(substring(p_wrapped FROM 2 FOR 8), 'hex') END $$;
GRANT EXECUTE ON FUNCTION mandant_wrapping_master_key(bytea) TO mandant_app;

-- The one read across tenants rotation needs: which tenants hold keys (no key, no count).
CREATE FUNCTION mandant_data_key_tenants() RETURNS TABLE (tenant_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT DISTINCT tenant_id FROM data_keys ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION mandant_data_key_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_data_key_tenants() TO mandant_app;

-- The erasure journal (`mandant keys erasures`): every destroyed scope, so that a restore from a
-- backup older than an erasure can destroy the restored key again. Names and times only, no key.
CREATE FUNCTION mandant_data_key_tombstones() RETURNS TABLE (tenant_id uuid, scope text, destroyed_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT tenant_id, scope, destroyed_at FROM data_key_tombstones ORDER BY destroyed_at, tenant_id, scope $$;
REVOKE ALL ON FUNCTION mandant_data_key_tombstones() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_data_key_tombstones() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_data_key_tombstones();
DROP FUNCTION IF EXISTS mandant_data_key_tenants();
DROP FUNCTION IF EXISTS mandant_wrapping_master_key(bytea);
REVOKE UPDATE (wrapped) ON data_keys FROM mandant_app;
