-- Each tenant's audit head, anchored outside the tenant's own table: the
-- platform records (seq, hash) now and then, with an HMAC under the audit
-- key, so that cutting the newest entries is found by `kentro audit verify`.
-- A platform table (it holds hashes, never an entry's content); the
-- server's role may only add to it.
CREATE TABLE audit_checkpoint (
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    mac       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
GRANT SELECT, INSERT ON audit_checkpoint TO kentro_app;
