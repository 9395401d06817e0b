-- Dunning: the configured ladder, each service's arrears case and the steps taken in it, and the
-- write-off proposals a supervisor decides. The rules themselves are in domain/dunning.py.

-- One ladder per product category or service kind; 'default' for every service no other row names.
-- An admin edits them (audited); the run reads them as they are at that moment.
CREATE TABLE dunning_ladder (
    applies_to                    TEXT PRIMARY KEY,
    reminder_after_days           INT NOT NULL CHECK (reminder_after_days >= 0),
    notice_after_days             INT NOT NULL CHECK (notice_after_days >= reminder_after_days),
    suspension_grace_working_days INT NOT NULL CHECK (suspension_grace_working_days >= 0),
    write_off_after_days          INT NOT NULL CHECK (write_off_after_days >= 0),
    exempt_tiers                  TEXT[] NOT NULL DEFAULT '{}',
    exempt_tags                   TEXT[] NOT NULL DEFAULT '{}',
    -- The steps an exempt account never gets: by default all but the reminder.
    exempt_steps                  TEXT[] NOT NULL DEFAULT '{notice,suspend,write_off}',
    updated_by                    TEXT NOT NULL DEFAULT 'system',
    updated_at                    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Broadband is cut sooner (no public-service obligation, the operator's own network); basic TV,
-- which households rely on for news, later than the default.
INSERT INTO dunning_ladder (applies_to, reminder_after_days, notice_after_days, suspension_grace_working_days,
                            write_off_after_days, exempt_tiers, exempt_tags) VALUES
    ('default',       7, 20, 3, 180, '{VIP}', '{public_institution}'),
    ('broadband',     5, 15, 2, 120, '{VIP}', '{public_institution}'),
    ('analog_basic', 10, 30, 5, 180, '{VIP}', '{public_institution,low_income}'),
    ('digital_basic', 10, 30, 5, 180, '{VIP}', '{public_institution,low_income}');

CREATE SEQUENCE dunning_request_no_seq START 70000001;

-- One service's arrears from its first step until they are cleared; the next arrears open a new case,
-- so the ladder starts afresh. At most one open case per service.
CREATE TABLE dunning_case (
    id                  BIGSERIAL PRIMARY KEY,
    service_no          TEXT NOT NULL,
    account_no          TEXT NOT NULL REFERENCES account,
    opened_on           DATE NOT NULL,
    closed_on           DATE,
    -- Set once, when a service suspended by this case is asked back (restoration_requested).
    restoration_request TEXT UNIQUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dunning_case_open ON dunning_case (service_no) WHERE closed_on IS NULL;
CREATE INDEX dunning_case_account ON dunning_case (account_no) WHERE closed_on IS NULL;

-- Each step taken, once per case (the primary key): a rerun on the same day, or two runs at once, take
-- nothing twice. The notice is the operator's "care before cut-off": agents read it here.
CREATE TABLE dunning_step (
    case_id        BIGINT NOT NULL REFERENCES dunning_case,
    step           TEXT NOT NULL CHECK (step IN ('reminder', 'notice', 'suspend', 'write_off')),
    taken_on       DATE NOT NULL,
    request_no     TEXT NOT NULL UNIQUE DEFAULT 'Q' || nextval('dunning_request_no_seq'),
    overdue_minor  BIGINT NOT NULL,
    oldest_due_on  DATE NOT NULL,
    bill_ids       BIGINT[] NOT NULL,
    taken_by       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, step)
);

-- The end of the ladder: an account proposed for write-off, decided by a supervisor. One open
-- proposal per account gathers every service of it that reached the end.
CREATE SEQUENCE write_off_no_seq START 1;
CREATE TABLE write_off (
    id            BIGSERIAL PRIMARY KEY,
    write_off_no  TEXT NOT NULL UNIQUE DEFAULT 'WO' || nextval('write_off_no_seq'),
    account_no    TEXT NOT NULL REFERENCES account,
    service_nos   TEXT[] NOT NULL,
    proposed_on   DATE NOT NULL,
    -- What was overdue when proposed; the approval writes off what is open then.
    proposed_minor BIGINT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'proposed'
                  CHECK (state IN ('proposed', 'approved', 'rejected', 'withdrawn')),
    written_off_minor BIGINT,
    ledger_entry_id BIGINT REFERENCES ledger_entry,
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ,
    note          TEXT
);
CREATE UNIQUE INDEX write_off_open ON write_off (account_no) WHERE state = 'proposed';
CREATE INDEX write_off_state ON write_off (state, id);
