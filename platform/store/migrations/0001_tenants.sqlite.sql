-- See 0001_tenants.postgres.sql; same tables in SQLite's types.
CREATE TABLE tenant (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    slug              TEXT NOT NULL UNIQUE,
    name_el           TEXT NOT NULL,
    name_latin        TEXT NOT NULL,
    region            TEXT NOT NULL,
    funding_programme TEXT NOT NULL,
    manifest          TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE center (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    key       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    locality  TEXT,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE tenant_plugin (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    plugin_id TEXT NOT NULL,
    config    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id)
) WITHOUT ROWID;
