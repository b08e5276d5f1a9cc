-- SPEC §3: failed-login counters shared by replicas on PostgreSQL (a SQLite file has one server, which
-- counts in memory; the table exists there too so both schemas stay alike). One row per attempt and
-- key ("account:…", "ip:…"), counted from the moment the attempt starts.
CREATE TABLE login_attempts (
    attempt_key TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    attempt     TEXT   NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (attempt_key, at);
