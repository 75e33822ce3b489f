-- Up Migration
-- The row trigger that drops an offboarded tenant's writes to the relational views looks the
-- tenant up with a statement of its own for every row written. A projector's page plans its
-- statements for their parameters (`plan_cache_mode = force_custom_plan`, see
-- `derivedStateSettings`), and the setting reaches the statements its triggers run: the lookup was
-- planned again for every row: at 1,000 events/s, 189,000 plans took 11.5 s of a 120 s run, a
-- twentieth of the time the server spent in statements (bench/RESULTS.md, Lag, 6 Dec). The lookup
-- probes the primary key of a small table whatever the tenant: its plan is now made once per
-- connection and kept.
ALTER FUNCTION mandant_drop_offboarded_rows() SET plan_cache_mode = force_generic_plan;

-- Down Migration
ALTER FUNCTION mandant_drop_offboarded_rows() RESET plan_cache_mode;
