-- Discounts, one-time charges waiting for a bill, and what a billing run needs to find its work again.

-- A discount reduces the recurring charge lines of its products (every recurring product when it names
-- none) on the days it is valid (valid_to inclusive), for the accounts it is meant for.
CREATE TABLE discount (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    -- Percent off (1-100) or fen off a whole month.
    value           BIGINT NOT NULL,
    -- all | vip (account tier VIP) | household (more than one service billable in the period)
    -- | promotion (the account holds promotion_code).
    eligibility     TEXT NOT NULL CHECK (eligibility IN ('all', 'vip', 'household', 'promotion')),
    promotion_code  TEXT,
    products        TEXT[] NOT NULL DEFAULT '{}',
    valid_from      DATE NOT NULL,
    valid_to        DATE,
    updated_by      TEXT NOT NULL DEFAULT 'system',
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'percent' AND value BETWEEN 1 AND 100) OR (kind = 'fixed' AND value > 0)),
    CHECK ((eligibility = 'promotion') = (promotion_code IS NOT NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

-- The promotion codes an account holds (a promotion discount applies while the discount is valid).
CREATE TABLE account_promotion (
    account_no      TEXT NOT NULL REFERENCES account,
    promotion_code  TEXT NOT NULL,
    granted_by      TEXT NOT NULL,
    granted_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_no, promotion_code)
);

-- One-time fees (installation, equipment deposit) billed once, on the account's next bill. `ref` is what
-- caused it (a work order number): the same cause twice charges once.
CREATE TABLE pending_charge (
    id              BIGSERIAL PRIMARY KEY,
    -- Empty when the cause knew only the service: the service's account pays, as the copy has it at billing.
    account_no      TEXT,
    service_no      TEXT,
    product_code    TEXT NOT NULL REFERENCES product,
    occurred_on     DATE NOT NULL,
    ref             TEXT NOT NULL,
    source          TEXT NOT NULL,
    bill_id         BIGINT REFERENCES bill,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (account_no IS NOT NULL OR service_no IS NOT NULL),
    UNIQUE (ref, product_code)
);
CREATE INDEX pending_charge_unbilled ON pending_charge (occurred_on) WHERE bill_id IS NULL;

-- A run's bills, for its counts.
CREATE INDEX bill_run_id ON bill (run_id);
