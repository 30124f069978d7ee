-- rolecall schema, version 7: on SQLite the trail's writer stores the events of a commit
-- together, as chunks of at most 64 events, one row each, instead of a row per event: a row
-- per event made a commit of forty events eighty B-tree insertions, most of what recording
-- cost the server. A chunk holds the events of ids `first_id` to `last_id`, packed (see the
-- store's `events::chunk`); chunks never overlap, so those that may hold a range of ids are
-- found through `last_id`. `oldest` and `newest` bound its events' times (pruning goes by
-- `oldest`), `events` counts them. Rows written before stay in `trail_events`, which also
-- takes the rare event whose id is below a chunk already stored, and every event on
-- PostgreSQL (where this table stays empty).

CREATE TABLE trail_chunks (
    last_id TEXT NOT NULL PRIMARY KEY,
    first_id TEXT NOT NULL,
    oldest BIGINT NOT NULL,
    newest BIGINT NOT NULL,
    events BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX trail_chunks_by_age ON trail_chunks (oldest);
