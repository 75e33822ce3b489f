-- Up Migration
-- Per-tenant data keys, wrapped by the master key. They live apart from the event log so that
-- deleting a row shreds everything sealed under it without rewriting history.
CREATE TABLE tenant_data_keys (
  tenant_id  uuid        PRIMARY KEY,
  wrapped    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_data_keys
  USING (tenant_id = mandant_current_tenant()) WITH CHECK (tenant_id = mandant_current_tenant());
GRANT SELECT, INSERT, DELETE ON tenant_data_keys TO mandant_app;

-- Down Migration
DROP TABLE IF EXISTS tenant_data_keys;
