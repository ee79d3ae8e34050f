-- Each entity a list read names, one row apiece, so that "who read person
-- 42" is an indexed match rather than a pattern over "41,42,43". The entry's
-- own entity_id (hashed into the chain) stays as it was; these rows are
-- derived from it and, like the entries, only ever added.
CREATE TABLE audit_subject (
    tenant_id   BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq, entity_id),
    FOREIGN KEY (tenant_id, seq) REFERENCES audit_entry (tenant_id, seq)
);
CREATE INDEX audit_subject_by_entity ON audit_subject (tenant_id, entity_type, entity_id);

-- The list reads recorded before this release, read past the log's
-- row-level security for this once (the migration runs as the owner).
ALTER TABLE audit_entry NO FORCE ROW LEVEL SECURITY;
INSERT INTO audit_subject (tenant_id, seq, entity_type, entity_id)
SELECT DISTINCT tenant_id, seq, entity_type, item
  FROM audit_entry, unnest(string_to_array(entity_id, ',')) AS item
 WHERE entity_id LIKE '%,%' AND item <> '';
ALTER TABLE audit_entry FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON audit_subject TO kentro_app;
ALTER TABLE audit_subject ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subject FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_subject
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);
