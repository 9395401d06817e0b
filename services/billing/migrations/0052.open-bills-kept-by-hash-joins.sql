-- bill_open_changed() compares the rows an update of bills changed before and after (two transition
-- tables, which have no index): only a hash join does that in one pass. A statement steered to loops
-- (store.settle_bill_payments finds the bills a bank's file pays by key) would have steered the trigger
-- into comparing every row with every other. The function keeps hash joins on whatever its caller set.
ALTER FUNCTION bill_open_changed() SET enable_hashjoin = on;
