-- Up Migration
-- Revisions for the embedded vector index's in-process cache (shared/src/stores/vectors/cache.ts).
-- Every write to a collection takes the collection row's lock, bumps `revision` and stamps the
-- rows it writes (`rev`) and the ids it deletes (a tombstone) with the new value. Writers of one
-- collection are therefore ordered by that lock, so a committed revision R means every write
-- stamped <= R is committed too: a cache at revision S catches up by reading the rows and
-- tombstones stamped > S, instead of reloading the collection.

ALTER TABLE vector_collections
  ADD COLUMN revision bigint NOT NULL DEFAULT 0,
  -- tombstones stamped at or below this were pruned: a cache older than it must reload
  ADD COLUMN tombstones_from bigint NOT NULL DEFAULT 0;

ALTER TABLE vector_points ADD COLUMN rev bigint NOT NULL DEFAULT 0;
CREATE INDEX vector_points_by_rev ON vector_points (tenant_id, model, dimension, rev);

CREATE TABLE vector_tombstones (
  tenant_id uuid    NOT NULL,
  model     text    NOT NULL,
  dimension integer NOT NULL,
  id        uuid    NOT NULL,
  rev       bigint  NOT NULL,
  PRIMARY KEY (tenant_id, model, dimension, id),
  FOREIGN KEY (tenant_id, model, dimension) REFERENCES vector_collections ON DELETE CASCADE
);
CREATE INDEX vector_tombstones_by_rev ON vector_tombstones (tenant_id, model, dimension, rev);

SELECT mandant_isolate_tenant_table('vector_tombstones');

-- Down Migration
DROP TABLE IF EXISTS vector_tombstones;
DROP INDEX IF EXISTS vector_points_by_rev;
ALTER TABLE vector_points DROP COLUMN IF EXISTS rev;
ALTER TABLE vector_collections DROP COLUMN IF EXISTS revision, DROP COLUMN IF EXISTS tombstones_from;
