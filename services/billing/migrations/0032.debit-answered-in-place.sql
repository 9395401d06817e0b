-- A bank's answer rewrites a third of a million debits at once. While an index depended on the debit's
-- state, every such update wrote a new entry into each of debit's indexes; with no index on what an
-- answer changes and room left on each page, the answered row stays on its page and no index is touched
-- (a HOT update). A page is therefore half filled by the run, the other half is for the answers.
-- - "One debit awaiting an answer per bill" is kept by the collection run: runs take turns (an advisory
--   lock) and a run picks only bills whose last debit was answered.
-- - The failed debits the 360 view shows are found through the account's open bills and their last debit.
DROP INDEX debit_one_open;
DROP INDEX debit_account_failed;
ALTER TABLE debit SET (fillfactor = 50);
