-- "Who read entity X" needs an index that finds X's subject rows, not a key
-- that makes each row unique. The primary key (tenant, entity, type, seq)
-- made every row its own index tuple, put each insert of the sealer at a
-- random place inside a large index, and checked a uniqueness that `verify`
-- already checks (an entry's subjects are exactly the entities it names,
-- each once). Without seq in the key, PostgreSQL keeps the rows of one
-- entity as one deduplicated posting list: the index is a small fraction of
-- the size and an insert lands where that entity's reads already are. The
-- lookup reads each row's seq from the table instead. SQLite, the embedded
-- single-center default, keeps its primary key.
ALTER TABLE audit_subject DROP CONSTRAINT audit_subject_pkey;
CREATE INDEX audit_subject_by_entity ON audit_subject (tenant_id, entity_id, entity_type);
