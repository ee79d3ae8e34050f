-- A list read's subjects as posting lists. Each sealing batch keeps one row
-- per entity its list reads name, listing the entries of the batch that
-- name it (their seqs, comma-separated, ascending), in place of one row per
-- entity per entry; see the PostgreSQL migration for why.
CREATE TABLE audit_subject_posting (
    tenant_id   INTEGER NOT NULL,
    entity_id   TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    first_seq   INTEGER NOT NULL,
    seqs        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, entity_type, first_seq)
) WITHOUT ROWID;
-- The earlier rows, grouped as the sealer groups (500 entries a batch).
INSERT INTO audit_subject_posting (tenant_id, entity_id, entity_type, first_seq, seqs)
SELECT tenant_id, entity_id, entity_type, min(seq), group_concat(seq, ',' ORDER BY seq)
  FROM audit_subject
 GROUP BY tenant_id, entity_id, entity_type, seq / 500;
DROP TABLE audit_subject;
ALTER TABLE audit_subject_posting RENAME TO audit_subject;
CREATE TRIGGER audit_subject_is_append_only_update BEFORE UPDATE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_subject_is_append_only_delete BEFORE DELETE ON audit_subject
WHEN NOT EXISTS (SELECT 1 FROM tenant_offboarding o
                  WHERE o.tenant_id = OLD.tenant_id AND o.deleted_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
