-- Bank batch collection (代收): mandates, collection runs, one debit batch per bank, one debit per bill
-- and attempt, the banks' result and agency files with their import reports, and the exception queue.
CREATE SEQUENCE mandate_no_seq START 70000001;
CREATE SEQUENCE debit_batch_no_seq START 80000001;
CREATE SEQUENCE debit_no_seq START 1;
CREATE SEQUENCE collection_run_no_seq START 1;
CREATE SEQUENCE bank_file_no_seq START 90000001;

-- An account's direct-debit authorisation (代扣授权) at one bank. States: domain/states.py MANDATE.
CREATE TABLE mandate (
    id              BIGSERIAL PRIMARY KEY,
    mandate_no      TEXT NOT NULL UNIQUE DEFAULT 'M' || nextval('mandate_no_seq'),
    account_no      TEXT NOT NULL REFERENCES account,
    bank_code       TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    bank_account_no TEXT NOT NULL,            -- as the bank's rule wants it (collection/accounts.py)
    signed_on       DATE NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'active', 'needs_renewal', 'revoked')),
    state_note      TEXT,
    -- When it last became active: a bill whose debit failed for a reason that flagged the mandate is
    -- collected again only through a mandate activated (renewed) after that failure.
    activated_at    TIMESTAMPTZ,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by      TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- An account is debited through one mandate at a time; a revoked one is history.
CREATE UNIQUE INDEX mandate_live ON mandate (account_no) WHERE state <> 'revoked';
CREATE INDEX mandate_active_bank ON mandate (bank_code, account_no) WHERE state = 'active';

CREATE TABLE collection_run (
    id              BIGSERIAL PRIMARY KEY,
    run_no          TEXT NOT NULL UNIQUE DEFAULT 'CR' || nextval('collection_run_no_seq'),
    collection_date DATE NOT NULL,
    banks           TEXT[] NOT NULL,
    requested_by    TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One bank's batch (报盘). States: domain/states.py DEBIT_BATCH. The totals are those of the offer file.
CREATE TABLE debit_batch (
    id              BIGSERIAL PRIMARY KEY,
    batch_no        TEXT NOT NULL UNIQUE DEFAULT 'D' || nextval('debit_batch_no_seq'),
    run_id          BIGINT NOT NULL REFERENCES collection_run,
    bank_code       TEXT NOT NULL,
    collection_date DATE NOT NULL,
    created_on      DATE NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    state           TEXT NOT NULL,
    debit_count     INT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    currency        CHAR(3) NOT NULL DEFAULT 'CNY',
    downloads       INT NOT NULL DEFAULT 0,
    last_download_at TIMESTAMPTZ
);
CREATE INDEX debit_batch_bank ON debit_batch (bank_code, id DESC);

-- One attempt to debit one bill (a line of a batch). A retry is a new row in a later batch; the failed
-- attempt keeps its reason and the date the retry was due. States: domain/states.py DEBIT.
CREATE TABLE debit (
    id              BIGSERIAL PRIMARY KEY,
    -- What the bank's file carries to find the debit again (EndToEndId in ISO 20022).
    debit_no        TEXT NOT NULL UNIQUE DEFAULT 'DD' || nextval('debit_no_seq'),
    batch_id        BIGINT NOT NULL REFERENCES debit_batch,
    bill_id         BIGINT NOT NULL REFERENCES bill,
    account_no      TEXT NOT NULL,
    mandate_id      BIGINT NOT NULL REFERENCES mandate,
    bank_code       TEXT NOT NULL,
    bank_account_no TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    currency        CHAR(3) NOT NULL DEFAULT 'CNY',
    attempt         SMALLINT NOT NULL,
    state           TEXT NOT NULL,
    reason          TEXT,                      -- collection/reasons.py vocabulary
    bank_reason     TEXT,                      -- the bank's own code
    result_file_id  BIGINT,
    result_on       DATE,
    result_at       TIMESTAMPTZ,
    next_attempt_on DATE,
    payment_id      BIGINT REFERENCES payment
);
CREATE INDEX debit_batch_lines ON debit (batch_id, id);
CREATE INDEX debit_bill ON debit (bill_id, id DESC);
CREATE INDEX debit_account_failed ON debit (account_no) WHERE state IN ('failed', 'retry_scheduled');
-- A bill is in at most one debit awaiting the bank's answer.
CREATE UNIQUE INDEX debit_one_open ON debit (bill_id) WHERE state IN ('pending', 'sent');

-- A file a bank sent: a result file (回盘, pain.002, camt.054) or an agency file (payments at its
-- counters). A rejected file keeps its errors and applied nothing; an applied one is never applied twice.
CREATE TABLE bank_file (
    id              BIGSERIAL PRIMARY KEY,
    file_no         TEXT NOT NULL UNIQUE DEFAULT 'F' || nextval('bank_file_no_seq'),
    bank_code       TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('result', 'agency')),
    format          TEXT,
    file_name       TEXT,
    content_sha256  TEXT NOT NULL,
    bank_file_id    TEXT,                      -- the file's own message id, when its format has one
    batch_no        TEXT,
    state           TEXT NOT NULL CHECK (state IN ('applied', 'rejected')),
    lines           INT NOT NULL DEFAULT 0,
    applied         INT NOT NULL DEFAULT 0,
    succeeded       INT NOT NULL DEFAULT 0,
    failed          INT NOT NULL DEFAULT 0,
    duplicates      INT NOT NULL DEFAULT 0,
    exceptions      INT NOT NULL DEFAULT 0,
    pending         INT NOT NULL DEFAULT 0,
    amount_minor    BIGINT NOT NULL DEFAULT 0,
    errors          JSONB NOT NULL DEFAULT '[]',
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX bank_file_once ON bank_file (bank_code, kind, content_sha256) WHERE state = 'applied';
CREATE UNIQUE INDEX bank_file_id_once ON bank_file (bank_code, kind, bank_file_id)
    WHERE state = 'applied' AND bank_file_id IS NOT NULL;

-- A line of a bank's file that matched no debit (or no account) of that bank: a supervisor decides.
CREATE TABLE collection_exception (
    id              BIGSERIAL PRIMARY KEY,
    bank_file_id    BIGINT NOT NULL REFERENCES bank_file,
    line_no         INT NOT NULL,
    reference       TEXT NOT NULL,
    account_number  TEXT NOT NULL,
    amount_minor    BIGINT,
    ok              BOOLEAN NOT NULL,
    problem         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    action          TEXT CHECK (action IN ('apply-to-account', 'refund', 'ignore')),
    account_no      TEXT,
    payment_id      BIGINT REFERENCES payment,
    note            TEXT,
    resolved_by     TEXT,
    resolved_at     TIMESTAMPTZ
);
CREATE INDEX collection_exception_open ON collection_exception (id) WHERE state = 'open';
