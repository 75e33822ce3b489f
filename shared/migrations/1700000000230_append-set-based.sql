-- Up Migration
-- mandant_append as in migration 130, with the same arguments, outcomes and guarantees, at less
-- cost per append and per event (a lone append was ~2x Emmett's on the server, nearly all of it
-- planning and starting statements, not writing):
-- - its statements are planned once per connection (generic plans) and can never be planned as
--   sequential scans, whatever the table's size when they were planned: migration 130 planned
--   its two lookups per call because a plan made on a small log stayed and slowed down as the log
--   grew; with sequential scans off every lookup is an index probe at any size;
-- - an item at its expected version does not look its event ids up (see below);
-- - it locks the tenant's head without writing it twice, computes positions and the hash chain
--   in memory, and writes the gathered events and their outbox rows in one statement that
--   returns them (no reading back).
-- An item that builds on one gathered before it in the same call (the same stream, or the same
-- event ids) first has those written, so its lookups see them, as when items were written one by
-- one.
--
-- The offboarding check (migration 100) becomes a statement trigger: one query per insert
-- instead of one per event row, with the same refusal (MD003) for the same rows.
CREATE FUNCTION mandant_refuse_offboarded_rows() RETURNS trigger
  LANGUAGE plpgsql SET search_path = public
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM added a JOIN offboarded_tenants o ON o.tenant_id = a.tenant_id
             WHERE a.type <> 'tenant.offboarded.v1') THEN
    RAISE EXCEPTION 'the tenant is offboarded' USING ERRCODE = 'MD003';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_refuse_offboarded_rows AFTER INSERT ON events
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION mandant_refuse_offboarded_rows();
DROP TRIGGER events_refuse_offboarded ON events;

CREATE OR REPLACE FUNCTION mandant_append(p_tenant uuid, p_items jsonb)
  RETURNS TABLE (item integer, error text, detail text, tenant_id uuid, tenant_seq bigint, id uuid, type text,
                 project_id uuid, stream text, version integer, occurred_at timestamptz, actor text,
                 correlation_id text, causation_id text, traceparent text, data jsonb, prev_hash text, hash text)
  LANGUAGE plpgsql SECURITY INVOKER
  SET search_path = public SET plan_cache_mode = force_generic_plan SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_start bigint;
  v_hash text;
  v_version integer;
  v_known integer;
  v_ids uuid[];
  v_content text[];
  v_content_hash text;
  v_items integer := jsonb_array_length(p_items);
  v_next integer := 0;
  v_stream text;
  v_events jsonb;
  it jsonb;
  -- what the next write stores: its items (one element each), the hash chain of their events
  -- (one element per event, in position order from w_seq + 1), and the hash before them
  w_seq bigint;
  w_prev text;
  w_item integer[] := '{}';
  w_events jsonb[] := '{}';
  w_stream text[] := '{}';
  w_version integer[] := '{}';
  w_actor text[] := '{}';
  w_correlation text[] := '{}';
  w_causation text[] := '{}';
  w_trace text[] := '{}';
  w_hash text[] := '{}';
  w_ids uuid[] := '{}';
