-- Entries recorded but not yet on the chain. A request adds its entries here
-- in its own transaction, without waiting for the tenant's chain; the sealer
-- moves them onto the hash chain a moment later, in the order it finds
-- them, and removes them from here in the same transaction. Reading,
-- verifying, checkpointing and exporting the log seal first.
CREATE TABLE audit_pending (
    tenant_id   BIGINT NOT NULL REFERENCES tenant (id),
    id          BIGSERIAL NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    BIGINT,
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
GRANT SELECT, INSERT, DELETE ON audit_pending TO kentro_app;
GRANT USAGE ON SEQUENCE audit_pending_id_seq TO kentro_app;
ALTER TABLE audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_pending
    USING (tenant_id = current_setting('app.tenant_id')::bigint)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::bigint);

-- The sealer writes a list read's subjects in bulk, and the foreign key's
-- per-row lookup of the entry cost more than the rows themselves. `verify`
-- checks that each entry's subjects are exactly the entities it names, which
-- is what the key held and more. One index serves "who read entity X".
ALTER TABLE audit_subject DROP CONSTRAINT audit_subject_tenant_id_seq_fkey;
ALTER TABLE audit_subject DROP CONSTRAINT audit_subject_pkey;
DROP INDEX audit_subject_by_entity;
ALTER TABLE audit_subject ADD PRIMARY KEY (tenant_id, entity_id, entity_type, seq);
