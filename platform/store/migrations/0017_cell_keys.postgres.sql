-- Cell keys for the overseers' disclosure control (the cell-key method):
-- each counted record has a key from the platform's keyed hash, and a cell
-- keeps the sum of its records' keys beside their count, so that any box of
-- cells, however assembled, has one key and is published as one figure.
ALTER TABLE indicator_cell ADD COLUMN cell_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participant_key ADD COLUMN record_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE national_participants ADD COLUMN cell_key BIGINT NOT NULL DEFAULT 0;

-- Every tenant's cells are computed again, now with their keys.
DELETE FROM tenant_indicator_state;
