-- SPEC §12 (wave 3): a SCIM `userName` that is not an email address is kept as given (the user's
-- email then comes from `emails`); NULL when the userName is the email. Unique regardless of case,
-- as SCIM's `userName` is ("caseExact": false).
ALTER TABLE users ADD COLUMN scim_user_name TEXT;
CREATE UNIQUE INDEX users_by_scim_user_name ON users (LOWER(scim_user_name));
