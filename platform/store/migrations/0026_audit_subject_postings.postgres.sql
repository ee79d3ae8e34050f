-- A list read's subjects as posting lists. Each sealing batch keeps one row
-- per entity its list reads name, listing the entries of the batch that
-- name it (their seqs, comma-separated, ascending), in place of one row per
-- entity per entry. A worker's list names the same cases and people read
-- after read, and the row apiece, with its key, was most of what the audit
-- cost PostgreSQL on a list page. "Who read entity X" stays an indexed
-- match: the key leads with the entity, and the rows found are unnested.
-- `verify` checks the expanded rows against the entries, as before.
ALTER TABLE audit_subject NO FORCE ROW LEVEL SECURITY;
CREATE TABLE audit_subject_posting (
    tenant_id   BIGINT NOT NULL,
    entity_id   TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    first_seq   BIGINT NOT NULL,
    seqs        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, entity_type, first_seq)
);
-- The earlier rows, grouped as the sealer groups (500 entries a batch).
INSERT INTO audit_subject_posting (tenant_id, entity_id, entity_type, first_seq, seqs)
SELECT tenant_id, entity_id, entity_type, min(seq), string_agg(seq::text, ',' ORDER BY seq)
  FROM audit_subject
 GROUP BY tenant_id, entity_id, entity_type, seq / 500;
DROP TABLE audit_subject;
ALTER TABLE audit_subject_posting RENAME TO audit_subject;
ALTER TABLE audit_subject RENAME CONSTRAINT audit_subject_posting_pkey TO audit_subject_pkey;

GRANT SELECT, INSERT ON audit_subject TO kentro_app;
ALTER TABLE audit_subject ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subject FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_subject
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);
