-- Oversight aggregates: counts, never people. Platform tables, because
-- overseers read them across tenants; the background job writes them from
-- each tenant's own data (inside that tenant's scope).

-- One cell of a tenant's indicators for one month: participants by entry
-- month (ESF sets), and activity counts (requests, referrals, ...).
CREATE TABLE indicator_cell (
    tenant_id BIGINT NOT NULL REFERENCES tenant (id),
    month     DATE NOT NULL,
    set_code  TEXT NOT NULL,
    dimension TEXT NOT NULL,
    category  TEXT NOT NULL,
    value     BIGINT NOT NULL,
    PRIMARY KEY (set_code, month, tenant_id, dimension, category)
);

-- Participants across tenants without identities: the platform's keyed
-- hash (HMAC) of a person's ΑΜΚΑ (or name and birth date), with the month
-- they were first served anywhere.
CREATE TABLE participant_key (
    key_hash    TEXT PRIMARY KEY,
    first_month DATE NOT NULL
);
CREATE INDEX participant_key_by_month ON participant_key (first_month);

-- New participants nationally per month (each person once, in the month
-- they were first served anywhere).
CREATE TABLE national_participants (
    month DATE PRIMARY KEY,
    value BIGINT NOT NULL
);

-- What the job last saw of each tenant, and the tenant's activity summary.
CREATE TABLE tenant_indicator_state (
    tenant_id         BIGINT PRIMARY KEY REFERENCES tenant (id),
    audit_watermark   BIGINT NOT NULL,
    computed_at       TIMESTAMPTZ NOT NULL,
    last_activity     TIMESTAMPTZ,
    users             BIGINT NOT NULL,
    open_cases        BIGINT NOT NULL,
    overdue_referrals BIGINT NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON indicator_cell, participant_key, national_participants,
    tenant_indicator_state TO kentro_app;
