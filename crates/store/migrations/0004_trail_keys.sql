-- rolecall schema, version 4: the audit trail laid out for writing at the rate calls are
-- answered. Version 2 kept nine indexes beside every event (one per lookup attribute, the
-- resources table and its own), so one event cost about thirteen B-tree insertions and a
-- commit rewrote a page of each; recording cut the server's throughput by four fifths.
--
-- Now an event is one row keyed by its id (`trail_events`: the columns lookups filter on
-- and the record) and lookups go through `trail_keys`: one row per commit,
-- account and lookup key (`*` for every event, `Username:alice`, `EventName:AssumeRole`,
-- `ResourceName:arn:…`, …) and minute, holding the range of event ids the commit wrote with
-- that key and their oldest and newest `event_time`. Event ids are time-ordered UUIDs, so a
-- commit's ids form a narrow range of the primary key. A lookup reads the key's rows newest
-- first, scans each range for the events that match, and stops once no older range can hold
-- a newer event. A row never spans more than a minute (`newest - oldest < 60`), so the key
-- rows a time range needs are one index range.

CREATE TABLE trail_events (
    event_id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    event_name TEXT NOT NULL,
    event_source TEXT NOT NULL,
    read_only BIGINT NOT NULL,
    username TEXT,
    access_key_id TEXT,
    resources TEXT NOT NULL,
    record TEXT NOT NULL
);

CREATE TABLE trail_keys (
    account_id TEXT NOT NULL,
    lookup_key TEXT NOT NULL,
    newest BIGINT NOT NULL,
    oldest BIGINT NOT NULL,
    first_id TEXT NOT NULL,
    last_id TEXT NOT NULL
);
CREATE INDEX trail_keys_by_key ON trail_keys (account_id, lookup_key, newest, first_id);
-- Pruning finds the oldest key rows of every account and key.
CREATE INDEX trail_keys_by_age ON trail_keys (oldest);

-- The events of version 2, each with key rows of its own.
INSERT INTO trail_events (event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources, record)
    SELECT event_id, account_id, event_time, event_name, event_source, read_only, username, access_key_id, resources, record FROM events;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, '*', event_time, event_time, event_id, event_id FROM events;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, 'EventName:' || event_name, event_time, event_time, event_id, event_id FROM events;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, 'EventSource:' || event_source, event_time, event_time, event_id, event_id FROM events;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, CASE WHEN read_only <> 0 THEN 'ReadOnly:true' ELSE 'ReadOnly:false' END, event_time, event_time, event_id, event_id FROM events;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, 'Username:' || username, event_time, event_time, event_id, event_id FROM events WHERE username IS NOT NULL;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT account_id, 'AccessKeyId:' || access_key_id, event_time, event_time, event_id, event_id FROM events WHERE access_key_id IS NOT NULL;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT DISTINCT account_id, 'ResourceType:' || resource_type, event_time, event_time, event_id, event_id FROM event_resources;
INSERT INTO trail_keys (account_id, lookup_key, newest, oldest, first_id, last_id)
    SELECT DISTINCT account_id, 'ResourceName:' || resource_name, event_time, event_time, event_id, event_id FROM event_resources;

DROP TABLE event_resources;
DROP TABLE events;
