-- The legacy system's own change time of the row a write-back changed. A legacy state the sync read
-- before that time is older than what the clerk did, and must not roll it back. Both times come from
-- the legacy system's clock, so neither the two servers' time zones nor their clock skew matter.
ALTER TABLE write_back ADD COLUMN legacy_changed_at TIMESTAMP;
-- The change time of each staged service travels with it to the update that applies it.
ALTER TABLE imp_resolved ADD COLUMN changed_at TIMESTAMP;
