-- See 0016_invitations.postgres.sql.
CREATE TABLE invitation (
    tenant_id    INTEGER NOT NULL REFERENCES tenant (id),
    id           INTEGER NOT NULL,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    account_id   INTEGER,
    revoked_at   TEXT,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX invitation_by_email ON invitation (tenant_id, email);

ALTER TABLE user_account ADD COLUMN sessions_ended_at TEXT;

-- When the account last logged in, for the coordinator's list of staff.
ALTER TABLE user_account ADD COLUMN last_login_at TEXT;

-- Each suspension of a municipality (its staff cannot log in; its data is
-- kept), with its reason and when it was lifted. A platform table: a login
-- reads it before any tenant is known, and only the platform admin writes it.
CREATE TABLE tenant_suspension (
    id            INTEGER NOT NULL PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant (id),
    suspended_at  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    suspended_by  INTEGER,
    lifted_at     TEXT
);
CREATE INDEX tenant_suspension_current ON tenant_suspension (tenant_id, lifted_at);
