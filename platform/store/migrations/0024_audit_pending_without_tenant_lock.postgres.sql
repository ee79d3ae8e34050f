-- Every audited request inserts into audit_pending, and its foreign key to
-- tenant took a KEY SHARE lock on the center's one tenant row for each: a
-- center's concurrent requests shared that lock through a MultiXact, and
-- each lock rewrote the row's header. Tenants are never deleted, a pending
-- entry's tenant comes from its transaction's scope (checked by the row's
-- own policy), and the sealer moves it within a second onto audit_entry,
-- which keeps its key to tenant. SQLite, with one writer, keeps the key.
ALTER TABLE audit_pending DROP CONSTRAINT audit_pending_tenant_id_fkey;
