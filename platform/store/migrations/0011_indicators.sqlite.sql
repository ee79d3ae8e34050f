-- See 0011_indicators.postgres.sql.

-- One cell of a tenant's indicators for one month: participants by entry
-- month (ESF sets), and activity counts (requests, referrals, ...).
CREATE TABLE indicator_cell (
    tenant_id INTEGER NOT NULL REFERENCES tenant (id),
    month     TEXT NOT NULL,
    set_code  TEXT NOT NULL,
    dimension TEXT NOT NULL,
    category  TEXT NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (set_code, month, tenant_id, dimension, category)
);

-- Participants across tenants without identities: the platform's keyed
-- hash (HMAC) of a person's ΑΜΚΑ (or name and birth date), with the month
-- they were first served anywhere.
CREATE TABLE participant_key (
    key_hash    TEXT PRIMARY KEY,
    first_month TEXT NOT NULL
);
CREATE INDEX participant_key_by_month ON participant_key (first_month);

-- New participants nationally per month (each person once, in the month
-- they were first served anywhere).
CREATE TABLE national_participants (
    month TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- What the job last saw of each tenant, and the tenant's activity summary.
CREATE TABLE tenant_indicator_state (
    tenant_id         INTEGER PRIMARY KEY REFERENCES tenant (id),
    audit_watermark   INTEGER NOT NULL,
    computed_at       TEXT NOT NULL,
    last_activity     TEXT,
    users             INTEGER NOT NULL,
    open_cases        INTEGER NOT NULL,
    overdue_referrals INTEGER NOT NULL
);
