-- SPEC §9–§10: the `sub` of a user's last SSO login (back-channel logout names users by it), and the
-- groups claim of their last login as a JSON array text (the mapping preview and apply_now plan from it).
ALTER TABLE users ADD COLUMN sso_subject TEXT;
ALTER TABLE users ADD COLUMN jwt_groups TEXT;
