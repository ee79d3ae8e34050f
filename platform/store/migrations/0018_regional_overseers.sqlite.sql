-- See 0018_regional_overseers.postgres.sql. SQLite cannot change a CHECK
-- constraint, so the table is built again with the same columns and rows.
CREATE TABLE user_account_with_region (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id           INTEGER REFERENCES tenant (id),
    email               TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    disabled_at         TEXT,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT,
    language            TEXT NOT NULL DEFAULT 'el' CHECK (language IN ('el', 'en')),
    sessions_ended_at   TEXT,
    last_login_at       TEXT,
    region              TEXT,
    CONSTRAINT platform_roles_have_no_tenant
        CHECK ((role IN ('platform_admin', 'ministry_overseer', 'regional_overseer')) = (tenant_id IS NULL)),
    CONSTRAINT regional_overseers_have_a_region
        CHECK ((role = 'regional_overseer') = (region IS NOT NULL))
);
INSERT INTO user_account_with_region (id, tenant_id, email, display_name, role, password_hash,
        disabled_at, created_at, password_changed_at, language, sessions_ended_at, last_login_at)
    SELECT id, tenant_id, email, display_name, role, password_hash,
        disabled_at, created_at, password_changed_at, language, sessions_ended_at, last_login_at
    FROM user_account;
DROP TABLE user_account;
ALTER TABLE user_account_with_region RENAME TO user_account;
CREATE INDEX user_account_by_tenant ON user_account (tenant_id);
