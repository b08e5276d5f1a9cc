-- The session a used token created, so the same browser presenting it again (Refresh, Back)
-- is answered as the first use was (SPEC §2.2).
ALTER TABLE replay_cache ADD COLUMN session_hash TEXT;
