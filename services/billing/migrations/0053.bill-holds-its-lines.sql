-- A bill holds its lines in its own row, and a service's share of a bill is computed from them.
--
-- A billing run wrote each of a million subscriptions' lines as a row of bill_line (1.6 million rows,
-- each with an index entry) and each service's share as a row of bill_share (a million rows, two index
-- entries each): half of a run's issue went to those two tables. A bill's lines never change once it is
-- issued and are only ever read with their bill (its document, the run's counts), so they are an array in
-- the bill's row, written in the same insert as the bill.
--
-- A share's open amount needs no row of its own either. Settlement covers an account's bills in one order
-- (held last, then oldest due, then by id; store.SETTLE) and within a bill its services in the order of
-- their numbers, so what is open on each service follows from the bill's own open amount: what has been
-- paid of the bill covers the first services in that order. bill_shares() computes it. A service whose
-- lines come to less than nothing (a credit) owes nothing and lowers what the bill's others owe together.
CREATE DOMAIN bill_line_kind AS TEXT CHECK (VALUE IN ('charge', 'discount', 'one_time', 'adjustment'));

ALTER TABLE bill_line RENAME TO bill_line_row;
CREATE TYPE bill_line AS (
    service_no    TEXT,                     -- NULL: a line of no service
    product_code  TEXT,
    kind          bill_line_kind,
    description   TEXT,
    days          INT,
    amount_minor  BIGINT
);
ALTER TABLE bill ADD COLUMN lines bill_line[] NOT NULL DEFAULT '{}';

UPDATE bill b SET lines = x.lines
FROM (SELECT bill_id, array_agg(ROW(service_no, product_code, kind, description, days, amount_minor)::bill_line
                                ORDER BY id) AS lines
      FROM bill_line_row GROUP BY bill_id) x
WHERE b.id = x.bill_id;

DROP TABLE bill_line_row, bill_share;

-- Each service's share of a bill ('' for lines of no service) and what of it is still open, given the
-- bill's open amount (at most the sum of the shares above zero): what has been paid of the bill covers its
-- services in the order of their numbers.
CREATE FUNCTION bill_shares(lines bill_line[], bill_open BIGINT)
RETURNS TABLE (service_no TEXT, amount_minor BIGINT, open_minor BIGINT)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT service_no, amount_minor,
           GREATEST(0, LEAST(amount_minor, through - (sum(GREATEST(amount_minor, 0)) OVER () - $2)))::bigint
    FROM (SELECT service_no, amount_minor,
                 sum(GREATEST(amount_minor, 0)) OVER (ORDER BY service_no COLLATE "C") AS through
          FROM (SELECT COALESCE(l.service_no, '') AS service_no, sum(l.amount_minor)::bigint AS amount_minor
                FROM unnest($1) l GROUP BY 1) s) t
$$;
