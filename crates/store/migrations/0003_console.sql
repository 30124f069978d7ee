-- rolecall schema, version 3: console sign-in. Sign-in tokens and console sessions are sealed
-- and self-validating; this table holds what makes them single-use and ends them early: the
-- id of every sign-in token already used and of every console session signed out, each kept
-- until the token or session would have expired anyway (`expires_at`, epoch seconds).

CREATE TABLE console_spent (
    id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_spent_by_expiry ON console_spent (expires_at);
