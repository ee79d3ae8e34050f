-- See 0005_cases.postgres.sql.

CREATE TABLE household (
    tenant_id  INTEGER NOT NULL REFERENCES tenant (id),
    id         INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

-- A person belongs to one household at a time: the key is the person.
CREATE TABLE household_member (
    tenant_id    INTEGER NOT NULL,
    person_id    INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    relationship TEXT NOT NULL,
    PRIMARY KEY (tenant_id, person_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
    FOREIGN KEY (tenant_id, household_id) REFERENCES household (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX household_member_by_household ON household_member (tenant_id, household_id);

CREATE TABLE case_file (
    tenant_id         INTEGER NOT NULL,
    id                INTEGER NOT NULL,
    person_id         INTEGER NOT NULL,
    status            TEXT NOT NULL,
    request_date      TEXT NOT NULL,
    channel           TEXT NOT NULL,
    categories        TEXT NOT NULL,
    needs_assessment  TEXT,
    information_given TEXT,
    actions           TEXT,
    outcome           TEXT,
    assigned_to       INTEGER,
    opened_at         TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    closed_at         TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX case_file_by_person ON case_file (tenant_id, person_id);
CREATE INDEX case_file_by_status ON case_file (tenant_id, status, id);
CREATE INDEX case_file_by_assignee ON case_file (tenant_id, assigned_to, id);

CREATE TABLE case_event (
    tenant_id INTEGER NOT NULL,
    case_id   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    at        TEXT NOT NULL,
    actor_id  INTEGER,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq),
    FOREIGN KEY (tenant_id, case_id) REFERENCES case_file (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE case_note (
    tenant_id       INTEGER NOT NULL,
    id              INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    author_id       INTEGER NOT NULL,
    author          TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES case_file (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX case_note_by_case ON case_note (tenant_id, case_id);

-- Consent is a history per person and purpose; the latest entry is in force.
CREATE TABLE consent (
    tenant_id      INTEGER NOT NULL,
    person_id      INTEGER NOT NULL,
    purpose        TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    given          INTEGER NOT NULL,
    on_date        TEXT NOT NULL,
    method         TEXT NOT NULL,
    witness        TEXT,
    recorded_by_id INTEGER,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, person_id, purpose, seq),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
) WITHOUT ROWID;
