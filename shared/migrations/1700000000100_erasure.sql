-- Up Migration
-- Erasure by key deletion (crypto-shredding), for single documents and for whole tenants.
--
-- Data keys per scope: a tenant has its own key (scope 'tenant', what existed before) and one key
-- per document (scope 'document:{id}'). Payloads name their key by key id, so a row per
-- (tenant, key id); at most one key per scope (no rotation yet). Deleting a row shreds what it
-- sealed; the tombstone keeps the scope (or '*', the whole tenant) from ever getting a key again.
CREATE TABLE data_keys (
  tenant_id  uuid        NOT NULL,
  key_id     bytea       NOT NULL CHECK (length(key_id) = 16),
  scope      text        NOT NULL,
  wrapped    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_id),
  UNIQUE (tenant_id, scope)
);
CREATE TABLE data_key_tombstones (
  tenant_id    uuid        NOT NULL,
  scope        text        NOT NULL,
  destroyed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope)
);
-- The tenant keys made so far become the tenant scope's keys (the key id is bytes 2..17 of the
-- wrapped form), so everything sealed before still opens.
INSERT INTO data_keys (tenant_id, key_id, scope, wrapped, created_at)
  SELECT tenant_id, substring(wrapped FROM 2 FOR 16), 'tenant', wrapped, created_at FROM tenant_data_keys;
DROP TABLE tenant_data_keys;
SELECT mandant_isolate_tenant_table('data_keys', 'SELECT, INSERT, DELETE');
SELECT mandant_isolate_tenant_table('data_key_tombstones', 'SELECT, INSERT');

-- Offboarded tenants, written in the same transaction as their `tenant.offboarded.v1` tombstone.
CREATE TABLE offboarded_tenants (
  tenant_id     uuid        PRIMARY KEY,
  offboarded_at timestamptz NOT NULL DEFAULT now()
);
SELECT mandant_isolate_tenant_table('offboarded_tenants', 'SELECT, INSERT');

-- The tombstone is the tenant's last event: any later append fails (MD003), whoever attempts it.
-- appends lock the tenant head first, so this check is serialised with the tombstone's append.
CREATE FUNCTION mandant_refuse_offboarded() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  IF NEW.type <> 'tenant.offboarded.v1' AND EXISTS (SELECT 1 FROM offboarded_tenants o WHERE o.tenant_id = NEW.tenant_id) THEN
    RAISE EXCEPTION 'tenant % is offboarded', NEW.tenant_id USING ERRCODE = 'MD003';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_refuse_offboarded BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION mandant_refuse_offboarded();

-- Relational read views keep no row of an offboarded tenant: the tombstone purges them (tenant
-- views projection), and a projector that lags behind it or rebuilds from the log has its writes
-- dropped here, so rows cannot come back whichever projection writes them.
CREATE FUNCTION mandant_drop_offboarded_rows() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM offboarded_tenants o WHERE o.tenant_id = NEW.tenant_id) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants_view', 'api_keys_view', 'users_view', 'projects_view', 'members_view', 'project_slugs',
                           'user_emails', 'documents_view', 'document_links_view', 'document_embeddings_view', 'document_hashes',
                           'conversations_view', 'conversation_messages_view'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION mandant_drop_offboarded_rows()',
                   t || '_drop_offboarded', t);
  END LOOP;
END
$$;

-- Down Migration
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants_view', 'api_keys_view', 'users_view', 'projects_view', 'members_view', 'project_slugs',
                           'user_emails', 'documents_view', 'document_links_view', 'document_embeddings_view', 'document_hashes',
                           'conversations_view', 'conversation_messages_view'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_drop_offboarded', t);
  END LOOP;
END
$$;
DROP FUNCTION IF EXISTS mandant_drop_offboarded_rows();
DROP TRIGGER IF EXISTS events_refuse_offboarded ON events;
DROP FUNCTION IF EXISTS mandant_refuse_offboarded();
DROP TABLE IF EXISTS offboarded_tenants;
CREATE TABLE tenant_data_keys (
  tenant_id  uuid        PRIMARY KEY,
  wrapped    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenant_data_keys (tenant_id, wrapped, created_at) SELECT tenant_id, wrapped, created_at FROM data_keys WHERE scope = 'tenant';
SELECT mandant_isolate_tenant_table('tenant_data_keys', 'SELECT, INSERT, DELETE');
DROP TABLE IF EXISTS data_key_tombstones, data_keys;
