-- See 0004_people.postgres.sql. Ids are assigned by the store (one past the
-- tenant's highest), as SQLite has no sequences and writes are serialized.
CREATE TABLE person (
    tenant_id               INTEGER NOT NULL REFERENCES tenant (id),
    id                      INTEGER NOT NULL,
    given_name_el           TEXT,
    family_name_el          TEXT,
    given_name_latin        TEXT,
    family_name_latin       TEXT,
    gender                  TEXT NOT NULL,
    birth_date              TEXT,
    amka                    TEXT,
    afm                     TEXT,
    id_document_type        TEXT,
    id_document_number      TEXT,
    residence_permit_number TEXT,
    residence_permit_expiry TEXT,
    nationality             TEXT,
    third_country_national  INTEGER,
    phone                   TEXT,
    email                   TEXT,
    address                 TEXT,
    area                    TEXT,
    rural                   INTEGER,
    preferred_language      TEXT,
    employment_status       TEXT,
    education_level         TEXT,
    disability              TEXT,
    minority                TEXT,
    foreign_background      TEXT,
    homeless                TEXT,
    name_key                TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX person_amka_unique ON person (tenant_id, amka) WHERE amka IS NOT NULL;
CREATE UNIQUE INDEX person_afm_unique ON person (tenant_id, afm) WHERE afm IS NOT NULL;
CREATE INDEX person_by_birth_date ON person (tenant_id, birth_date);
