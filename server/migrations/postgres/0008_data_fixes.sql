-- Data fixes that SQL alone cannot express (they rewrite JSON): each row names one that is still to
-- run; `Store::migrate` runs it after the schema migrations and deletes its row in the same step.
CREATE TABLE pending_data_fixes (name TEXT PRIMARY KEY);
-- Issue 22: earlier versions wrote key-ring secrets into `settings_changed` details.
INSERT INTO pending_data_fixes (name) VALUES ('scrub_audit_secrets');
