-- See 0017_cell_keys.postgres.sql.
ALTER TABLE indicator_cell ADD COLUMN cell_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participant_key ADD COLUMN record_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE national_participants ADD COLUMN cell_key INTEGER NOT NULL DEFAULT 0;

DELETE FROM tenant_indicator_state;
