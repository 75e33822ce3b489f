-- Up Migration
-- Per-minute request counts of each tenant, by status class, for the console's activity chart.
--
-- Counted in memory by the gateways like `tenant_usage` and added here on each usage flush: one
-- row per tenant and minute (UTC, the minute's start), one upsert per tenant per flush.
-- Operational counters, not events; a flush deletes the rows older than a few days.
CREATE TABLE tenant_activity (
  tenant_id     uuid        NOT NULL,
  minute        timestamptz NOT NULL,
  requests      bigint      NOT NULL DEFAULT 0,
  client_errors bigint      NOT NULL DEFAULT 0,
  server_errors bigint      NOT NULL DEFAULT 0,
  rate_limited  bigint      NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, minute)
);
SELECT mandant_isolate_tenant_table('tenant_activity', 'SELECT, INSERT, UPDATE, DELETE');

-- An offboarded tenant keeps none of these rows: the tombstone purges them, and a gateway that
-- flushes later has its write dropped (see migration 1700000000100).
CREATE TRIGGER tenant_activity_drop_offboarded BEFORE INSERT OR UPDATE ON tenant_activity
  FOR EACH ROW EXECUTE FUNCTION mandant_drop_offboarded_rows();

-- Down Migration
DROP TABLE IF EXISTS tenant_activity;
