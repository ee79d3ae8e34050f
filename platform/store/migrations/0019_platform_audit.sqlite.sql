-- See 0019_platform_audit.postgres.sql.
CREATE TABLE platform_audit_entry (
    seq         INTEGER PRIMARY KEY,
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
    hash        TEXT NOT NULL
);
CREATE TRIGGER platform_audit_entry_is_append_only_update BEFORE UPDATE ON platform_audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER platform_audit_entry_is_append_only_delete BEFORE DELETE ON platform_audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;

CREATE TABLE platform_audit_checkpoint (
    seq  INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    at   TEXT NOT NULL,
    mac  TEXT NOT NULL
);
CREATE TRIGGER platform_audit_checkpoint_is_append_only_update BEFORE UPDATE ON platform_audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints cannot be changed');
END;
CREATE TRIGGER platform_audit_checkpoint_is_append_only_delete BEFORE DELETE ON platform_audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints cannot be removed');
END;
