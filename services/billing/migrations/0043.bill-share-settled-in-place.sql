-- A bank's result file settles 320,000 bills at once, each bill's shares set to nothing open. While an
-- index's predicate read a share's open amount (bill_share_open), every such update wrote a new row version
-- elsewhere and an entry into each of the table's indexes; with no index on what a settlement changes and
-- room left on each page, the settled share stays on its page and no index is touched (a HOT update), as
-- debits are answered (0032). A page is therefore half filled by the billing run, the rest is for settling.
-- The index of a service's shares now holds its paid shares too: a dozen a year, filtered on open_minor
-- where dunning asks for what a service still owes (every bulk read of open shares comes from the bills).
DROP INDEX bill_share_open;
CREATE INDEX bill_share_service ON bill_share (service_no);
ALTER TABLE bill_share SET (fillfactor = 50);
