-- A ledger entry that names a payment or a bill is checked through it: the payment or bill exists, and its
-- account is the entry's. Their accounts were checked when they were written (0042) and never change, so
-- one lookup checks both of the entry's references, and also that the two agree, which 0042 did not: an
-- entry of a payment or a bill under another account is refused. Since 0011 dropped the entry's foreign
-- key to bill, nothing had checked the bill it names at all. A bank's result file posts 320,000 payments'
-- entries and a billing run 600,000 charges; each entry was looked up in account by its number (text)
-- and, for a payment, in payment too: a third of what posting a payment's entries cost.
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
