-- What a billing run writes in bulk (600,000 bills, 1.5 million lines, a million shares and 600,000 ledger
-- charges for a million subscriptions) costs only what it must.

-- The unique (account_no, period_start) index answers every lookup of an account's bills, newest first
-- when scanned backwards; this copy of it cost every bill one more index entry.
DROP INDEX bill_account;

-- Foreign keys are checked one row at a time: a query on the parent and a lock of its row, for each
-- child row (4.6 million checks, about 30 of a run's 48 seconds of issuing). These four name a bill or a
-- run that the billing run has inserted a moment before, in the same transaction, and takes the ids from
-- that insert's RETURNING (runs/store.py issue()): the check can never fail there, and nothing else
-- writes these rows. What the constraints also guarded, that a bill or a run is never removed under
-- them, the triggers below keep: a bill and a run are records, corrected by new entries, never deleted.
ALTER TABLE bill DROP CONSTRAINT bill_run_id_fkey;
ALTER TABLE bill_line DROP CONSTRAINT bill_line_bill_id_fkey;
ALTER TABLE bill_share DROP CONSTRAINT bill_share_bill_id_fkey;
ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_bill_id_fkey;

CREATE FUNCTION bill_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: their lines, shares and ledger entries name them', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER bill_kept BEFORE DELETE ON bill FOR EACH ROW EXECUTE FUNCTION bill_is_kept();
CREATE TRIGGER bill_kept_truncate BEFORE TRUNCATE ON bill FOR EACH STATEMENT EXECUTE FUNCTION bill_is_kept();
CREATE TRIGGER bill_run_kept BEFORE DELETE ON bill_run FOR EACH ROW EXECUTE FUNCTION bill_is_kept();
CREATE TRIGGER bill_run_kept_truncate BEFORE TRUNCATE ON bill_run FOR EACH STATEMENT
    EXECUTE FUNCTION bill_is_kept();
