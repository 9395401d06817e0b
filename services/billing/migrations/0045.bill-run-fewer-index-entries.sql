-- A billing run writes 1.6 million lines and 600,000 bills; each line was entered into two indexes and
-- each bill into five. Two of those entries per row served nothing a one-index layout cannot:
--
-- A bill's lines are only ever read by their bill, in the order they were written (store.bill()): one
-- index on both answers that and keeps each line unique, where the id's own index and the bill's index
-- were two entries for every line.
ALTER TABLE bill_line DROP CONSTRAINT bill_line_pkey, ADD PRIMARY KEY (bill_id, id);
DROP INDEX bill_line_bill;

-- A run's bills are read by run only for the run's counts (0010), and a run writes its bills together, so
-- they fill adjacent pages: an index of each block range's run ids finds them, with one entry for every
-- 128 pages instead of one per bill. A range not summarized yet (autovacuum does it once the next range
-- is written to) is always read, so the counts never miss a bill.
DROP INDEX bill_run_id;
CREATE INDEX bill_run_id ON bill USING brin (run_id) WITH (autosummarize = on);
