-- rolecall schema, version 2: the audit trail (CloudTrail-style events). Portable SQL, as in
-- version 1. Each row of `events` is one account's copy of a record (a cross-account call has
-- a copy, with its own event id, in each account); `account_id` is the recipient account.
-- The lookup columns sit beside the record so that LookupEvents by any one attribute, within
-- an account and a time range, newest first, is a range scan of one index. `resources` holds
-- the record's resources as a lookup returns them (each type and name as `<byte length>:<text>`,
-- in order), so that a page is one query.

CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
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
CREATE INDEX events_by_time ON events (account_id, event_time DESC, event_id DESC);
CREATE INDEX events_by_username ON events (account_id, username, event_time DESC, event_id DESC);
CREATE INDEX events_by_name ON events (account_id, event_name, event_time DESC, event_id DESC);
CREATE INDEX events_by_source ON events (account_id, event_source, event_time DESC, event_id DESC);
CREATE INDEX events_by_access_key ON events (account_id, access_key_id, event_time DESC, event_id DESC);
CREATE INDEX events_by_read_only ON events (account_id, read_only, event_time DESC, event_id DESC);
-- Pruning finds the oldest rows of every account.
CREATE INDEX events_by_age ON events (event_time);

-- One row per resource of a record, in the record's order (`ordinal`), with the event's account
-- and time repeated so that a lookup by resource type or name is a range scan too.
CREATE TABLE event_resources (
    event_id TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    PRIMARY KEY (event_id, ordinal)
);
CREATE INDEX event_resources_by_name ON event_resources (account_id, resource_name, event_time DESC, event_id DESC);
CREATE INDEX event_resources_by_type ON event_resources (account_id, resource_type, event_time DESC, event_id DESC);
