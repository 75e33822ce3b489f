-- Up Migration
-- Per-tenant data keys, wrapped by the master key. They live apart from the event log so that
-- deleting a row shreds everything sealed under it without rewriting history.
CREATE TABLE tenant_data_keys (
  tenant_id  uuid        PRIMARY KEY,
  wrapped    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
SELECT mandant_isolate_tenant_table('tenant_data_keys', 'SELECT, INSERT, DELETE');

-- Down Migration
DROP TABLE IF EXISTS tenant_data_keys;
