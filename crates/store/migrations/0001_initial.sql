-- rolecall schema, version 1. Portable SQL: the same text runs on SQLite and PostgreSQL.
-- Times are epoch seconds (BIGINT); names are unique per account case-insensitively, so each
-- entity table keys on the lower-cased name and keeps the name as given for display.

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    alias TEXT UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE server_keys (
    key_id BIGINT PRIMARY KEY,
    wrapped_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    account_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    boundary_arn TEXT,
    PRIMARY KEY (account_id, name_lower)
);

CREATE TABLE groups_ (
    account_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    boundary_arn TEXT,
    PRIMARY KEY (account_id, name_lower)
);

CREATE TABLE roles (
    account_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    boundary_arn TEXT,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (account_id, name_lower)
);

CREATE TABLE instance_profiles (
    account_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    boundary_arn TEXT,
    PRIMARY KEY (account_id, name_lower)
);

CREATE TABLE instance_profile_roles (
    account_id TEXT NOT NULL,
    profile_lower TEXT NOT NULL,
    role_lower TEXT NOT NULL,
    PRIMARY KEY (account_id, profile_lower, role_lower)
);

CREATE TABLE group_members (
    account_id TEXT NOT NULL,
    group_lower TEXT NOT NULL,
    user_lower TEXT NOT NULL,
    PRIMARY KEY (account_id, group_lower, user_lower)
);
CREATE INDEX group_members_by_user ON group_members (account_id, user_lower);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_lower TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    last_used_service TEXT,
    last_used_region TEXT
);
CREATE INDEX access_keys_by_user ON access_keys (account_id, user_lower);

CREATE TABLE inline_policies (
    account_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (account_id, owner_kind, owner_lower, name)
);

CREATE TABLE managed_policies (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    path TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    default_version TEXT NOT NULL,
    next_version BIGINT NOT NULL,
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX managed_policies_by_name ON managed_policies (account_id, name_lower);

CREATE TABLE policy_versions (
    policy_arn TEXT NOT NULL,
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_arn, version_id)
);

CREATE TABLE attachments (
    account_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_lower TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (account_id, owner_kind, owner_lower, policy_arn)
);
CREATE INDEX attachments_by_policy ON attachments (policy_arn);

CREATE TABLE tags (
    account_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    key_lower TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (account_id, owner_kind, owner_key, key_lower)
);

CREATE TABLE mfa_devices (
    serial TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    seed_sealed TEXT NOT NULL,
    user_lower TEXT,
    enabled_at BIGINT,
    created_at BIGINT NOT NULL,
    last_step BIGINT
);
CREATE INDEX mfa_devices_by_user ON mfa_devices (account_id, user_lower);
