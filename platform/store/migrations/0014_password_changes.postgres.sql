-- When an account's password last changed: sessions begun before it end.
ALTER TABLE user_account ADD COLUMN password_changed_at TIMESTAMPTZ;
