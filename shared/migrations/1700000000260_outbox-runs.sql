-- Up Migration
-- The outbox as runs of positions: an append call writes one row, (tenant, first, last), for the
-- events it wrote, instead of one row per event. A call's events are always one run: the tenant's
-- head stays locked from the first position the call takes to its commit, so no other call can
-- write between them. Per-event outbox rows were about a fifth of the server's time for a call
-- of 50 events (bench/RESULTS.md, Append).
--
-- Expand, then contract. The relay of this version reads both tables, in position order; the
-- outbox table stays, for appends of the version before this one (mandant_append and
-- mandant_append_v2, which still write it during a rolling update) and for relays of that version,
-- which read only it: they leave the runs to a relay of this version. A later migration drops
-- those functions and the outbox table once no running version uses them.
--
-- mandant_append_v3 is mandant_append_v2 (migration 250) with one change: one outbox run per call.
CREATE TABLE outbox_ranges (
  tenant_id uuid   NOT NULL,
  first_seq bigint NOT NULL,
  last_seq  bigint NOT NULL,
  PRIMARY KEY (tenant_id, first_seq),
  CHECK (first_seq >= 1 AND last_seq >= first_seq)
);
SELECT mandant_isolate_tenant_table('outbox_ranges');

CREATE FUNCTION mandant_append_v3(p_tenant uuid, p_items jsonb)
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
  k integer;
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
  w_start bigint[] := '{}';    -- per item: the position before its first event
  w_evitem integer[] := '{}';  -- per event, in position order: its item
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
      w_start := w_start || v_seq;
      -- the chain, two statements per event: positions and versions counted from the loop's index
      w_evitem := w_evitem || array_fill(v_next, ARRAY[cardinality(v_content)]);
      FOR k IN 1 .. cardinality(v_content) LOOP
        v_hash := encode(sha256(convert_to(v_hash || ':' || (v_seq + k) || ':' || (v_version + k) || ':' || v_content[k], 'UTF8')), 'hex');
        w_hash := w_hash || v_hash;
      END LOOP;
      v_seq := v_seq + cardinality(v_content);
      v_version := v_version + cardinality(v_content);
    END LOOP;

    IF v_seq = w_seq + 1 THEN
      -- one event (a lone append, the most common call): a plain insert, which starts in a
      -- fraction of the time of the set-based statement below
      v_events := w_events[1] -> 0;
      RETURN QUERY
      INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                               correlation_id, causation_id, traceparent, data, prev_hash, hash)
      VALUES (p_tenant, v_seq, (v_events ->> 'id')::uuid, v_events ->> 'type', (v_events ->> 'project_id')::uuid, w_stream[1],
              w_version[1] + 1, (v_events ->> 'occurred_at')::timestamptz, w_actor[1], w_correlation[1], w_causation[1], w_trace[1],
              v_events -> 'data', w_prev, v_hash)
      RETURNING w_item[1], NULL::text, NULL::text, NULL::uuid, e.tenant_seq, e.id, NULL::text, NULL::uuid, NULL::text, e.version,
                NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, e.prev_hash, e.hash;
      w_item := '{}'; w_events := '{}'; w_stream := '{}'; w_version := '{}'; w_actor := '{}';
      w_correlation := '{}'; w_causation := '{}'; w_trace := '{}'; w_hash := '{}'; w_ids := '{}'; w_start := '{}'; w_evitem := '{}';
    ELSIF v_seq > w_seq THEN
      -- the gathered events, in one statement that returns what it stored
      RETURN QUERY
      WITH g AS (
        -- the items' events: an event's position is its item's start plus its place in the item
        SELECT i.start + x.o AS seq, i.version + x.o::integer AS version,
               x.ev, i.stream, i.actor, i.correlation_id, i.causation_id, i.traceparent
        FROM unnest(w_start, w_events, w_stream, w_version, w_actor, w_correlation, w_causation, w_trace)
               AS i(start, events, stream, version, actor, correlation_id, causation_id, traceparent)
             CROSS JOIN LATERAL jsonb_array_elements(i.events) WITH ORDINALITY AS x(ev, o)
      ), written AS (
        INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                                 correlation_id, causation_id, traceparent, data, prev_hash, hash)
        SELECT p_tenant, g.seq, (g.ev ->> 'id')::uuid, g.ev ->> 'type', (g.ev ->> 'project_id')::uuid, g.stream, g.version,
               (g.ev ->> 'occurred_at')::timestamptz, g.actor, g.correlation_id, g.causation_id, g.traceparent, g.ev -> 'data',
               CASE WHEN g.seq = w_seq + 1 THEN w_prev ELSE w_hash[(g.seq - w_seq - 1)::integer] END, w_hash[(g.seq - w_seq)::integer]
        FROM g
        RETURNING e.tenant_seq, e.id, e.version, e.prev_hash, e.hash
      )
      SELECT w_evitem[(w.tenant_seq - w_seq)::integer], NULL::text, NULL::text, NULL::uuid, w.tenant_seq, w.id, NULL::text,
             NULL::uuid, NULL::text, w.version, NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text,
             NULL::jsonb, w.prev_hash, w.hash
      FROM written w ORDER BY w.tenant_seq;
      w_item := '{}'; w_events := '{}'; w_stream := '{}'; w_version := '{}'; w_actor := '{}';
      w_correlation := '{}'; w_causation := '{}'; w_trace := '{}'; w_hash := '{}'; w_ids := '{}'; w_start := '{}'; w_evitem := '{}';
    END IF;
    EXIT WHEN v_next >= v_items;
  END LOOP;

  IF v_seq > v_start THEN
    UPDATE tenant_heads AS h SET last_seq = v_seq, last_hash = v_hash WHERE h.tenant_id = p_tenant;
    -- what this call wrote is one run of positions: one outbox row says so
    INSERT INTO outbox_ranges (tenant_id, first_seq, last_seq) VALUES (p_tenant, v_start + 1, v_seq);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION mandant_append_v3(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_append_v3(uuid, jsonb) TO mandant_app;

-- Tenants with something to publish, in either form.
CREATE OR REPLACE FUNCTION mandant_outbox_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT tenant_id FROM outbox UNION SELECT tenant_id FROM outbox_ranges $$;

-- The backlog counts every position of a run.
CREATE OR REPLACE FUNCTION mandant_outbox_backlog()
  RETURNS TABLE (unrelayed bigint, oldest_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    WITH pending AS (
      SELECT o.tenant_id, o.tenant_seq AS first_seq, 1::bigint AS n FROM outbox o
      UNION ALL
      SELECT r.tenant_id, r.first_seq, r.last_seq - r.first_seq + 1 FROM outbox_ranges r
    )
    SELECT coalesce(sum(p.n), 0)::bigint, coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::double precision
    FROM pending p LEFT JOIN events e ON e.tenant_id = p.tenant_id AND e.tenant_seq = p.first_seq
  $$;

-- Down Migration
CREATE OR REPLACE FUNCTION mandant_outbox_backlog()
  RETURNS TABLE (unrelayed bigint, oldest_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT count(*), coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::double precision
    FROM outbox o LEFT JOIN events e ON e.tenant_id = o.tenant_id AND e.tenant_seq = o.tenant_seq
  $$;
CREATE OR REPLACE FUNCTION mandant_outbox_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT DISTINCT tenant_id FROM outbox $$;
DROP FUNCTION IF EXISTS mandant_append_v3(uuid, jsonb);
-- runs not yet published become rows of the older form, which the relay before this one reads
INSERT INTO outbox (tenant_id, tenant_seq, event_id, subject)
  SELECT e.tenant_id, e.tenant_seq, e.id,
         'events.' || e.tenant_id || '.' || coalesce(e.project_id::text, '_') || '.' || e.type
  FROM outbox_ranges r JOIN events e ON e.tenant_id = r.tenant_id AND e.tenant_seq BETWEEN r.first_seq AND r.last_seq
  ON CONFLICT DO NOTHING;
DROP TABLE IF EXISTS outbox_ranges;
