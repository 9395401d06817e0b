-- A bank's result file settles 320,000 bills at once. While an index's predicate read a bill's open amount
-- (bill_open_due), every such update wrote a new row version elsewhere and an entry into each of bill's five
-- indexes. The bills with something open are now listed apart, in bill_open, kept by the triggers below
-- for every writer of bills; no index of bill reads what a settlement changes, and room is left on each
-- page, so a settled bill stays on its page and no index of bill is touched (a HOT update), as debits are
-- answered (0032) and shares settled (0043). A page is therefore half filled by the billing run.
--
-- Whoever asks for what is due or overdue (a collection run, dunning) starts from bill_open, in the order
-- of its key, and reads the bills from there: the open bills of a month, not every bill ever issued. A
-- bill's own open amount stays the one truth; bill_open only lists the bills where it is above zero.
DROP INDEX bill_open_due;
ALTER TABLE bill SET (fillfactor = 50);

-- A bill is never deleted (0011), so a row here leaves only when its bill is settled or falls due on
-- another day. Keyed by due day first: readers take a range of days, and the triggers, which know the
-- day from the bill, find a row by the whole key.
CREATE TABLE bill_open (
    due_on   DATE NOT NULL,
    bill_id  BIGINT NOT NULL,
    PRIMARY KEY (due_on, bill_id)
);
INSERT INTO bill_open SELECT due_on, id FROM bill WHERE open_minor > 0;

CREATE FUNCTION bill_open_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bill_open (due_on, bill_id) SELECT due_on, id FROM new_rows WHERE open_minor > 0;
    RETURN NULL;
END $$;

-- Once per statement, over the rows it changed: a settlement of 320,000 bills is two set-based
-- statements here, not 320,000 calls.
CREATE FUNCTION bill_open_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bill_open o USING old_rows x
    WHERE o.due_on = x.due_on AND o.bill_id = x.id AND x.open_minor > 0
      AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = x.id AND n.due_on = x.due_on AND n.open_minor > 0);
    INSERT INTO bill_open (due_on, bill_id)
    SELECT n.due_on, n.id FROM new_rows n
    WHERE n.open_minor > 0
      AND NOT EXISTS (SELECT 1 FROM old_rows x WHERE x.id = n.id AND x.due_on = n.due_on AND x.open_minor > 0);
    RETURN NULL;
END $$;

CREATE TRIGGER bill_open_added AFTER INSERT ON bill REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bill_open_added();
CREATE TRIGGER bill_open_changed AFTER UPDATE ON bill REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bill_open_changed();
