-- See 0015_workspace.postgres.sql.
ALTER TABLE referral_suggestion ADD COLUMN dismissed_at TEXT;
ALTER TABLE referral_suggestion ADD COLUMN dismissed_by INTEGER;
ALTER TABLE referral_suggestion ADD COLUMN dismissed_reason TEXT;
ALTER TABLE user_account ADD COLUMN language TEXT NOT NULL DEFAULT 'el'
    CHECK (language IN ('el', 'en'));
