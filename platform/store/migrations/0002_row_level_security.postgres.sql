-- Wall 2 of tenant isolation: PostgreSQL itself refuses rows of another tenant.
--
-- The server logs in as a member of kentro_app: never a table owner, never
-- BYPASSRLS. Each transaction that touches tenant data first runs
-- set_config('app.tenant_id', <id>, true); when it is unset the policies'
-- cast of '' to bigint fails, so a query without a tenant errors instead of
-- seeing everything. FORCE makes the policies apply to the owner too.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kentro_app') THEN
        CREATE ROLE kentro_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO kentro_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant, center, tenant_plugin TO kentro_app;
GRANT USAGE ON SEQUENCE tenant_id_seq TO kentro_app;

ALTER TABLE center ENABLE ROW LEVEL SECURITY;
ALTER TABLE center FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON center
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

ALTER TABLE tenant_plugin ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_plugin FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_plugin
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);
