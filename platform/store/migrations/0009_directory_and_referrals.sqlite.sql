-- See 0009_directory_and_referrals.postgres.sql.
-- A tenant's own directory: one row per HSDS record, the record as JSON text
-- (kept as given, so an export returns it unchanged).
CREATE TABLE directory_record (
    tenant_id   INTEGER NOT NULL REFERENCES tenant (id),
    resource    TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, resource, id)
) WITHOUT ROWID;
CREATE INDEX directory_record_by_modified ON directory_record (tenant_id, resource, modified_at);

-- The national catalog, managed by the platform admin and read by every
-- tenant: a platform table, not tenant data.
CREATE TABLE national_directory_record (
    resource    TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    PRIMARY KEY (resource, id)
) WITHOUT ROWID;
CREATE INDEX national_directory_record_by_modified ON national_directory_record (resource, modified_at);

-- target_scope: own (the tenant's directory), national (the catalog) or
-- tenant (another tenant's directory, target_tenant_id). The service's name,
-- organization and e-mail are copied when the referral is made, so what was
-- sent stays readable if the directory changes. envelope is the JSON the
-- receiver sees, frozen when the referral is sent.
CREATE TABLE referral (
    tenant_id           INTEGER NOT NULL,
    id                  INTEGER NOT NULL,
    case_id             INTEGER NOT NULL,
    person_id           INTEGER NOT NULL,
    created_by          INTEGER NOT NULL,
    target_scope        TEXT NOT NULL,
    target_tenant_id    INTEGER,
    service_id          TEXT NOT NULL,
    service_name        TEXT NOT NULL,
    organization_id     TEXT,
    organization_name   TEXT,
    receiver_email      TEXT,
    level               TEXT NOT NULL,
    reason              TEXT NOT NULL,
    urgency             TEXT NOT NULL,
    status              TEXT NOT NULL,
    envelope_fields     TEXT NOT NULL,
    envelope            TEXT,
    decline_reason      TEXT,
    response_note       TEXT,
    outcome_reason      TEXT,
    outcome_note        TEXT,
    sent_at             TEXT,
    deadline_at         TEXT,
    responded_at        TEXT,
    closed_at           TEXT,
    overdue_notified_at TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES case_file (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX referral_by_case ON referral (tenant_id, case_id);
CREATE INDEX referral_by_status ON referral (tenant_id, status, deadline_at);
CREATE INDEX referral_by_organization ON referral (tenant_id, organization_id);

-- A single-purpose link for a partner without an account. The token is
-- stored hashed; the row names its referral.
CREATE TABLE partner_link (
    tenant_id      INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    referral_id    INTEGER NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    expires_at     TEXT NOT NULL,
    revoked_at     TEXT,
    last_opened_at TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
) WITHOUT ROWID;

-- An API key for a partner organization (an HSDS organization id of the
-- tenant's or the national directory), scoped to referrals sent to it.
CREATE TABLE partner_key (
    tenant_id       INTEGER NOT NULL REFERENCES tenant (id),
    id              INTEGER NOT NULL,
    organization_id TEXT NOT NULL,
    label           TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    created_by      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

-- The outbox: written in the transaction of the change that causes it,
-- delivered by a background worker, retried with backoff.
CREATE TABLE notification (
    tenant_id       INTEGER NOT NULL REFERENCES tenant (id),
    id              INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    referral_id     INTEGER,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX notification_due ON notification (tenant_id, status, next_attempt_at);
