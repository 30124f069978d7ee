-- rolecall schema, version 6: the key index holds every column a lookup orders its key rows
-- by (newest, first id, last id, the total order that keeps paging exact), so that reading a
-- key's newest rows is a walk down the index that stops after one batch. With `last_id`
-- outside the index, PostgreSQL's generic plan (a lookup's statement prepared once, run many
-- times) sorted every row of the key in the time window for each batch: about 60 ms for the
-- trail's every-event key at a million events. The old index is dropped first: that takes
-- the table's exclusive lock at once, so a second process migrating at the same moment waits
-- for this one and then finds the migration applied (both building the index first, each
-- holding a share lock, deadlocked).

DROP INDEX trail_keys_by_key;
CREATE INDEX trail_keys_by_key_order ON trail_keys (account_id, lookup_key, newest, first_id, last_id);
