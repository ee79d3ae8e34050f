-- A plugin's suggestion dismissed by a case worker, with the reason; and
-- each account's language in the workspace.
ALTER TABLE referral_suggestion
    ADD COLUMN dismissed_at     TIMESTAMPTZ,
    ADD COLUMN dismissed_by     BIGINT,
    ADD COLUMN dismissed_reason TEXT;
ALTER TABLE user_account ADD COLUMN language TEXT NOT NULL DEFAULT 'el'
    CHECK (language IN ('el', 'en'));
