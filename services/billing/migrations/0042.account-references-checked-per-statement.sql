-- The account and payment named by a bill, a payment or a ledger entry are checked once per statement,
-- as one set, instead of once per row.
--
-- A foreign key checks each row on its own: a query on the parent and a lock of its row (FOR KEY SHARE),
-- which also dirties the parent's page. A billing run inserts 600,000 bills and 600,000 ledger charges
-- and a bank's result file 320,000 payments and their ledger entries: 2.5 million such checks, 12 s of a
-- 50 s issue and 13 s of a 70 s reconciliation. The triggers below check every row a statement inserted
-- (or re-pointed) with one anti-join over its transition table, and refuse the whole statement, naming a
-- missing reference, so a dangling reference is as impossible as before, for every writer.
--
-- What the key share lock also guarded, that the account or payment is not removed or renumbered before
-- the inserting transaction commits, the last triggers keep: accounts and payments are records, never
-- deleted and never renumbered (an account is closed in the customer service, a payment refunded by a
-- new ledger entry), so nothing can remove a reference that was checked. Nor is a bill or a payment moved
-- to another account (the ledger refuses updates already): a reference is checked once, when written,
-- and a settlement's update of a million bills checks nothing.
ALTER TABLE bill DROP CONSTRAINT bill_account_no_fkey;
ALTER TABLE payment DROP CONSTRAINT payment_account_no_fkey;
ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_account_no_fkey, DROP CONSTRAINT ledger_entry_payment_id_fkey;

CREATE FUNCTION account_named_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.account_no INTO missing FROM named n
    WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no account % for this %', missing, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'account_no';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION ledger_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.account_no INTO missing FROM named n
    WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no account % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'account_no';
    END IF;
    SELECT n.payment_id INTO missing FROM named n
    WHERE n.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.id = n.payment_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no payment % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'payment_id';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bill_account_checked AFTER INSERT ON bill REFERENCING NEW TABLE AS named
    FOR EACH STATEMENT EXECUTE FUNCTION account_named_exists();
CREATE TRIGGER payment_account_checked AFTER INSERT ON payment REFERENCING NEW TABLE AS named
    FOR EACH STATEMENT EXECUTE FUNCTION account_named_exists();
CREATE TRIGGER ledger_references_checked AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS named
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_references_exist();

CREATE FUNCTION reference_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted, renumbered or moved to another account: the ledger names them',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER account_kept BEFORE DELETE ON account FOR EACH ROW EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER account_renumbered BEFORE UPDATE OF account_no ON account FOR EACH ROW
    WHEN (OLD.account_no IS DISTINCT FROM NEW.account_no) EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER account_kept_truncate BEFORE TRUNCATE ON account FOR EACH STATEMENT
    EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER bill_moved BEFORE UPDATE OF account_no ON bill FOR EACH ROW
    WHEN (OLD.account_no IS DISTINCT FROM NEW.account_no) EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER payment_kept BEFORE DELETE ON payment FOR EACH ROW EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER payment_moved BEFORE UPDATE OF id, account_no ON payment FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.account_no IS DISTINCT FROM NEW.account_no)
    EXECUTE FUNCTION reference_is_kept();
CREATE TRIGGER payment_kept_truncate BEFORE TRUNCATE ON payment FOR EACH STATEMENT
    EXECUTE FUNCTION reference_is_kept();
