-- See 0007_appointments.postgres.sql.
CREATE TABLE appointment (
    tenant_id  INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    person_id  INTEGER NOT NULL,
    staff_id   INTEGER NOT NULL,
    center_key TEXT NOT NULL,
    room       TEXT,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
    FOREIGN KEY (tenant_id, center_key) REFERENCES center (tenant_id, key)
) WITHOUT ROWID;
CREATE INDEX appointment_by_staff_time ON appointment (tenant_id, staff_id, starts_at);
CREATE INDEX appointment_by_time ON appointment (tenant_id, starts_at);
