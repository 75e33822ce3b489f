-- Up Migration
-- mandant_append's statements are planned for each call's own values. PL/pgSQL caches a generic
-- plan per connection after a few calls; for the per-tenant lookups (a stream's last version,
-- which of the event ids are stored) that plan ignores the tenant's size and slows down as the
-- tenant's log grows: 16 writers of one tenant fell from ~1,100 to ~200 appends/s over 10,000
-- events, and stayed flat (~1,200/s) with custom plans (bench/append.ts measures it).
ALTER FUNCTION mandant_append(uuid, jsonb) SET plan_cache_mode = force_custom_plan;

-- Down Migration
ALTER FUNCTION mandant_append(uuid, jsonb) RESET plan_cache_mode;
