-- A municipality leaving the platform: see the PostgreSQL migration. SQLite
-- has no roles, so the store deletes the rows itself; the append-only
-- triggers of the audit tables let it, and only for a municipality whose
-- offboarding is marked deleted in the same transaction.
CREATE TABLE tenant_offboarding (
    id            INTEGER NOT NULL PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenant (id),
    offboarded_at TEXT NOT NULL,
    offboarded_by INTEGER,
    delete_after  TEXT NOT NULL,
    cancelled_at  TEXT,
    deleted_at    TEXT,
    deleted_rows  INTEGER
);
CREATE INDEX tenant_offboarding_current ON tenant_offboarding (tenant_id, cancelled_at);

DROP TRIGGER audit_entry_is_append_only_delete;
CREATE TRIGGER audit_entry_is_append_only_delete BEFORE DELETE ON audit_entry
WHEN NOT EXISTS (SELECT 1 FROM tenant_offboarding o
                  WHERE o.tenant_id = OLD.tenant_id AND o.deleted_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
DROP TRIGGER audit_checkpoint_is_append_only_delete;
CREATE TRIGGER audit_checkpoint_is_append_only_delete BEFORE DELETE ON audit_checkpoint
WHEN NOT EXISTS (SELECT 1 FROM tenant_offboarding o
                  WHERE o.tenant_id = OLD.tenant_id AND o.deleted_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints cannot be removed');
END;
DROP TRIGGER audit_subject_is_append_only_delete;
CREATE TRIGGER audit_subject_is_append_only_delete BEFORE DELETE ON audit_subject
WHEN NOT EXISTS (SELECT 1 FROM tenant_offboarding o
                  WHERE o.tenant_id = OLD.tenant_id AND o.deleted_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
