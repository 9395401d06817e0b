-- A record's legacy key, address and VIP mark travel with its customer in imp_owner: the importer's
-- statements that place phones, devices, services, tiers and links each joined the wide imp_record
-- (1.6 million rows on a first load) back to imp_owner only for these narrow columns. imp_owner is
-- scratch that every run truncates first.
TRUNCATE imp_owner;
ALTER TABLE imp_owner
    ADD COLUMN system       TEXT NOT NULL,
    ADD COLUMN legacy_key   TEXT NOT NULL,
    ADD COLUMN address_norm TEXT,
    ADD COLUMN vip          BOOLEAN NOT NULL;
