-- The platform's own audit log: what platform admins, overseers and the
-- operator do (logins, municipalities created or changed, suspensions,
-- plugins installed, the national catalog imported, break-glass accounts),
-- hash-chained under the audit key like each tenant's log. A platform
-- table: no tenant owns it, and the server may only read and append.
CREATE TABLE platform_audit_entry (
    seq         BIGINT PRIMARY KEY,
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
    hash        TEXT NOT NULL
);
GRANT SELECT, INSERT ON platform_audit_entry TO kentro_app;

-- The platform's own chain's heads, signed now and then, so cutting its
-- newest entries is found (as `audit_checkpoint` does for each tenant).
CREATE TABLE platform_audit_checkpoint (
    seq  BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    at   TIMESTAMPTZ NOT NULL,
    mac  TEXT NOT NULL
);
GRANT SELECT, INSERT ON platform_audit_checkpoint TO kentro_app;
