-- See 0013_audit_checkpoints.postgres.sql.
CREATE TABLE audit_checkpoint (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    seq       INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    at        TEXT NOT NULL,
    mac       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE TRIGGER audit_checkpoint_is_append_only_update BEFORE UPDATE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints cannot be changed');
END;
CREATE TRIGGER audit_checkpoint_is_append_only_delete BEFORE DELETE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints cannot be removed');
END;
