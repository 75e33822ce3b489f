-- Up Migration
-- mandant_append_v4: what the store calls, from this version on, for a call of one item at its
-- expected version; every other call it sends to mandant_append_v3 (migrations 260 and 280) as
-- before. Same arguments, rows and outcomes as v3, for any call: v4 hands to v3 what it does not
-- write itself. v3 stays, for those calls and for the version before during a rolling update.
--
-- Most calls carry one item: an append that was not gathered with others, one event or a batch of
-- them. Such an item at its expected version is written here in one statement: its events are read
-- once, straight from the argument, and their hashes chained in one loop. v3 gathers every item into
-- a dozen arrays first (one assignment per field and item), reads the item's ids and content hashes
-- into arrays with a statement of their own, and finds each event's hash in an array by its place
-- (the text array is walked from its start each time): about a third of its server time for a batch
-- of 50 (bench/RESULTS.md, Append, 6 Dec). Anything else, several items in one call (a group commit),
-- an item at any version, or one whose version does not match (a conflict or a retry), goes to v3 as
-- it came, and v3's rows are returned: v3 locks the head again (already held by this transaction)
-- and looks the version up again.
CREATE FUNCTION mandant_append_v4(p_tenant uuid, p_items jsonb)
  RETURNS TABLE (item integer, error text, detail text, tenant_id uuid, tenant_seq bigint, id uuid, type text,
                 project_id uuid, stream text, version integer, occurred_at timestamptz, actor text,
                 correlation_id text, causation_id text, traceparent text, data jsonb, prev_hash text, hash text)
  LANGUAGE plpgsql SECURITY INVOKER
  SET search_path = public SET plan_cache_mode = force_generic_plan SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  it jsonb;
  v_events jsonb;
  v_n integer;
  v_stream text;
  v_version integer;
  v_seq bigint;
  v_hash text;
  v_actor text;
  v_correlation text;
  v_causation text;
  v_trace text;
  v_prevs text[] := '{}';
  v_hashes text[] := '{}';
  k integer;
BEGIN
  it := p_items -> 0;
  IF jsonb_array_length(p_items) <> 1 OR (it ->> 'expected')::integer < 0 THEN
    RETURN QUERY SELECT * FROM mandant_append_v3(p_tenant, p_items);
    RETURN;
  END IF;
  -- the tenant, for row-level security (an assignment: no statement of its own)
  v_stream := set_config('mandant.tenant_id', p_tenant::text, true);
  v_events := it -> 'events';
  v_n := jsonb_array_length(v_events);
  v_stream := it ->> 'stream';

  SELECT h.last_seq, h.last_hash INTO v_seq, v_hash FROM tenant_heads h WHERE h.tenant_id = p_tenant FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    INSERT INTO tenant_heads AS h (tenant_id, last_seq, last_hash) VALUES (p_tenant, 0, repeat('0', 64))
      ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = h.tenant_id
      RETURNING h.last_seq, h.last_hash INTO v_seq, v_hash;
  END IF;
  SELECT e.version INTO v_version FROM events e WHERE e.tenant_id = p_tenant AND e.stream = v_stream
    ORDER BY e.version DESC LIMIT 1;
  v_version := coalesce(v_version, 0);
  IF v_n = 0 OR (it ->> 'expected')::integer <> v_version THEN
    RETURN QUERY SELECT * FROM mandant_append_v3(p_tenant, p_items);
    RETURN;
  END IF;

  IF v_n = 1 THEN
    -- one event (a lone append, the most common call): a plain insert, which starts in a fraction
    -- of the time of the set-based statement below
    v_events := v_events -> 0;
    v_prevs := ARRAY[v_hash];
    v_hash := encode(sha256(convert_to(v_hash || ':' || (v_seq + 1) || ':' || (v_version + 1) || ':' || (v_events ->> 'content_hash'), 'UTF8')), 'hex');
    RETURN QUERY
    INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                             correlation_id, causation_id, traceparent, data, prev_hash, hash)
    VALUES (p_tenant, v_seq + 1, (v_events ->> 'id')::uuid, v_events ->> 'type', (v_events ->> 'project_id')::uuid, v_stream,
            v_version + 1, (v_events ->> 'occurred_at')::timestamptz, it ->> 'actor', it ->> 'correlation_id',
            it ->> 'causation_id', it ->> 'traceparent', v_events -> 'data', v_prevs[1], v_hash)
    RETURNING 1, NULL::text, NULL::text, NULL::uuid, e.tenant_seq, e.id, NULL::text, NULL::uuid, NULL::text, e.version,
              NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, e.prev_hash, e.hash;
  ELSE
    -- the chain: each event's hash builds on the one before, from the head's
    v_actor := it ->> 'actor';
    v_correlation := it ->> 'correlation_id';
    v_causation := it ->> 'causation_id';
    v_trace := it ->> 'traceparent';
    FOR k IN 0 .. v_n - 1 LOOP
      v_prevs := v_prevs || v_hash;
      v_hash := encode(sha256(convert_to(v_hash || ':' || (v_seq + k + 1) || ':' || (v_version + k + 1) || ':' || (v_events -> k ->> 'content_hash'), 'UTF8')), 'hex');
      v_hashes := v_hashes || v_hash;
    END LOOP;
    -- the events beside their hashes, taken together in order (ROWS FROM zips them row by row)
    RETURN QUERY
    WITH written AS (
      INSERT INTO events AS e (tenant_id, tenant_seq, id, type, project_id, stream, version, occurred_at, actor,
                               correlation_id, causation_id, traceparent, data, prev_hash, hash)
      SELECT p_tenant, v_seq + x.o, (x.ev ->> 'id')::uuid, x.ev ->> 'type', (x.ev ->> 'project_id')::uuid, v_stream,
             v_version + x.o::integer, (x.ev ->> 'occurred_at')::timestamptz, v_actor, v_correlation, v_causation, v_trace,
             x.ev -> 'data', x.prev, x.hash
      FROM ROWS FROM (jsonb_array_elements(v_events), unnest(v_prevs), unnest(v_hashes)) WITH ORDINALITY AS x(ev, prev, hash, o)
      RETURNING e.tenant_seq, e.id, e.version, e.prev_hash, e.hash
    )
    SELECT 1, NULL::text, NULL::text, NULL::uuid, w.tenant_seq, w.id, NULL::text, NULL::uuid, NULL::text, w.version,
           NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, w.prev_hash, w.hash
    FROM written w ORDER BY w.tenant_seq;
  END IF;
  UPDATE tenant_heads AS h SET last_seq = v_seq + v_n, last_hash = v_hash WHERE h.tenant_id = p_tenant;
  -- what this call wrote is one run of positions: one outbox row says so
  INSERT INTO outbox_ranges (tenant_id, first_seq, last_seq) VALUES (p_tenant, v_seq + 1, v_seq + v_n);
END
$$;
REVOKE ALL ON FUNCTION mandant_append_v4(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mandant_append_v4(uuid, jsonb) TO mandant_app;

-- Down Migration
DROP FUNCTION IF EXISTS mandant_append_v4(uuid, jsonb);
