-- Staging for the legacy import and sync. A run streams legacy rows in here with COPY, matches them,
-- and turns them into golden records with set-based SQL. Every run truncates these tables first, so
-- they are UNLOGGED (no WAL) and carry no indexes (whole-table hash joins need none).

CREATE UNLOGGED TABLE imp_record (           -- one legacy person record (CMS user or SMS subscriber)
    rec_id       BIGINT NOT NULL,            -- numbered by the run
    system       TEXT NOT NULL,
    legacy_key   TEXT NOT NULL,
    name         TEXT NOT NULL,
    name_norm    TEXT NOT NULL,
    surname      TEXT NOT NULL,
    id_no        TEXT,                       -- valid GB 11643 number or NULL
    id_rejected  TEXT,                       -- why a typed number was dropped
    address      TEXT,
    address_norm TEXT,
    area_code    TEXT,
    vip          BOOLEAN NOT NULL
);

CREATE UNLOGGED TABLE imp_phone (
    rec_id       BIGINT NOT NULL,
    phone        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    position     SMALLINT NOT NULL
);

CREATE UNLOGGED TABLE imp_service (          -- a CMS line or an SMS entitlement
    system       TEXT NOT NULL,
    legacy_ref   TEXT NOT NULL,
    legacy_key   TEXT NOT NULL,              -- the owning record
    kind         TEXT NOT NULL,
    product_code TEXT NOT NULL,
    product_name TEXT NOT NULL,
    monthly_fee_minor BIGINT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TIMESTAMP,
    ended_at     TIMESTAMP,
    card_no      TEXT
);

CREATE UNLOGGED TABLE imp_device (
    legacy_key   TEXT NOT NULL,              -- the owning SMS subscriber
    kind         TEXT NOT NULL,
    serial       TEXT NOT NULL,
    paired_serial TEXT,
    model        TEXT,
    status       TEXT NOT NULL
);

CREATE UNLOGGED TABLE imp_quarantine (
    system       TEXT NOT NULL,
    legacy_key   TEXT,
    reason       TEXT NOT NULL,
    raw          JSONB NOT NULL
);

-- Matching results for records in a cluster of two or more (ID or score links); records absent here
-- are customers of their own. A node is a record (rec_id > 0) or an existing customer (-customer id).
CREATE UNLOGGED TABLE imp_match (
    rec_id       BIGINT NOT NULL,
    cluster      BIGINT NOT NULL,            -- the anchor record of a new customer's cluster
    customer_id  BIGINT,                     -- set when the cluster joins an existing customer
    method       TEXT NOT NULL,
    score        REAL
);

CREATE UNLOGGED TABLE imp_review (
    node_a       BIGINT NOT NULL,
    node_b       BIGINT NOT NULL,
    score        REAL NOT NULL,
    reasons      TEXT[] NOT NULL
);

CREATE UNLOGGED TABLE imp_head (             -- each new customer: its id (drawn in advance) and anchor
    anchor       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL
);

CREATE UNLOGGED TABLE imp_owner (            -- every staged record's customer
    rec_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    method       TEXT,                       -- NULL: linked by an earlier run
    score        REAL,
    anchor       BOOLEAN NOT NULL
);

CREATE UNLOGGED TABLE imp_tier (
    customer_id  BIGINT NOT NULL,
    tier         TEXT NOT NULL
);

CREATE UNLOGGED TABLE imp_account (          -- accounts to create: one per customer and premises
    account_id   BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    premises_id  BIGINT
);

CREATE UNLOGGED TABLE imp_resolved (         -- a staged service with the golden keys it belongs to
    system       TEXT NOT NULL,
    legacy_ref   TEXT NOT NULL,
    customer_id  BIGINT NOT NULL,
    premises_id  BIGINT,
    device_id    BIGINT,
    account_id   BIGINT,                     -- the customer's account at that premises, if one exists
    kind         TEXT NOT NULL,
    product_code TEXT NOT NULL,
    product_name TEXT NOT NULL,
    monthly_fee_minor BIGINT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TIMESTAMP,
    ended_at     TIMESTAMP
);
