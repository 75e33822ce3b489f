-- Up Migration
-- mandant_append as in migration 003, except that its two per-item lookups (which of the event
-- ids are stored already; the stream's last version) are planned for each call's own values.
-- PL/pgSQL caches a generic plan for them per connection after a few calls, and that plan slows
-- down as the tenant's log grows: 16 writers of one tenant fell from ~900 to ~150 appends/s
-- within 10,000 events, and with the lookups planned per call stayed at ~2,000/s
-- (bench/append.ts, "ONE tenant"). Planning every statement of the function per call
-- (plan_cache_mode) also fixed it, but made batched appends 2x slower.
CREATE OR REPLACE FUNCTION mandant_append(p_tenant uuid, p_items jsonb)
  RETURNS TABLE (item integer, error text, detail text, tenant_id uuid, tenant_seq bigint, id uuid, type text,
                 project_id uuid, stream text, version integer, occurred_at timestamptz, actor text,
                 correlation_id text, causation_id text, traceparent text, data jsonb, prev_hash text, hash text)
  LANGUAGE plpgsql SECURITY INVOKER SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_hash text;
  v_version integer;
  v_known integer;
  v_ids uuid[];
  v_n integer := 0;
  v_from bigint;
  it jsonb;
  ev jsonb;
BEGIN
  PERFORM set_config('mandant.tenant_id', p_tenant::text, true);
  INSERT INTO tenant_heads AS h (tenant_id, last_seq, last_hash) VALUES (p_tenant, 0, repeat('0', 64))
    ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = h.tenant_id
    RETURNING h.last_seq, h.last_hash INTO v_seq, v_hash;

  FOR it IN SELECT x FROM jsonb_array_elements(p_items) AS t(x) LOOP
    v_n := v_n + 1;
    v_ids := ARRAY(SELECT (x->>'id')::uuid FROM jsonb_array_elements(it->'events') AS t(x));
    -- the two per-item lookups are planned for their own values (dynamic SQL): see the header
    EXECUTE 'SELECT count(*) FROM events e WHERE e.tenant_id = $1 AND e.id = ANY($2)' INTO v_known USING p_tenant, v_ids;
    IF v_known > 0 THEN
      IF v_known <> cardinality(v_ids) THEN
        item := v_n; error := 'MD002'; detail := NULL;
        RETURN NEXT;
      ELSE
        RETURN QUERY SELECT v_n, NULL::text, NULL::text, e.tenant_id, e.tenant_seq, e.id, e.type, e.project_id, e.stream, e.version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.traceparent, e.data, e.prev_hash, e.hash
          FROM events e WHERE e.tenant_id = p_tenant AND e.id = ANY(v_ids) ORDER BY e.tenant_seq;
      END IF;
      CONTINUE;
    END IF;

    EXECUTE 'SELECT coalesce(max(e.version), 0) FROM events e WHERE e.tenant_id = $1 AND e.stream = $2' INTO v_version USING p_tenant, it->>'stream';
    IF (it->>'expected')::integer >= 0 AND (it->>'expected')::integer <> v_version THEN
      item := v_n; error := 'MD001'; detail := v_version::text;
      RETURN NEXT;
      CONTINUE;
    END IF;

    v_from := v_seq + 1;
    FOR ev IN SELECT x FROM jsonb_array_elements(it->'events') WITH ORDINALITY AS t(x, o) ORDER BY o LOOP
      v_seq := v_seq + 1;
      v_version := v_version + 1;
      INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                               correlation_id, causation_id, traceparent, data, prev_hash, hash)
      VALUES (p_tenant, v_seq, (ev->>'id')::uuid, ev->>'type', (ev->>'project_id')::uuid, it->>'stream', v_version,
              (ev->>'occurred_at')::timestamptz, it->>'actor', it->>'correlation_id', it->>'causation_id', it->>'traceparent',
              ev->'data', v_hash,
              encode(sha256(convert_to(v_hash || ':' || v_seq || ':' || v_version || ':' || (ev->>'content_hash'), 'UTF8')), 'hex'))
      RETURNING e.hash INTO v_hash;
      INSERT INTO outbox (tenant_id, tenant_seq, event_id, subject)
      VALUES (p_tenant, v_seq, (ev->>'id')::uuid,
              'events.' || p_tenant || '.' || coalesce(ev->>'project_id', '_') || '.' || (ev->>'type'));
    END LOOP;
    RETURN QUERY SELECT v_n, NULL::text, NULL::text, e.tenant_id, e.tenant_seq, e.id, e.type, e.project_id, e.stream, e.version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.traceparent, e.data, e.prev_hash, e.hash
      FROM events e WHERE e.tenant_id = p_tenant AND e.tenant_seq BETWEEN v_from AND v_seq ORDER BY e.tenant_seq;
  END LOOP;

  UPDATE tenant_heads AS h SET last_seq = v_seq, last_hash = v_hash WHERE h.tenant_id = p_tenant;
