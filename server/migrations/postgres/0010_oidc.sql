-- SPEC §14 (wave 3): OpenID Connect sign-in.
-- An authorization request in flight: one use, 10 minutes, bound to the browser that started it by
-- the hash of its `lanyard_oidc` cookie. Stored, not kept in memory, so the callback may reach
-- another replica than the start.
CREATE TABLE oidc_requests (
    state_hash   TEXT   PRIMARY KEY,
    browser_hash TEXT   NOT NULL,
    provider     TEXT   NOT NULL,
    nonce        TEXT   NOT NULL,
    verifier     TEXT   NOT NULL,
    return_to    TEXT   NOT NULL,
    -- An admin's Test sign-in: the callback reports and signs nobody in.
    dry_run      BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL
);

-- Who an ID token is: (issuer, sub) → the account it is linked to.
CREATE TABLE user_identities (
    issuer      TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT   NOT NULL,
    linked_at   BIGINT NOT NULL,
    last_login  BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);

-- A session signed in through a provider: for RP-initiated logout (the ID token as the hint) and
-- back-channel logout (by `sid` or `sub`).
CREATE TABLE oidc_sessions (
    token_hash TEXT PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    sid        TEXT,
    id_token   TEXT NOT NULL
);
CREATE INDEX oidc_sessions_by_subject ON oidc_sessions (provider, subject);
CREATE INDEX oidc_sessions_by_sid ON oidc_sessions (provider, sid);
