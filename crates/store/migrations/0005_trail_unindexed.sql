-- rolecall schema, version 5: on SQLite the trail's writer may keep an event's `trail_keys`
-- rows in memory for a moment (at most 200 ms) and write them with a later commit, merged
-- with those of the events around it: a commit then no longer rewrites a leaf of
-- `trail_keys_by_key` for each lookup key. While rows are held, this table's one row names
-- the smallest id among the events committed without them; after a crash the writer indexes
-- every event from that id on before it takes a new one. Empty when every event is indexed.

CREATE TABLE trail_unindexed (
    id INTEGER NOT NULL PRIMARY KEY,
    first_id TEXT NOT NULL
);
