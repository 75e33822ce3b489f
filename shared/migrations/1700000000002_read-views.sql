-- Up Migration
-- Relational read views kept by projectors, and the uniqueness reservations the write side
-- takes inside its append transaction. Every table is tenant-scoped and under forced RLS.

CREATE TABLE tenants_view (
  tenant_id  uuid        PRIMARY KEY,
  name       text        NOT NULL,
  slug       text        NOT NULL,
  settings   jsonb       NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE api_keys_view (
  tenant_id   uuid        NOT NULL,
  key_id      uuid        NOT NULL,
  name        text        NOT NULL,
  user_id     uuid,
  role        text,
  prefix      text        NOT NULL,
  secret_hash text        NOT NULL,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, key_id),
  UNIQUE (tenant_id, secret_hash)
);

CREATE TABLE users_view (
  tenant_id          uuid        NOT NULL,
  user_id            uuid        NOT NULL,
  email              text        NOT NULL,
  name               text        NOT NULL,
  current_project_id uuid,
  created_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE projects_view (
  tenant_id        uuid        NOT NULL,
  project_id       uuid        NOT NULL,
  name             text        NOT NULL,
  slug             text        NOT NULL,
  description      text        NOT NULL DEFAULT '',
  settings         jsonb       NOT NULL DEFAULT '{}',
  status           text        NOT NULL CHECK (status IN ('active', 'archived')),
  member_count     integer     NOT NULL DEFAULT 0,
  document_count   integer     NOT NULL DEFAULT 0,
  entity_count     integer     NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, project_id)
);

CREATE TABLE members_view (
  tenant_id    uuid        NOT NULL,
  project_id   uuid        NOT NULL,
  user_id      uuid        NOT NULL,
  role         text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  display_name text,
  preferences  jsonb       NOT NULL DEFAULT '{}',
  state        jsonb       NOT NULL DEFAULT '{}',
  added_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, project_id, user_id)
);
CREATE INDEX members_view_by_user ON members_view (tenant_id, user_id);

-- Uniqueness reservations, written in the same transaction as the event that claims them.
-- Tenant slugs are unique platform-wide by nature (they name tenants to the operator).
CREATE TABLE tenant_slugs (
  slug      text PRIMARY KEY,
  tenant_id uuid NOT NULL UNIQUE
);
CREATE TABLE project_slugs (
  tenant_id  uuid NOT NULL,
  slug       text NOT NULL,
  project_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, slug)
);
CREATE TABLE user_emails (
  tenant_id uuid NOT NULL,
  email     text NOT NULL,
  user_id   uuid NOT NULL,
  PRIMARY KEY (tenant_id, email)
);

SELECT mandant_isolate_tenant_table('tenants_view');
SELECT mandant_isolate_tenant_table('api_keys_view');
SELECT mandant_isolate_tenant_table('users_view');
SELECT mandant_isolate_tenant_table('projects_view');
SELECT mandant_isolate_tenant_table('members_view');
SELECT mandant_isolate_tenant_table('tenant_slugs');
SELECT mandant_isolate_tenant_table('project_slugs');
SELECT mandant_isolate_tenant_table('user_emails');

-- The platform operator lists tenants; this is the one read across tenants, and it returns
-- the directory entry only (no settings, nothing inside a tenant).
CREATE FUNCTION mandant_list_tenants()
  RETURNS TABLE (tenant_id uuid, name text, slug text, created_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT tenant_id, name, slug, created_at FROM tenants_view ORDER BY created_at, tenant_id $$;
-- Resolves a slug to its tenant id (single-tenant start-up, operator tooling).
CREATE FUNCTION mandant_tenant_by_slug(p_slug text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT tenant_id FROM tenant_slugs WHERE slug = p_slug $$;
REVOKE ALL ON FUNCTION mandant_list_tenants() FROM PUBLIC;
REVOKE ALL ON FUNCTION mandant_tenant_by_slug(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_list_tenants() TO mandant_app;
GRANT EXECUTE ON FUNCTION mandant_tenant_by_slug(text) TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_tenant_by_slug(text);
DROP FUNCTION IF EXISTS mandant_list_tenants();
DROP TABLE IF EXISTS user_emails, project_slugs, tenant_slugs, members_view, projects_view, users_view, api_keys_view, tenants_view;
