-- The golden customer over both legacy systems, and everything the 360 view shows.
-- Internal keys are bigints; what people see are the *_no columns.

CREATE SEQUENCE customer_no_seq START 10000001;
CREATE SEQUENCE account_no_seq START 20000001;
CREATE SEQUENCE service_no_seq START 30000001;

CREATE TABLE station (                       -- field stations; the area code of a premises decides one
    station_code TEXT PRIMARY KEY,
    station_name TEXT NOT NULL
);

CREATE TABLE area_station (
    area_code    TEXT PRIMARY KEY,
    station_code TEXT NOT NULL REFERENCES station
);

CREATE TABLE customer (
    id           BIGSERIAL PRIMARY KEY,
    customer_no  TEXT NOT NULL UNIQUE DEFAULT 'C' || nextval('customer_no_seq'),
    name         TEXT NOT NULL,
    name_norm    TEXT NOT NULL,
    id_type      TEXT NOT NULL DEFAULT 'CN_ID',
    id_no        TEXT UNIQUE,                 -- a valid GB 11643 number, or NULL
    email        TEXT,
    tier         TEXT NOT NULL DEFAULT 'regular' CHECK (tier IN ('VIP', 'household', 'regular')),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
    merged_into  BIGINT REFERENCES customer,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by   TEXT NOT NULL DEFAULT 'system',
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by   TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX customer_name_norm ON customer (name_norm);
CREATE INDEX customer_name_trgm ON customer USING gin (name_norm public.gin_trgm_ops);

CREATE TABLE customer_phone (
    customer_id  BIGINT NOT NULL REFERENCES customer ON DELETE CASCADE,
    phone        TEXT NOT NULL,               -- normalized: digits only, no country prefix
    kind         TEXT NOT NULL CHECK (kind IN ('mobile', 'landline')),
    is_primary   BOOLEAN NOT NULL DEFAULT false,
    source       TEXT NOT NULL,               -- cms | sms | bss
    PRIMARY KEY (customer_id, phone)
);
CREATE INDEX customer_phone_phone ON customer_phone (phone);

CREATE TABLE premises (
    id           BIGSERIAL PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customer,
    address      TEXT NOT NULL,
    address_norm TEXT NOT NULL,
    area_code    TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (customer_id, address_norm)
);
CREATE INDEX premises_address_trgm ON premises USING gin (address_norm public.gin_trgm_ops);

CREATE TABLE account (                        -- who pays; a household account may pay for several services
    id           BIGSERIAL PRIMARY KEY,
    account_no   TEXT NOT NULL UNIQUE DEFAULT 'A' || nextval('account_no_seq'),
    customer_id  BIGINT NOT NULL REFERENCES customer,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_customer ON account (customer_id);

CREATE TABLE device (
    id            BIGSERIAL PRIMARY KEY,
    customer_id   BIGINT NOT NULL REFERENCES customer,
    premises_id   BIGINT REFERENCES premises,
    kind          TEXT NOT NULL CHECK (kind IN ('smart_card', 'stb')),
    serial        TEXT NOT NULL,
    paired_serial TEXT,                       -- the STB of a card, the card of an STB
    model         TEXT,
    status        TEXT NOT NULL DEFAULT 'active',
    origin        TEXT NOT NULL,
    UNIQUE (kind, serial)
);
CREATE INDEX device_customer ON device (customer_id);

CREATE TABLE service (
    id                BIGSERIAL PRIMARY KEY,
    service_no        TEXT NOT NULL UNIQUE DEFAULT 'S' || nextval('service_no_seq'),
    customer_id       BIGINT NOT NULL REFERENCES customer,
    account_id        BIGINT REFERENCES account,
    premises_id       BIGINT REFERENCES premises,
    device_id         BIGINT REFERENCES device,
    kind              TEXT NOT NULL CHECK (kind IN ('analog_tv', 'digital_tv', 'broadband')),
    origin            TEXT NOT NULL CHECK (origin IN ('cms', 'sms', 'bss')),
    legacy_ref        TEXT,                   -- cms: user number; sms: entitlement id
    product_code      TEXT NOT NULL,
    product_name      TEXT NOT NULL,
    monthly_fee_minor BIGINT NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL DEFAULT 'CNY',
    state             TEXT NOT NULL CHECK (state IN ('pending', 'active', 'suspended', 'disconnected')),
    started_at        TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by        TEXT NOT NULL DEFAULT 'system',
    UNIQUE (origin, legacy_ref)
);
CREATE INDEX service_customer ON service (customer_id);

-- Which legacy records make up a golden customer, and how each was matched.
CREATE TABLE legacy_link (
    system       TEXT NOT NULL CHECK (system IN ('cms', 'sms')),
    legacy_key   TEXT NOT NULL,               -- cms: user number; sms: subscriber id
    customer_id  BIGINT NOT NULL REFERENCES customer,
    method       TEXT NOT NULL CHECK (method IN ('id_no', 'score', 'manual', 'new')),
    score        REAL,
    linked_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (system, legacy_key)
);
CREATE INDEX legacy_link_customer ON legacy_link (customer_id);

-- Pairs of golden customers that may be one person: a clerk accepts (merge) or rejects (keep apart).
CREATE TABLE match_candidate (
    id           BIGSERIAL PRIMARY KEY,
    customer_a   BIGINT NOT NULL REFERENCES customer,
    customer_b   BIGINT NOT NULL REFERENCES customer,
    score        REAL NOT NULL,
    reasons      TEXT[] NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_by   TEXT,
    decided_at   TIMESTAMPTZ,
    CHECK (customer_a < customer_b),
    UNIQUE (customer_a, customer_b)
);
CREATE INDEX match_candidate_pending ON match_candidate (id) WHERE status = 'pending';

CREATE TABLE import_run (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('bulk', 'sync')),
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    counts       JSONB NOT NULL DEFAULT '{}',
    error        TEXT
);

-- Legacy rows that could not be imported, with the reason; the rest of the run goes on.
CREATE TABLE quarantine (
    id           BIGSERIAL PRIMARY KEY,
    run_id       BIGINT NOT NULL REFERENCES import_run,
    system       TEXT NOT NULL,
    legacy_key   TEXT,
    reason       TEXT NOT NULL,
    raw          JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_run ON quarantine (run_id);

-- Where incremental sync left off in each legacy system.
CREATE TABLE sync_watermark (
    system       TEXT PRIMARY KEY,
    watermark    TIMESTAMP NOT NULL
);

-- Every change sent back to the legacy system that controls the network, and its outcome.
CREATE TABLE write_back (
    id           BIGSERIAL PRIMARY KEY,
    service_id   BIGINT REFERENCES service,
    system       TEXT NOT NULL,
    action       TEXT NOT NULL,
    request      JSONB NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
    detail       TEXT,
    requested_by TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX write_back_service ON write_back (service_id);

CREATE TABLE contact (
    id           BIGSERIAL PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customer,
    channel      TEXT NOT NULL,               -- counter | phone | field | system
    kind         TEXT NOT NULL,
    summary      TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contact_customer_at ON contact (customer_id, at DESC);

-- The audit trail (audit_log) is the platform's: services/common/migrations/0000.audit-log.sql.

INSERT INTO station (station_code, station_name) VALUES
    ('ST01', '城东站'), ('ST02', '城西站'), ('ST03', '城南站'), ('ST04', '城北站'), ('ST05', '开发区站');
INSERT INTO area_station (area_code, station_code) VALUES
    ('0101', 'ST01'), ('0102', 'ST01'), ('0201', 'ST02'), ('0202', 'ST02'),
    ('0301', 'ST03'), ('0302', 'ST03'), ('0401', 'ST04'), ('0402', 'ST04'), ('0501', 'ST05');
