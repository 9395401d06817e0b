-- Counter payments: the day a payment belongs to at its counter, and each clerk's daily closing.

-- The operator's calendar day the payment was taken on (settings.timezone), fixed when it is taken, so a
-- closing and the payments it covers agree whatever the server's clock zone or a later change of setting.
-- Only counter payments have one.
ALTER TABLE payment ADD COLUMN counter_day DATE;
ALTER TABLE payment ADD CONSTRAINT payment_counter_day CHECK ((counter IS NULL) = (counter_day IS NULL));
CREATE INDEX payment_counter_day ON payment (counter, counter_day, received_by) WHERE counter IS NOT NULL;

-- Refunds name the payment they return: what is left to refund is the payment less these.
CREATE INDEX ledger_payment ON ledger_entry (payment_id) WHERE payment_id IS NOT NULL;

-- A clerk's closing of a counter-day: what the ledger says was taken, by method, beside what the clerk
-- counted. Once closed, the counter-day takes no more payments from that clerk. A mismatch is recorded,
-- not refused: a short drawer is a fact for the supervisor, not something to retry until it fits.
CREATE TABLE counter_closing (
    id            BIGSERIAL PRIMARY KEY,
    counter       TEXT NOT NULL,
    day           DATE NOT NULL,
    clerk         TEXT NOT NULL,
    currency      CHAR(3) NOT NULL,
    -- What the ledger says was taken, by method, computed at closing.
    cash_count    INT NOT NULL,
    cash_minor    BIGINT NOT NULL,
    card_count    INT NOT NULL,
    card_minor    BIGINT NOT NULL,
    -- What the clerk counted in the drawer and on the card terminal's slip.
    declared_cash_minor BIGINT NOT NULL CHECK (declared_cash_minor >= 0),
    declared_card_minor BIGINT NOT NULL CHECK (declared_card_minor >= 0),
    balanced      BOOLEAN NOT NULL,
    note          TEXT,
    closed_by     TEXT NOT NULL,
    closed_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (counter, day, clerk)
);
CREATE INDEX counter_closing_day ON counter_closing (day, counter);
