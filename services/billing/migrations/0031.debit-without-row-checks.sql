-- A collection run inserts a million debits and a result file updates a third of them; each foreign key
-- of debit made that a million row-by-row checks, each locking the referenced row (FOR KEY SHARE), which
-- dirtied every bill and mandate page: 25 s of a 43 s insert. The references stay as they are, checked
-- by construction: create_run takes bill, mandate and batch from the rows it joins in its transaction,
-- reconciliation writes the payment it names in the same transaction, and none of those rows is ever
-- deleted (a bill is written off, a mandate revoked, a batch reconciled).
ALTER TABLE debit DROP CONSTRAINT debit_batch_id_fkey, DROP CONSTRAINT debit_bill_id_fkey,
    DROP CONSTRAINT debit_mandate_id_fkey, DROP CONSTRAINT debit_payment_id_fkey;
