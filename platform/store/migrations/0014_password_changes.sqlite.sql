-- See 0014_password_changes.postgres.sql.
ALTER TABLE user_account ADD COLUMN password_changed_at TEXT;