END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION mandant_append(p_tenant uuid, p_items jsonb)
  RETURNS TABLE (item integer, error text, detail text, tenant_id uuid, tenant_seq bigint, id uuid, type text,
                 project_id uuid, stream text, version integer, occurred_at timestamptz, actor text,
                 correlation_id text, causation_id text, traceparent text, data jsonb, prev_hash text, hash text)
  LANGUAGE plpgsql SECURITY INVOKER SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_hash text;
  v_version integer;
  v_known integer;
  v_ids uuid[];
  v_n integer := 0;
  v_from bigint;
  it jsonb;
  ev jsonb;
BEGIN
  PERFORM set_config('mandant.tenant_id', p_tenant::text, true);
  INSERT INTO tenant_heads AS h (tenant_id, last_seq, last_hash) VALUES (p_tenant, 0, repeat('0', 64))
    ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = h.tenant_id
    RETURNING h.last_seq, h.last_hash INTO v_seq, v_hash;

  FOR it IN SELECT x FROM jsonb_array_elements(p_items) AS t(x) LOOP
    v_n := v_n + 1;
    v_ids := ARRAY(SELECT (x->>'id')::uuid FROM jsonb_array_elements(it->'events') AS t(x));
    SELECT count(*) INTO v_known FROM events e WHERE e.tenant_id = p_tenant AND e.id = ANY(v_ids);
    IF v_known > 0 THEN
      IF v_known <> cardinality(v_ids) THEN
        item := v_n; error := 'MD002'; detail := NULL;
        RETURN NEXT;
      ELSE
        RETURN QUERY SELECT v_n, NULL::text, NULL::text, e.tenant_id, e.tenant_seq, e.id, e.type, e.project_id, e.stream, e.version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.traceparent, e.data, e.prev_hash, e.hash
          FROM events e WHERE e.tenant_id = p_tenant AND e.id = ANY(v_ids) ORDER BY e.tenant_seq;
      END IF;
      CONTINUE;
    END IF;

    SELECT coalesce(max(e.version), 0) INTO v_version FROM events e WHERE e.tenant_id = p_tenant AND e.stream = it->>'stream';
    IF (it->>'expected')::integer >= 0 AND (it->>'expected')::integer <> v_version THEN
      item := v_n; error := 'MD001'; detail := v_version::text;
      RETURN NEXT;
      CONTINUE;
    END IF;

    v_from := v_seq + 1;
    FOR ev IN SELECT x FROM jsonb_array_elements(it->'events') WITH ORDINALITY AS t(x, o) ORDER BY o LOOP
      v_seq := v_seq + 1;
      v_version := v_version + 1;
      INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                               correlation_id, causation_id, traceparent, data, prev_hash, hash)
      VALUES (p_tenant, v_seq, (ev->>'id')::uuid, ev->>'type', (ev->>'project_id')::uuid, it->>'stream', v_version,
              (ev->>'occurred_at')::timestamptz, it->>'actor', it->>'correlation_id', it->>'causation_id', it->>'traceparent',
              ev->'data', v_hash,
              encode(sha256(convert_to(v_hash || ':' || v_seq || ':' || v_version || ':' || (ev->>'content_hash'), 'UTF8')), 'hex'))
      RETURNING e.hash INTO v_hash;
      INSERT INTO outbox (tenant_id, tenant_seq, event_id, subject)
      VALUES (p_tenant, v_seq, (ev->>'id')::uuid,
              'events.' || p_tenant || '.' || coalesce(ev->>'project_id', '_') || '.' || (ev->>'type'));
    END LOOP;
    RETURN QUERY SELECT v_n, NULL::text, NULL::text, e.tenant_id, e.tenant_seq, e.id, e.type, e.project_id, e.stream, e.version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.traceparent, e.data, e.prev_hash, e.hash
      FROM events e WHERE e.tenant_id = p_tenant AND e.tenant_seq BETWEEN v_from AND v_seq ORDER BY e.tenant_seq;
  END LOOP;

  UPDATE tenant_heads AS h SET last_seq = v_seq, last_hash = v_hash WHERE h.tenant_id = p_tenant;
END
$$;
