-- Entries recorded but not yet on the chain. A request adds its entries here
-- in its own transaction, without waiting for the tenant's chain; the sealer
-- moves them onto the hash chain a moment later, in the order it finds
-- them, and removes them from here in the same transaction. Reading,
-- verifying, checkpointing and exporting the log seal first.
CREATE TABLE audit_pending (
    tenant_id   INTEGER NOT NULL REFERENCES tenant (id),
    -- One past the highest, given as rows are written (SQLite has one
    -- writer): only the order of the rows waiting matters.
    id          INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Never changed: added by a request, removed only by the sealer.
CREATE TRIGGER audit_pending_is_never_changed BEFORE UPDATE ON audit_pending
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;

-- The sealer writes a list read's subjects in bulk, and the foreign key's
-- per-row lookup of the entry cost more than the rows themselves. `verify`
-- checks that each entry's subjects are exactly the entities it names, which
-- is what the key held and more. One index serves "who read entity X".
CREATE TABLE audit_subject_keyed_by_entity (
    tenant_id   INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, entity_type, seq)
) WITHOUT ROWID;
INSERT INTO audit_subject_keyed_by_entity (tenant_id, seq, entity_type, entity_id)
SELECT tenant_id, seq, entity_type, entity_id FROM audit_subject;
DROP TABLE audit_subject;
ALTER TABLE audit_subject_keyed_by_entity RENAME TO audit_subject;
CREATE TRIGGER audit_subject_is_append_only_update BEFORE UPDATE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_subject_is_append_only_delete BEFORE DELETE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
