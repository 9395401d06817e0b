-- A bank's result file posts 320,000 payments, a third of all accounts, in account order. Each payment
-- went into an index by account, so every file swept every leaf page of it: at a year's history half a
-- gigabyte read back, dirtied and logged whole after a checkpoint, and the insert took 3.1-3.4 s a file
-- against 1.8-2.0 s at one month. An account's payments are read only to list them, and each has its
-- entry in the ledger, posted with it under the same account and never moved. The ledger's account index
-- already finds them (payments/store.py), so this index goes.
DROP INDEX payment_account;
