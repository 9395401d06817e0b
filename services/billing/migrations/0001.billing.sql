-- Billing's own schema. Accounts and subscriptions are billing's copy of the customer service's data
-- (built from its export stream, then kept by its events); everything else billing owns.
CREATE SEQUENCE bill_no_seq START 50000001;
CREATE SEQUENCE payment_no_seq START 60000001;
CREATE SEQUENCE bill_run_no_seq START 1;

-- Who pays: one row per customer-service account.
CREATE TABLE account (
    account_no    TEXT PRIMARY KEY,
    customer_no   TEXT NOT NULL,
    name          TEXT NOT NULL,
    tier          TEXT NOT NULL DEFAULT 'regular',
    -- Exemptions and groupings an operator sets (e.g. public_institution); dunning reads them.
    tags          TEXT[] NOT NULL DEFAULT '{}',
    -- The billing cycle the account is billed in (one monthly run per cycle).
    cycle         SMALLINT NOT NULL DEFAULT 1 CHECK (cycle BETWEEN 1 AND 28),
    currency      CHAR(3) NOT NULL DEFAULT 'CNY',
    -- The customer service's position this row reflects: an older event never overwrites it.
    position      BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_customer ON account (customer_no);
CREATE INDEX account_cycle ON account (cycle);

-- What is paid for: one row per customer-service service, its legacy product code and current state.
CREATE TABLE subscription (
    service_no    TEXT PRIMARY KEY,
    account_no    TEXT NOT NULL REFERENCES account,
    customer_no   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    origin        TEXT NOT NULL,
    product_code  TEXT NOT NULL,
    state         TEXT NOT NULL,
    position      BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscription_account ON subscription (account_no);

-- When a subscription became billable or stopped being so: proration reads the intervals between
-- consecutive rows. A row is never changed; a late event inserts its own date.
CREATE TABLE subscription_state (
    service_no    TEXT NOT NULL,            -- its event may come before the copy has the service
    effective_on  DATE NOT NULL,
    state         TEXT NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (service_no, effective_on, recorded_at)
);

-- Customers whose events came since their copy was last brought up to date (customer_copy.py).
CREATE TABLE customer_stale (
    customer_no   TEXT PRIMARY KEY,
    since         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The customer service's export this copy was built from: events at or before its position are in it.
CREATE TABLE customer_copy (
    id            BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    position      BIGINT NOT NULL,
    customers     BIGINT NOT NULL,
    copied_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The catalog: products and their prices by date (a new price is a new row; history is never rewritten).
CREATE TABLE product (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL CHECK (category IN ('analog_basic', 'digital_basic', 'premium', 'broadband',
                                                    'installation', 'deposit', 'other')),
    charge        TEXT NOT NULL CHECK (charge IN ('monthly', 'one_time')),
    updated_by    TEXT NOT NULL DEFAULT 'system',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE product_price (
    product_code  TEXT NOT NULL REFERENCES product,
    valid_from    DATE NOT NULL,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency      CHAR(3) NOT NULL DEFAULT 'CNY',
    created_by    TEXT NOT NULL DEFAULT 'system',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (product_code, valid_from)
);

-- The legacy systems' product codes (CMS fee codes, SMS package codes) mapped to catalog products;
-- an admin edits it.
CREATE TABLE legacy_product_map (
    system        TEXT NOT NULL CHECK (system IN ('cms', 'sms', 'bss')),
    legacy_code   TEXT NOT NULL,
    product_code  TEXT NOT NULL REFERENCES product,
    updated_by    TEXT NOT NULL DEFAULT 'system',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (system, legacy_code)
);

-- One billing run per period and cycle (a dry run writes nothing but its report).
CREATE TABLE bill_run (
    id            BIGSERIAL PRIMARY KEY,
    run_no        TEXT NOT NULL UNIQUE DEFAULT 'R' || nextval('bill_run_no_seq'),
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,            -- exclusive
    cycle         SMALLINT NOT NULL,
    dry_run       BOOLEAN NOT NULL DEFAULT false,
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'failed')),
    counts        JSONB NOT NULL DEFAULT '{}',
    phases        JSONB NOT NULL DEFAULT '{}',
    requested_by  TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    CHECK (period_end > period_start)
);
CREATE UNIQUE INDEX bill_run_once ON bill_run (period_start, cycle) WHERE NOT dry_run;

CREATE TABLE bill (
    id            BIGSERIAL PRIMARY KEY,
    bill_no       TEXT NOT NULL UNIQUE DEFAULT 'B' || nextval('bill_no_seq'),
    account_no    TEXT NOT NULL REFERENCES account,
    run_id        BIGINT REFERENCES bill_run,
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    issued_on     DATE NOT NULL,
    due_on        DATE NOT NULL,
    amount_minor  BIGINT NOT NULL,
    open_minor    BIGINT NOT NULL,          -- what is still to pay (settle() keeps it)
    currency      CHAR(3) NOT NULL DEFAULT 'CNY',
    state         TEXT NOT NULL DEFAULT 'issued',
    -- A disputed bill (a complaint) is held: not collected, not dunned.
    hold_reason   TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_no, period_start)
);
CREATE INDEX bill_account ON bill (account_no, period_start DESC);
CREATE INDEX bill_open_due ON bill (due_on) WHERE open_minor > 0;

-- What a bill shows, line by line (charges, discounts, one-time fees).
CREATE TABLE bill_line (
    id            BIGSERIAL PRIMARY KEY,
    bill_id       BIGINT NOT NULL REFERENCES bill,
    service_no    TEXT,
    product_code  TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('charge', 'discount', 'one_time', 'adjustment')),
    description   TEXT NOT NULL,
    days          INT,
    amount_minor  BIGINT NOT NULL
);
CREATE INDEX bill_line_bill ON bill_line (bill_id);

-- What each service owes on a bill (its lines netted): payments settle these oldest first, and
-- dunning reads them, so one service's arrears never cut another service.
CREATE TABLE bill_share (
    bill_id       BIGINT NOT NULL REFERENCES bill,
    service_no    TEXT NOT NULL,            -- '' for lines of no service
    amount_minor  BIGINT NOT NULL,
    open_minor    BIGINT NOT NULL,
    PRIMARY KEY (bill_id, service_no)
);
CREATE INDEX bill_share_open ON bill_share (service_no) WHERE open_minor > 0;

-- Money received, whatever the channel.
CREATE TABLE payment (
    id            BIGSERIAL PRIMARY KEY,
    payment_no    TEXT NOT NULL UNIQUE DEFAULT 'P' || nextval('payment_no_seq'),
    account_no    TEXT NOT NULL REFERENCES account,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    currency      CHAR(3) NOT NULL DEFAULT 'CNY',
    method        TEXT NOT NULL CHECK (method IN ('cash', 'card', 'bank_debit', 'agency')),
    -- Where it was taken: a counter (with its clerk), a debit, or a bank's agency file.
    counter       TEXT,
    reference     TEXT,
    -- The same request twice (a double click, a retried call) posts once.
    request_id    TEXT UNIQUE,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    received_by   TEXT NOT NULL
);
CREATE INDEX payment_account ON payment (account_no, received_at DESC);

-- The append-only ledger per account: the balance is the sum (positive: the customer owes). A
-- correction is a new entry; the trigger below refuses updates and deletes.
CREATE TABLE ledger_entry (
    id            BIGSERIAL PRIMARY KEY,
    account_no    TEXT NOT NULL REFERENCES account,
    kind          TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'adjustment', 'refund', 'write_off')),
    amount_minor  BIGINT NOT NULL,
    currency      CHAR(3) NOT NULL DEFAULT 'CNY',
    bill_id       BIGINT REFERENCES bill,
    payment_id    BIGINT REFERENCES payment,
    note          TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT NOT NULL,
    CHECK ((kind = 'charge' AND amount_minor >= 0) OR (kind IN ('payment', 'write_off') AND amount_minor < 0)
           OR kind IN ('adjustment', 'refund'))
);
CREATE INDEX ledger_account ON ledger_entry (account_no, id);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: post a correcting entry instead'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
