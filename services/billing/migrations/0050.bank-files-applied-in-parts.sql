-- A bank's result file is applied in parts, each in a transaction of its own on a connection of its own
-- (collection/reconcile.py): one backend applies a statement on one core, and a file of a million lines
-- kept the other idle. A file is 'applying' from its claim until its last part is in; the same file
-- uploaded while it applies is a duplicate, and uploaded after an attempt that ended between parts it
-- applies the parts not yet recorded here. A file small enough for one part goes from 'applying' to
-- 'applied' in one transaction, so nobody sees it applying.
ALTER TABLE bank_file DROP CONSTRAINT bank_file_state_check;
ALTER TABLE bank_file ADD CONSTRAINT bank_file_state_check CHECK (state IN ('applying', 'applied', 'rejected'));
DROP INDEX bank_file_once;
CREATE UNIQUE INDEX bank_file_once ON bank_file (bank_code, kind, content_sha256) WHERE state <> 'rejected';
DROP INDEX bank_file_id_once;
CREATE UNIQUE INDEX bank_file_id_once ON bank_file (bank_code, kind, bank_file_id)
    WHERE state <> 'rejected' AND bank_file_id IS NOT NULL;

-- A part applied, with what it did to each batch: {batch_id, succeeded, failed, amount_minor} each.
CREATE TABLE bank_file_part (
    bank_file_id BIGINT NOT NULL REFERENCES bank_file,
    part         INT NOT NULL,
    batches      JSONB NOT NULL,
    applied_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (bank_file_id, part)
);
