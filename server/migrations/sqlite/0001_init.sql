-- lanyard's schema, SQLite flavour. Booleans are 0/1 integers and times are Unix seconds, so the same
-- queries run on SQLite and PostgreSQL through sqlx's Any driver.
CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL UNIQUE,
    first_name       TEXT,
    last_name        TEXT,
    password_hash    TEXT,
    is_active        BIGINT  NOT NULL DEFAULT 1,
    sso_source       TEXT,
    login_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at       BIGINT  NOT NULL,
    last_login       BIGINT
);

CREATE TABLE user_groups (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT   NOT NULL UNIQUE,
    builtin BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE memberships (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX memberships_by_group ON memberships (group_id);

CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE settings (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    document TEXT   NOT NULL,
    version  BIGINT NOT NULL
);

CREATE TABLE replay_cache (
    replay_key TEXT   PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_cache_by_expiry ON replay_cache (expires_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    event       TEXT   NOT NULL,
    actor_email TEXT,
    ip          TEXT,
    details     TEXT   NOT NULL DEFAULT '{}'
);

INSERT INTO user_groups (id, name, builtin) VALUES (1, 'All Users', 1), (2, 'Administrators', 1);
INSERT INTO settings (id, document, version) VALUES (1, '{}', 1);
