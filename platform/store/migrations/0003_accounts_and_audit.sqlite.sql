-- See 0003_accounts_and_audit.postgres.sql.
CREATE TABLE user_account (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER REFERENCES tenant (id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL,
    CONSTRAINT platform_roles_have_no_tenant
        CHECK ((role IN ('platform_admin', 'ministry_overseer')) = (tenant_id IS NULL))
);
CREATE INDEX user_account_by_tenant ON user_account (tenant_id);

CREATE TABLE audit_entry (
    tenant_id   INTEGER NOT NULL REFERENCES tenant (id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;

-- SQLite has no roles; the embedded default still refuses to rewrite history.
CREATE TRIGGER audit_entry_is_append_only_update BEFORE UPDATE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_entry_is_append_only_delete BEFORE DELETE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
