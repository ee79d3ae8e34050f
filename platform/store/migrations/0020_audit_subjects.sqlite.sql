-- Each entity a list read names, one row apiece, so that "who read person
-- 42" is an indexed match rather than a pattern over "41,42,43". The entry's
-- own entity_id (hashed into the chain) stays as it was; these rows are
-- derived from it and, like the entries, only ever added.
CREATE TABLE audit_subject (
    tenant_id   INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq, entity_id),
    FOREIGN KEY (tenant_id, seq) REFERENCES audit_entry (tenant_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_subject_by_entity ON audit_subject (tenant_id, entity_type, entity_id);

-- The list reads recorded before this release.
WITH RECURSIVE split (tenant_id, seq, entity_type, item, rest) AS (
    SELECT tenant_id, seq, entity_type, '', entity_id || ','
      FROM audit_entry
     WHERE entity_id LIKE '%,%'
    UNION ALL
    SELECT tenant_id, seq, entity_type,
           substr(rest, 1, instr(rest, ',') - 1),
           substr(rest, instr(rest, ',') + 1)
      FROM split
     WHERE rest <> ''
)
INSERT OR IGNORE INTO audit_subject (tenant_id, seq, entity_type, entity_id)
SELECT tenant_id, seq, entity_type, item FROM split WHERE item <> '';

CREATE TRIGGER audit_subject_is_append_only_update BEFORE UPDATE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_subject_is_append_only_delete BEFORE DELETE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be removed');
END;