BEGIN
  v_stream := set_config('mandant.tenant_id', p_tenant::text, true);
  SELECT h.last_seq, h.last_hash INTO v_seq, v_hash FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    INSERT INTO tenant_heads AS h (tenant_id, last_seq, last_hash) VALUES (p_tenant, 0, repeat('0', 64))
      ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = h.tenant_id
      RETURNING h.last_seq, h.last_hash INTO v_seq, v_hash;
  END IF;
  v_start := v_seq;

  LOOP
    w_seq := v_seq;
    w_prev := v_hash;
    -- gather items until one builds on what is gathered, or none is left
    WHILE v_next < v_items LOOP
      it := p_items -> v_next;
      v_stream := it ->> 'stream';
      v_events := it -> 'events';
      IF jsonb_array_length(v_events) = 1 THEN
        -- most appends carry one event: no statement to read it
        v_ids := ARRAY[(v_events -> 0 ->> 'id')::uuid];
        v_content := ARRAY[v_events -> 0 ->> 'content_hash'];
      ELSE
        SELECT coalesce(array_agg((x ->> 'id')::uuid ORDER BY o), '{}'), coalesce(array_agg(x ->> 'content_hash' ORDER BY o), '{}')
          INTO v_ids, v_content FROM jsonb_array_elements(v_events) WITH ORDINALITY AS t(x, o);
      END IF;
      EXIT WHEN v_stream = ANY(w_stream) OR v_ids && w_ids;
      v_next := v_next + 1;

      v_version := NULL;
      SELECT e.version INTO v_version FROM events e WHERE e.tenant_id = p_tenant AND e.stream = v_stream
        ORDER BY e.version DESC LIMIT 1;
      v_version := coalesce(v_version, 0);
      IF (it ->> 'expected')::integer < 0 OR (it ->> 'expected')::integer <> v_version THEN
        -- An item at its expected version cannot have been stored before (its stream would have
        -- moved on), so only the others ask which of their event ids are stored: a retry of an
        -- append that was stored returns it, a half-stored one is refused (MD002). An id stored on
        -- another stream is refused by the log's unique index, as a repeated id is.
        -- Planned for each call's own values (dynamic SQL), unlike the rest: a plan made once on
        -- a small log probes the tenant's events by another index and filters them by id, which
        -- slows down as the log grows (see migration 130). The version lookup above needs no
        -- such care: its order makes the (tenant_id, stream, version) index the cheapest at any size.
        EXECUTE 'SELECT count(*)::integer FROM events e WHERE e.tenant_id = $1 AND e.id = ANY($2)' INTO v_known USING p_tenant, v_ids;
        IF v_known > 0 AND v_known <> cardinality(v_ids) THEN
          item := v_next; error := 'MD002'; detail := NULL;
          RETURN NEXT;
          CONTINUE;
        ELSIF v_known > 0 THEN
          RETURN QUERY EXECUTE 'SELECT $3, NULL::text, NULL::text, e.tenant_id, e.tenant_seq, e.id, e.type, e.project_id, e.stream, e.version, e.occurred_at, e.actor, e.correlation_id, e.causation_id, e.traceparent, e.data, e.prev_hash, e.hash
            FROM events e WHERE e.tenant_id = $1 AND e.id = ANY($2) ORDER BY e.tenant_seq' USING p_tenant, v_ids, v_next;
          CONTINUE;
        ELSIF (it ->> 'expected')::integer >= 0 THEN
          item := v_next; error := 'MD001'; detail := v_version::text;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;

      w_item := w_item || v_next;
      w_events := w_events || v_events;
      w_stream := w_stream || v_stream;
      w_version := w_version || v_version;
      w_actor := w_actor || (it ->> 'actor');
      w_correlation := w_correlation || (it ->> 'correlation_id');
      w_causation := w_causation || (it ->> 'causation_id');
      w_trace := w_trace || (it ->> 'traceparent');
      w_ids := w_ids || v_ids;
      FOREACH v_content_hash IN ARRAY v_content LOOP
        v_seq := v_seq + 1;
        v_version := v_version + 1;
        v_hash := encode(sha256(convert_to(v_hash || ':' || v_seq || ':' || v_version || ':' || v_content_hash, 'UTF8')), 'hex');
        w_hash := w_hash || v_hash;
      END LOOP;
    END LOOP;

    IF v_seq > w_seq THEN
      -- the gathered events and their outbox rows, in one statement that returns what it stored
      RETURN QUERY
      WITH items AS (
        SELECT * FROM unnest(w_item, w_events, w_stream, w_version, w_actor, w_correlation, w_causation, w_trace)
          AS i(item, events, stream, version, actor, correlation_id, causation_id, traceparent)
      ), chain AS (
        SELECT w_seq + c.n AS seq, c.hash, CASE WHEN c.n = 1 THEN w_prev ELSE w_hash[c.n - 1] END AS prev_hash
        FROM unnest(w_hash) WITH ORDINALITY AS c(hash, n)
      ), g AS (
        -- the items' events in position order: items in turn, each item's events in turn
        SELECT i.item, w_seq + row_number() OVER (ORDER BY i.item, x.o) AS seq, i.version + x.o::integer AS version,
               x.ev, i.stream, i.actor, i.correlation_id, i.causation_id, i.traceparent
        FROM items i CROSS JOIN LATERAL jsonb_array_elements(i.events) WITH ORDINALITY AS x(ev, o)
      ), written AS (
        INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                                 correlation_id, causation_id, traceparent, data, prev_hash, hash)
        SELECT p_tenant, g.seq, (g.ev ->> 'id')::uuid, g.ev ->> 'type', (g.ev ->> 'project_id')::uuid, g.stream, g.version,
               (g.ev ->> 'occurred_at')::timestamptz, g.actor, g.correlation_id, g.causation_id, g.traceparent, g.ev -> 'data',
               c.prev_hash, c.hash
        FROM g JOIN chain c ON c.seq = g.seq ORDER BY g.seq
        RETURNING e.*
      ), outboxed AS (
        INSERT INTO outbox (tenant_id, tenant_seq, event_id, subject)
        SELECT p_tenant, g.seq, (g.ev ->> 'id')::uuid,
               'events.' || p_tenant || '.' || coalesce(g.ev ->> 'project_id', '_') || '.' || (g.ev ->> 'type')
        FROM g
      )
      SELECT g.item, NULL::text, NULL::text, w.tenant_id, w.tenant_seq, w.id, w.type, w.project_id, w.stream, w.version,
             w.occurred_at, w.actor, w.correlation_id, w.causation_id, w.traceparent, w.data, w.prev_hash, w.hash
      FROM written w JOIN g ON g.seq = w.tenant_seq ORDER BY w.tenant_seq;
      w_item := '{}'; w_events := '{}'; w_stream := '{}'; w_version := '{}'; w_actor := '{}';
      w_correlation := '{}'; w_causation := '{}'; w_trace := '{}'; w_hash := '{}'; w_ids := '{}';
    END IF;
    EXIT WHEN v_next >= v_items;
  END LOOP;

  IF v_seq > v_start THEN
    UPDATE tenant_heads AS h SET last_seq = v_seq, last_hash = v_hash WHERE h.tenant_id = p_tenant;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION mandant_append(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_append(uuid, jsonb) TO mandant_app;

-- Down Migration
CREATE TRIGGER events_refuse_offboarded BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION mandant_refuse_offboarded();
DROP TRIGGER IF EXISTS events_refuse_offboarded_rows ON events;
DROP FUNCTION IF EXISTS mandant_refuse_offboarded_rows();
-- mandant_append as migration 130 left it
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
