-- The platform's registry of municipalities. Not tenant data: it is the list
-- of tenants itself, owned by the platform.
CREATE TABLE tenant (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name_el           TEXT NOT NULL,
    name_latin        TEXT NOT NULL,
    region            TEXT NOT NULL,
    funding_programme TEXT NOT NULL,
    manifest          JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- Tenant data: tenant_id leads every key, and references stay within a tenant.
CREATE TABLE center (
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    key       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    locality  TEXT,
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE tenant_plugin (
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    plugin_id TEXT NOT NULL,
    config    JSONB NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id)
);
