-- Entitlements and devices are copied from the SMS straight into staging (no Python per row), so the
-- rows carry their legacy change time for the watermark; candidate pairs get a table of their own so
-- the planner has statistics for the million-row joins that score them.
ALTER TABLE imp_service ADD COLUMN changed_at TIMESTAMP;
ALTER TABLE imp_device ADD COLUMN changed_at TIMESTAMP;

CREATE UNLOGGED TABLE imp_pair (
    a            BIGINT NOT NULL,
    b            BIGINT NOT NULL
);
