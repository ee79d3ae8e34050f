-- See 0010_plugins.postgres.sql.

-- A signed package, as installed: the component's bytes live here so every
-- replica can load them; a precompiled artifact is cached on each replica's
-- disk, keyed by its engine.
CREATE TABLE plugin_package (
    id           TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    signature    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    wasm         BLOB NOT NULL,
    installed_at TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;

CREATE TABLE plugin_activation (
    tenant_id            INTEGER NOT NULL REFERENCES tenant (id),
    plugin_id            TEXT NOT NULL,
    version              TEXT NOT NULL,
    config               TEXT NOT NULL,
    status               TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    status_reason        TEXT,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id)
) WITHOUT ROWID;

CREATE TABLE plugin_record (
    tenant_id  INTEGER NOT NULL REFERENCES tenant (id),
    plugin_id  TEXT NOT NULL,
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, collection, id)
) WITHOUT ROWID;

CREATE TABLE plugin_metric (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    plugin_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    day       TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, name, day)
) WITHOUT ROWID;

CREATE TABLE referral_suggestion (
    tenant_id    INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    person_id    INTEGER NOT NULL,
    plugin_id    TEXT NOT NULL,
    title        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX referral_suggestion_by_person ON referral_suggestion (tenant_id, person_id);
