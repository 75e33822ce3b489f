-- Up Migration
-- mandant_analyze_stale (migration 270) analyses with a statistics target of 10 instead of the
-- server's default (100): a sample of 3,000 rows a table instead of 30,000. What it is for is a
-- rough picture where there would be none (how many rows a tenant has, how many distinct values a
-- lookup column holds), often, while the platform runs; at the full target each pass cost about
-- a twentieth of the server's time at 1,000 events/s, mostly reading the vector store's wide rows
-- (bench/RESULTS.md, Lag, 6 Dec). A server with autovacuum on keeps its own statistics at its own
-- target; the function does nothing there.
ALTER FUNCTION mandant_analyze_stale() SET default_statistics_target = 10;

-- Down Migration
ALTER FUNCTION mandant_analyze_stale() RESET default_statistics_target;
