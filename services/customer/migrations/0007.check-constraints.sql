-- The database refuses what the API refuses (services/common/inputrules.py and the handlers), so a bug,
-- a hand-written fix or a new writer cannot store what no screen or service would accept. Tiers,
-- statuses, service states and phone kinds were checked from the start (0001); these add the rest.
-- Lengths count characters, as the API does.

ALTER TABLE customer
    ADD CONSTRAINT customer_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 60),
    ADD CONSTRAINT customer_name_norm_present CHECK (name_norm <> ''),
    -- stored normalized: 18 characters with an upper-case X (a 15-digit number is upgraded)
    ADD CONSTRAINT customer_id_no_format CHECK (id_no ~ '^[0-9]{17}[0-9X]$'),
    ADD CONSTRAINT customer_email_format CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    ADD CONSTRAINT customer_merged_points_elsewhere CHECK ((status = 'merged') = (merged_into IS NOT NULL) AND merged_into <> id);

-- digits only, no country prefix: a mobile has 11, a landline its 0-prefixed area code and 7-8 digits
ALTER TABLE customer_phone
    ADD CONSTRAINT customer_phone_format CHECK (phone ~ '^[0-9]{11,12}$'),
    ADD CONSTRAINT customer_phone_source CHECK (source IN ('cms', 'sms', 'bss'));

ALTER TABLE premises
    ADD CONSTRAINT premises_address_length CHECK (char_length(btrim(address)) BETWEEN 1 AND 300),
    ADD CONSTRAINT premises_address_norm_present CHECK (address_norm <> '');

ALTER TABLE account
    ADD CONSTRAINT account_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 60);

ALTER TABLE device
    ADD CONSTRAINT device_status CHECK (status IN ('active', 'suspended', 'retired')),
    ADD CONSTRAINT device_origin CHECK (origin IN ('cms', 'sms', 'bss')),
    ADD CONSTRAINT device_serial_present CHECK (serial <> '');

ALTER TABLE service
    ADD CONSTRAINT service_fee_not_negative CHECK (monthly_fee_minor >= 0),
    ADD CONSTRAINT service_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
    ADD CONSTRAINT service_product_present CHECK (product_code <> '' AND product_name <> ''),
    ADD CONSTRAINT service_legacy_ref_of_legacy_origin CHECK ((origin = 'bss') = (legacy_ref IS NULL));

ALTER TABLE legacy_link
    ADD CONSTRAINT legacy_link_score_range CHECK (score BETWEEN 0 AND 1);

ALTER TABLE match_candidate
    ADD CONSTRAINT match_candidate_score_range CHECK (score BETWEEN 0 AND 1),
    ADD CONSTRAINT match_candidate_decided CHECK ((status = 'pending') = (decided_at IS NULL));

ALTER TABLE write_back
    ADD CONSTRAINT write_back_system CHECK (system IN ('cms', 'sms', 'bss')),
    ADD CONSTRAINT write_back_action CHECK (action IN ('suspend', 'restore', 'disconnect', 'entitle'));

ALTER TABLE contact
    ADD CONSTRAINT contact_channel CHECK (channel IN ('counter', 'phone', 'field', 'system', 'online')),
    ADD CONSTRAINT contact_kind_length CHECK (char_length(btrim(kind)) BETWEEN 1 AND 50),
    ADD CONSTRAINT contact_summary_length CHECK (char_length(btrim(summary)) BETWEEN 1 AND 2000);
