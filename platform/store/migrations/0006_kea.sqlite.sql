-- See 0006_kea.postgres.sql.
CREATE TABLE kea_application (
    tenant_id               INTEGER NOT NULL,
    id                      INTEGER NOT NULL,
    household_id            INTEGER NOT NULL,
    status                  TEXT NOT NULL,
    reference_date          TEXT NOT NULL,
    external_reference      TEXT,
    submitted_on_behalf_of  INTEGER,
    rents_home              INTEGER NOT NULL,
    divorced_or_separated   INTEGER NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, household_id) REFERENCES household (tenant_id, id),
    FOREIGN KEY (tenant_id, submitted_on_behalf_of) REFERENCES person (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX kea_application_by_household ON kea_application (tenant_id, household_id);

CREATE TABLE kea_document (
    tenant_id      INTEGER NOT NULL,
    application_id INTEGER NOT NULL,
    document       TEXT NOT NULL,
    person_id      INTEGER NOT NULL,
    received_on    TEXT NOT NULL,
    expires_on     TEXT,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, application_id, document, person_id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES kea_application (tenant_id, id)
) WITHOUT ROWID;
