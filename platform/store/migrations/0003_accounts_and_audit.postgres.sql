-- Accounts are a platform table, not tenant data: a login must find its
-- account before any tenant is known. Platform roles belong to no tenant,
-- every other role to exactly one.
CREATE TABLE user_account (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     BIGINT REFERENCES tenant (id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT platform_roles_have_no_tenant
        CHECK ((role IN ('platform_admin', 'ministry_overseer')) = (tenant_id IS NULL))
);
CREATE INDEX user_account_by_tenant ON user_account (tenant_id);
GRANT SELECT, INSERT, UPDATE ON user_account TO kentro_app;
GRANT USAGE ON SEQUENCE user_account_id_seq TO kentro_app;

-- The audit log: append-only, hash-chained per tenant. The server may add
-- and read entries, never change or remove them.
CREATE TABLE audit_entry (
    tenant_id   BIGINT NOT NULL REFERENCES tenant (id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    BIGINT,
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
);
GRANT SELECT, INSERT ON audit_entry TO kentro_app;

ALTER TABLE audit_entry ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_entry FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_entry
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);
