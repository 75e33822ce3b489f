-- Up Migration
-- Per-tenant limits, rate buckets and usage.
--
-- tenant_limits_view: the operator's overrides (null = the platform default), projected from
-- `tenant.limits_set.v1` by the tenant views.
CREATE TABLE tenant_limits_view (
  tenant_id                     uuid             PRIMARY KEY,
  requests_per_second           double precision,
  burst                         integer,
  expensive_requests_per_second double precision,
  expensive_burst               integer,
  max_stored_bytes              bigint,
  max_documents                 bigint,
  updated_at                    timestamptz      NOT NULL
);
SELECT mandant_isolate_tenant_table('tenant_limits_view');

-- One token bucket per tenant and bucket name, shared by every gateway replica. A replica takes
-- a lease of whole tokens in one short transaction (never one per request); `tokens` is what is
-- left after the last lease, as of `updated_at` (the database clock).
CREATE TABLE rate_buckets (
  tenant_id  uuid             NOT NULL,
  bucket     text             NOT NULL CHECK (bucket IN ('api', 'expensive')),
  tokens     double precision NOT NULL CHECK (tokens >= 0),
  updated_at timestamptz      NOT NULL,
  PRIMARY KEY (tenant_id, bucket)
);
SELECT mandant_isolate_tenant_table('rate_buckets', 'SELECT, INSERT, UPDATE, DELETE');

-- Usage counted in memory by the gateways and added here on each flush: one row per tenant and
-- UTC day, one upsert per tenant per flush. Operational counters, not events.
CREATE TABLE tenant_usage (
  tenant_id    uuid   NOT NULL,
  day          date   NOT NULL,
  api_calls    bigint NOT NULL DEFAULT 0,
  search_calls bigint NOT NULL DEFAULT 0,
  chat_calls   bigint NOT NULL DEFAULT 0,
  upload_calls bigint NOT NULL DEFAULT 0,
  rate_limited bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day)
);
SELECT mandant_isolate_tenant_table('tenant_usage', 'SELECT, INSERT, UPDATE, DELETE');

-- An offboarded tenant keeps none of these rows: the tombstone purges them, and a gateway that
-- flushes or leases later has its write dropped (see migration 1700000000100).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_limits_view', 'rate_buckets', 'tenant_usage'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION mandant_drop_offboarded_rows()',
                   t || '_drop_offboarded', t);
  END LOOP;
END
$$;

-- Down Migration
DROP TABLE IF EXISTS tenant_usage, rate_buckets, tenant_limits_view;
