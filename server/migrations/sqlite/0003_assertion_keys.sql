-- lanyard's own Ed25519 keys for the X-Lanyard-Assertion of forward auth (SPEC §13). The newest
-- unretired key signs; retired keys stay published at /.well-known/jwks.json for 10 minutes.
CREATE TABLE assertion_keys (
    kid        TEXT   PRIMARY KEY,
    seed       TEXT   NOT NULL,
    public_key TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
