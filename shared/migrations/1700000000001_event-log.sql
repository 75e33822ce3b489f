-- Up Migration
-- The runtime role the services connect as: owns nothing, is no superuser, cannot bypass RLS.
-- Its password (if any) is set by the bootstrap code, never here.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mandant_app') THEN
    CREATE ROLE mandant_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;

-- The tenant a transaction acts for: set with set_config(..., true), so it dies with the
-- transaction and never leaks to the next user of a pooled connection.
CREATE FUNCTION mandant_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('mandant.tenant_id', true), '')::uuid $$;

-- The one way a tenant table is protected: RLS enabled and FORCED (the owner is bound too), the
-- tenant_isolation policy, and the runtime role's privileges. Every migration calls this.
CREATE FUNCTION mandant_isolate_tenant_table(p_table regclass, p_privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE')
  RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = mandant_current_tenant()) '
                 'WITH CHECK (tenant_id = mandant_current_tenant())', p_table);
  EXECUTE format('GRANT %s ON %s TO mandant_app', p_privileges, p_table);
END
$$;
REVOKE ALL ON FUNCTION mandant_isolate_tenant_table(regclass, text) FROM PUBLIC;

-- The event log: the single source of truth. Append-only for the runtime role.
CREATE TABLE events (
  tenant_id      uuid        NOT NULL,
  tenant_seq     bigint      NOT NULL CHECK (tenant_seq > 0),
  id             uuid        NOT NULL,
  type           text        NOT NULL,
  project_id     uuid,
  stream         text        NOT NULL,
  version        integer     NOT NULL CHECK (version > 0),
  occurred_at    timestamptz NOT NULL,
  actor          text        NOT NULL,
  correlation_id text        NOT NULL,
  causation_id   text,
  traceparent    text,
  data           jsonb       NOT NULL,
  prev_hash      text        NOT NULL,
  hash           text        NOT NULL,
  PRIMARY KEY (tenant_id, tenant_seq),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, stream, version)
);

-- One row per tenant: its last position and hash. Appends lock this row, which serialises
-- writers of one tenant (never of different tenants) and keeps tenant_seq gapless in commit order.
CREATE TABLE tenant_heads (
  tenant_id uuid   PRIMARY KEY,
  last_seq  bigint NOT NULL,
  last_hash text   NOT NULL
);

-- Transactional outbox: written in the append transaction, drained by the relay.
CREATE TABLE outbox (
  tenant_id  uuid   NOT NULL,
  tenant_seq bigint NOT NULL,
  event_id   uuid   NOT NULL,
  subject    text   NOT NULL,
  attempts   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, tenant_seq)
);

-- Per (projector, tenant) progress of every read model.
CREATE TABLE projection_checkpoints (
  tenant_id  uuid        NOT NULL,
  projector  text        NOT NULL,
  position   bigint      NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, projector)
);

-- Events a projector gave up on after its bounded retries; they block nothing else.
CREATE TABLE projection_dead_letters (
  tenant_id  uuid        NOT NULL,
  projector  text        NOT NULL,
  tenant_seq bigint      NOT NULL,
  event_id   uuid        NOT NULL,
  error      text        NOT NULL,
  attempts   integer     NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, projector, tenant_seq)
);

SELECT mandant_isolate_tenant_table('events', 'SELECT, INSERT');
SELECT mandant_isolate_tenant_table('tenant_heads', 'SELECT, INSERT, UPDATE');
SELECT mandant_isolate_tenant_table('outbox');
SELECT mandant_isolate_tenant_table('projection_checkpoints');
SELECT mandant_isolate_tenant_table('projection_dead_letters');

GRANT USAGE ON SCHEMA public TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_current_tenant() TO mandant_app;

-- System processes (outbox relay, projectors catching up) must learn WHICH tenants have work
-- without reading any tenant's rows. These definer functions reveal ids and positions only.
CREATE FUNCTION mandant_outbox_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT DISTINCT tenant_id FROM outbox $$;
CREATE FUNCTION mandant_tenant_positions() RETURNS TABLE (tenant_id uuid, last_seq bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT tenant_id, last_seq FROM tenant_heads $$;
REVOKE ALL ON FUNCTION mandant_outbox_tenants() FROM PUBLIC;
REVOKE ALL ON FUNCTION mandant_tenant_positions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_outbox_tenants() TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_tenant_positions() TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_tenant_positions();
DROP FUNCTION IF EXISTS mandant_outbox_tenants();
DROP TABLE IF EXISTS projection_dead_letters, projection_checkpoints, outbox, tenant_heads, events;
DROP FUNCTION IF EXISTS mandant_isolate_tenant_table(regclass, text);
DROP FUNCTION IF EXISTS mandant_current_tenant();
