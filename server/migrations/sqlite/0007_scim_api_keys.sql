-- SPEC §12: SCIM provisioning and API keys.
-- The IdP's id for users and groups, and when each was created and last changed (SCIM's `meta`).
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN updated_at BIGINT;
ALTER TABLE user_groups ADD COLUMN external_id TEXT;
ALTER TABLE user_groups ADD COLUMN created_at BIGINT;
ALTER TABLE user_groups ADD COLUMN updated_at BIGINT;
-- Who acted besides a person: "scim", or "api_key:<name>".
ALTER TABLE audit_log ADD COLUMN source TEXT;
CREATE INDEX audit_log_by_source ON audit_log (source, at);

-- API keys: only the SHA-256 of the key is stored; `prefix` is the key's first characters, to tell
-- keys apart. A key acts as an administrator or as a member of `group_ids` (a JSON array).
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    key_hash     TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    is_admin     BIGINT  NOT NULL,
    group_ids    TEXT    NOT NULL DEFAULT '[]',
    created_by   TEXT,
    created_at   BIGINT  NOT NULL,
    rotated_at   BIGINT,
    last_used_at BIGINT
);

-- The overview counts sign-ins over time (`GET /api/audit/summary`).
CREATE INDEX audit_log_by_at ON audit_log (at);
