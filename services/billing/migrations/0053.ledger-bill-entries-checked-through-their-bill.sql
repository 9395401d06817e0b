-- A ledger entry that names a bill (the billing run's charges) is checked through the bill, as an entry
-- that names a payment is through the payment (0051): the bill exists, and its account, checked when the
-- bill was written (0042) and never changed, is the entry's. Since 0011 dropped the entry's foreign key to
-- bill, nothing had checked the bill it names. One lookup of a bill by its id replaces one of an account
-- by its number, which compares text: a run posts 600,000 charges.
CREATE OR REPLACE FUNCTION ledger_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.account_no INTO missing FROM named n
    WHERE n.payment_id IS NULL AND n.bill_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM account a WHERE a.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no account % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'account_no';
    END IF;
    SELECT n.bill_id || ' of account ' || n.account_no INTO missing FROM named n
    WHERE n.bill_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM bill b WHERE b.id = n.bill_id AND b.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no bill % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'bill_id';
    END IF;
    SELECT n.payment_id || ' of account ' || n.account_no INTO missing FROM named n
    WHERE n.payment_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.id = n.payment_id AND p.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no payment % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'payment_id';
    END IF;
    RETURN NULL;
END $$;
