-- SPEC §11: when each session was last used, from where and with what browser (written at most once a
-- minute per session), for "Your sessions" and the idle timeout.
ALTER TABLE sessions ADD COLUMN last_seen BIGINT;
ALTER TABLE sessions ADD COLUMN client_ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
