-- A payment's ledger entry is posted under the payment's account, and a payment's account was checked
-- when the payment was written (0042) and never changes. So one lookup of the payment checks both of the
-- entry's references, and also that the two agree, which the checks of 0042 did not: an entry of a
-- payment under another account is refused. A bank's result file posts 320,000 such entries; each was
-- looked up in account and in payment, a third of what posting them cost.
CREATE OR REPLACE FUNCTION ledger_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.account_no INTO missing FROM named n
    WHERE n.payment_id IS NULL AND NOT EXISTS (SELECT 1 FROM account a WHERE a.account_no = n.account_no) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no account % for this ledger entry', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'account_no';
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
