"""The billing run's SQL: rate a whole cycle into a table of lines, then issue its bills (each holding its
lines) and ledger charges from that table, each a statement over the whole cycle (never a round trip per
account).

Rating follows services/billing/domain/rating.py, the specification this SQL is tested against:
    charge   = round_half_up(price_minor * billable_days / days_in_period)       one line per price segment
    percent  = round_half_up(price_minor * percent * covered_days / (100 * days_in_period))
    fixed    = round_half_up(fixed_minor * covered_days / days_in_period)
with round_half_up(n / d) = (2n + d) div (2d) on integer fen, once per line. Billable days are the days of
the period in 'active' intervals of subscription_state (an interval runs to the next row; the last runs on);
discounts of a line together never exceed it (the later ones, by code, are cut to fit).
"""
from __future__ import annotations

from psycopg2 import sql
from psycopg2.errors import UniqueViolation
from psycopg2.extras import Json

from services.common.db import planner_settings

from ..store import settle

# The lines a run rates, before they become bills: one table per run, dropped when the run completes. It
# is unlogged (no WAL for a million rows) because a resumed run rates again whatever has no bill yet. A dry
# run rates into a temporary one. It is made by CREATE TABLE AS, which writes through a small ring of
# buffers instead of pushing the bills' tables out of shared buffers, and may plan in parallel.


def line_table(run_id: int, part: int) -> sql.Identifier:
    return sql.Identifier(f"bill_run_line_{run_id}_{part}")


def drop_line_table(cur, table: sql.Identifier) -> None:
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))


# Text is sorted and partitioned with COLLATE "C" (byte order, which for UTF-8 is code point order, as the
# rating specification sorts): the database's own collation compares through strcoll and without
# abbreviated keys, several times slower over a million rows, and the order means nothing linguistic here.
RATE = """
CREATE {kind} TABLE {lines} AS
WITH sub AS (
    SELECT s.service_no, s.account_no, a.tier, a.currency, p.code AS product_code, p.name
    FROM account a JOIN subscription s USING (account_no)
    JOIN legacy_product_map m ON m.system = s.origin AND m.legacy_code = s.product_code
    JOIN product p ON p.code = m.product_code AND p.charge = 'monthly'
    WHERE a.cycle = %(cycle)s AND {in_range}
      AND NOT EXISTS (SELECT 1 FROM bill b WHERE b.account_no = a.account_no AND b.period_start = %(start)s)),
-- Each state row holds until the next one (same-day rows: the last recorded rules; the earlier are empty).
-- The history is read once and hash-joined to the cycle's subscriptions, never looked up per service.
state AS (
    SELECT s.*, h.state, h.effective_on AS lo,
           lead(h.effective_on) OVER (PARTITION BY h.service_no COLLATE "C"
                                      ORDER BY h.effective_on, h.recorded_at) AS hi
    FROM subscription_state h JOIN sub s USING (service_no)
    WHERE h.effective_on < %(end)s),
active AS (
    SELECT * FROM (
        SELECT account_no, currency, tier, service_no, product_code, name, GREATEST(lo, %(start)s::date) AS lo,
               LEAST(COALESCE(hi, %(end)s::date), %(end)s::date) AS hi
        FROM state WHERE state = 'active') clipped
    WHERE hi > lo),
price AS (
    SELECT product_code, amount_minor, valid_from,
           COALESCE(lead(valid_from) OVER (PARTITION BY product_code ORDER BY valid_from), 'infinity') AS valid_to
    FROM product_price WHERE valid_from < %(end)s),
-- The billable days of a subscription at one price: [lo, hi).
piece AS (
    SELECT a.account_no, a.currency, a.tier, a.service_no, a.product_code, a.name, pr.valid_from AS price_from,
           pr.amount_minor AS price, GREATEST(a.lo, pr.valid_from) AS lo, LEAST(a.hi, pr.valid_to) AS hi
    FROM active a JOIN price pr ON pr.product_code = a.product_code AND pr.valid_from < a.hi AND pr.valid_to > a.lo),
charge AS (
    SELECT account_no, currency, service_no, product_code, name, price_from, price, sum(hi - lo)::int AS days,
           (2 * price * sum(hi - lo) + %(days)s) / (2 * %(days)s) AS amount
    FROM piece GROUP BY account_no, currency, service_no, product_code, name, price_from, price),
-- More than one service billable in the period (min <> max: one hash aggregate, no distinct count's sort).
household AS (
    SELECT account_no FROM charge GROUP BY account_no HAVING min(service_no) <> max(service_no)),
-- Each discount once per product it covers ('{{}}': every product). A piece meets only its product's discounts
-- of the eligibility it has, through hash joins on product and account (a branch per eligibility), instead
-- of every piece being tested against every discount.
offer AS (
    SELECT d.code, d.name, d.kind, d.value, d.eligibility, d.promotion_code, d.valid_from, d.valid_to,
           pr.code AS product_code
    FROM discount d JOIN product pr ON d.products = '{{}}' OR pr.code = ANY (d.products)
    WHERE d.valid_from < %(end)s AND (d.valid_to IS NULL OR d.valid_to >= %(start)s)),
entitled AS (
    SELECT p.*, d.code, d.name AS discount_name, d.kind, d.value, d.valid_from, d.valid_to
    FROM piece p JOIN offer d USING (product_code) WHERE d.eligibility = 'all'
    UNION ALL
    SELECT p.*, d.code, d.name, d.kind, d.value, d.valid_from, d.valid_to
    FROM piece p JOIN offer d USING (product_code) WHERE d.eligibility = 'vip' AND p.tier = 'VIP'
    UNION ALL
    SELECT p.*, d.code, d.name, d.kind, d.value, d.valid_from, d.valid_to
    FROM piece p JOIN household h USING (account_no) JOIN offer d USING (product_code)
    WHERE d.eligibility = 'household'
    UNION ALL
    SELECT p.*, d.code, d.name, d.kind, d.value, d.valid_from, d.valid_to
    FROM piece p JOIN account_promotion ap USING (account_no)
    JOIN offer d ON d.product_code = p.product_code AND d.promotion_code = ap.promotion_code
    WHERE d.eligibility = 'promotion'),
discount_days AS (
    SELECT service_no, product_code, price_from, code, discount_name AS name, kind, value,
           sum(GREATEST(0, LEAST(hi, COALESCE(valid_to + 1, hi)) - GREATEST(lo, valid_from))) AS covered
    FROM entitled GROUP BY service_no, product_code, price_from, code, discount_name, kind, value),
discount_off AS (
    SELECT c.account_no, c.currency, c.service_no, c.product_code, c.price_from, c.amount, x.name, x.covered, x.code,
           CASE x.kind WHEN 'percent' THEN (2 * c.price * x.value * x.covered + 100 * %(days)s) / (200 * %(days)s)
                       ELSE (2 * x.value * x.covered + %(days)s) / (2 * %(days)s) END AS off
    FROM discount_days x JOIN charge c USING (service_no, product_code, price_from)
    WHERE x.covered > 0),
discount_line AS (
    SELECT *, GREATEST(0, LEAST(off, amount - COALESCE(sum(off) OVER (
               PARTITION BY service_no COLLATE "C", product_code COLLATE "C", price_from ORDER BY code COLLATE "C"
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS cut
    FROM discount_off)
SELECT account_no, currency::char(3), service_no, product_code, 'charge' AS kind,
       CASE WHEN days = %(days)s THEN name ELSE name || '（' || days || '/' || %(days)s || '天）' END AS description,
       days, amount::bigint AS amount_minor, NULL::bigint AS pending_id, price_from AS sort_from
FROM charge
UNION ALL
SELECT account_no, currency, service_no, product_code, 'discount', name, covered::int, -cut::bigint, NULL, price_from
FROM discount_line WHERE cut > 0
"""

# The one-time fees of the same accounts, a few thousand a month: a statement of their own, planned freely, so
# that each fee's service and account are looked up by key. Steered like the rating, they hashed every
# subscription of the cycle (0.3 s a part).
RATE_FEES = """
INSERT INTO {lines}
SELECT account_no, currency, service_no, product_code, 'one_time', name || '（' || ref || '）', 0, amount, id,
       occurred_on
FROM (SELECT c.id, a.account_no, a.currency, c.service_no, c.product_code, p.name, c.ref, c.occurred_on,
             (SELECT x.amount_minor FROM product_price x WHERE x.product_code = c.product_code
              AND x.valid_from <= c.occurred_on ORDER BY x.valid_from DESC LIMIT 1) AS amount
      FROM pending_charge c JOIN product p ON p.code = c.product_code
      LEFT JOIN subscription s ON s.service_no = c.service_no
      JOIN account a ON a.account_no = COALESCE(c.account_no, s.account_no)
      WHERE c.bill_id IS NULL AND c.occurred_on < %(end)s AND a.cycle = %(cycle)s AND {in_range}
        AND NOT EXISTS (SELECT 1 FROM bill b WHERE b.account_no = a.account_no AND b.period_start = %(start)s)) fee
WHERE amount IS NOT NULL
"""


# One part of a cycle's accounts: account numbers from `lo` (inclusive) to `hi` (exclusive), None for no bound.
ALL_ACCOUNTS = (None, None)
IN_RANGE = "(%(lo)s::text IS NULL OR a.account_no >= %(lo)s) AND (%(hi)s::text IS NULL OR a.account_no < %(hi)s)"


# The subscriptions a run's ranges are drawn from: about this many, sampled (all of a smaller table).
RANGE_SAMPLE = 20_000


def account_ranges(cur, cycle: int, parts: int) -> list[tuple[str | None, str | None]]:
    """At most `parts` ranges of account numbers that together hold the cycle's accounts, each with about as
    many subscriptions: a part's rating and issuing go by its lines, which are its services', and ranges of
    equal account counts were twice as big as one another where some accounts have two services."""
    # The bounds only balance the parts (any bounds bill every account once), so they are drawn from a
    # sample of the subscriptions: sorting all of a million took 0.8 s while both cores waited, the sample
    # (the same rows for the same table) splits them as evenly within a percent. Byte order ("C") sorts
    # faster than the database's collation; any bound splits the accounts whatever order ranges compare in.
    cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'subscription'::regclass")
    rows = cur.fetchone()["reltuples"]
    percent = 100.0 if rows <= RANGE_SAMPLE else 100.0 * RANGE_SAMPLE / rows
    cur.execute("""SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY s.account_no COLLATE "C") AS bounds
                   FROM subscription s TABLESAMPLE BERNOULLI (%s) REPEATABLE (0) JOIN account a USING (account_no)
                   WHERE a.cycle = %s""",
                ([k / parts for k in range(1, parts)], percent, cycle))
    bounds = {b for b in cur.fetchone()["bounds"] or () if b is not None}
    edges = [None, *sorted(bounds), None]
    return list(zip(edges, edges[1:]))


def rate(cur, lines: sql.Identifier, start, end, cycle: int, accounts: tuple = ALL_ACCOUNTS,
         temporary: bool = False) -> None:
    """Rate every account of the cycle (in the range `accounts`) that has no bill for the period yet into a
    new table `lines`."""
    lo, hi = accounts
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(lines))
    # Every input is the whole cycle, yet the planner estimates the state intervals (a window, then date
    # overlaps) at a row or two, and would loop over them or sort them for merge joins and grouping: only
    # hash joins and hash aggregates rate a million subscriptions in seconds.
    params = {"start": start, "end": end, "cycle": cycle, "days": (end - start).days, "lo": lo, "hi": hi}
    with planner_settings(cur, enable_nestloop="off", enable_mergejoin="off", enable_sort="off"):
        cur.execute(sql.SQL(RATE).format(lines=lines, kind=sql.SQL("TEMPORARY" if temporary else "UNLOGGED"),
                                         in_range=sql.SQL(IN_RANGE)), params)
    cur.execute(sql.SQL(RATE_FEES).format(lines=lines, in_range=sql.SQL(IN_RANGE)), params)
    cur.execute(sql.SQL("ANALYZE {}").format(lines))


def summary(cur, lines: sql.Identifier) -> dict:
    """What the rated lines come to: the bills they make, their lines and total, by kind."""
    cur.execute(sql.SQL("""
        SELECT count(DISTINCT account_no) AS bills, count(*) AS lines,
               COALESCE(sum(amount_minor), 0)::bigint AS amount_minor,
               COALESCE(sum(amount_minor) FILTER (WHERE kind = 'charge'), 0)::bigint AS charges_minor,
               COALESCE(sum(amount_minor) FILTER (WHERE kind = 'discount'), 0)::bigint AS discounts_minor,
               COALESCE(sum(amount_minor) FILTER (WHERE kind = 'one_time'), 0)::bigint AS one_time_minor,
               count(*) FILTER (WHERE kind = 'one_time') AS one_time_fees
        FROM {}""").format(lines))
    return dict(cur.fetchone())


def account_lines(cur, lines: sql.Identifier, account_no: str) -> list[dict]:
    cur.execute(sql.SQL(f"""SELECT service_no, product_code, kind, description, days, amount_minor FROM {{}}
                            WHERE account_no = %s ORDER BY {LINE_ORDER}""").format(lines), (account_no,))
    return cur.fetchall()


LINE_ORDER = ('service_no COLLATE "C" NULLS LAST, product_code COLLATE "C", sort_from, '
              'CASE kind WHEN \'charge\' THEN 0 WHEN \'discount\' THEN 1 ELSE 2 END, description COLLATE "C"')


def issue(cur, run: dict, lines: sql.Identifier, issued_on, due_on, actor: str) -> dict:
    """Bills of the rated accounts that have none for the period yet, each holding its lines (whose sums by
    service are its shares, migration 0053), and one ledger charge each; earlier credit of those accounts
    then pays them. Returns what was added, counted as run_counts() counts a run's bills.

    Each table is written in the order of its indexes (bills by account, the ledger by bill) so that every
    index grows at its end instead of being read back page by page."""
    params = {"run": run["id"], "start": run["period_start"], "end": run["period_end"], "issued": issued_on,
              "due": due_on, "actor": actor, "note": f"bill run {run['run_no']}"}
    # The commit need not wait for the WAL of a million rows to reach the disk: a crash that loses it loses
    # the whole issue (its phase record too), and the run is resumed like any crashed run. The completing
    # transaction, whose event leaves the service, commits synchronously, and its flush covers this one.
    cur.execute("SET LOCAL synchronous_commit = off")
    cur.execute("CREATE TEMPORARY TABLE new_bill (id BIGINT, account_no TEXT, amount_minor BIGINT, currency CHAR(3))"
                " ON COMMIT DROP")
    # Its lines are aggregated in order (a sort, never a hash), grouped in the byte order the bills are
    # written in, so that one sort serves both: in the database's collation it took a third longer.
    insert = sql.SQL(f"""
        WITH added AS (
            INSERT INTO bill (account_no, run_id, period_start, period_end, issued_on, due_on, amount_minor,
                              open_minor, currency, state, lines)
            SELECT account_no, %(run)s, %(start)s, %(end)s, %(issued)s, %(due)s, amount, amount, currency,
                   CASE WHEN amount = 0 THEN 'paid' ELSE 'issued' END, lines
            FROM (SELECT account_no COLLATE "C" AS account_no, sum(amount_minor)::bigint AS amount,
                         min(currency) AS currency,
                         array_agg(ROW(service_no, product_code, kind, description, days, amount_minor)::bill_line
                                   ORDER BY {LINE_ORDER}) AS lines
                  FROM {{lines}} GROUP BY 1) total
            ORDER BY account_no
            {{conflict}}
            RETURNING id, account_no, amount_minor, currency)
        INSERT INTO new_bill SELECT * FROM added""")
    # A bill another run of the period has made since the rating (its account moved to that cycle) is left
    # alone. Rating left out every account billed before, so the bills go in without ON CONFLICT, whose
    # speculative insertion (each row checked, inserted, then confirmed) cost 0.6 s a part; only a bill
    # another run took meanwhile makes the statement run again with it.
    cur.execute("SAVEPOINT issue_bills")
    every_account = True
    try:
        cur.execute(insert.format(lines=lines, conflict=sql.SQL("")), params)
    except UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT issue_bills")
        cur.execute(insert.format(lines=lines, conflict=sql.SQL("ON CONFLICT (account_no, period_start) DO NOTHING")),
                    params)
        every_account = False
    cur.execute("ANALYZE new_bill")
    cur.execute(sql.SQL("""
        UPDATE pending_charge c SET bill_id = b.id FROM {lines} l JOIN new_bill b USING (account_no)
        WHERE c.id = l.pending_id AND c.bill_id IS NULL""").format(lines=lines))
    # Only an account that has credit before this bill (a balance below zero) gets a new bill that is not
    # wholly open; an account whose earlier bills are paid exactly, the usual case, needs no settling,
    # however long its history. Each account's balance is summed from its own entries in the ledger's
    # account index (which carries the amounts, migration 0048). Joining the new bills to the whole ledger
    # read every entry of the year, 14 million: 7.5-8.5 s a part at a year's history, against 1.4-1.8 s by
    # account. Asked before the charges are added, the index answers alone: after, each account's new
    # charge, on a page not yet all-visible, was read from the table too (0.85-1.2 s a part).
    # Always by the index: planned while the ledger was still empty (a first run, with no statistics yet),
    # each account's sum was a scan of the whole table, into which the other part was meanwhile adding its
    # 300,000 charges, so the part took 500 s instead of half a second.
    with planner_settings(cur, enable_seqscan="off"):
        cur.execute("""SELECT b.account_no FROM new_bill b
                       WHERE (SELECT sum(l.amount_minor) FROM ledger_entry l WHERE l.account_no = b.account_no) < 0""")
        credited = [r["account_no"] for r in cur.fetchall()]
    cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, bill_id, note, created_by)
                   SELECT account_no, 'charge', amount_minor, currency, id, %(note)s, %(actor)s FROM new_bill
                   ORDER BY id""", params)
    settle(cur, credited)
    return added_counts(cur, lines, every_account)


def added_counts(cur, lines: sql.Identifier, every_account: bool) -> dict:
    """What issue() added, from its bills (new_bill) and the lines they took: every line of the table when
    `every_account` it rated got a bill, else those of the accounts in new_bill. Counting them here, while both
    parts run, spares reading the run's bills again once they are done."""
    cur.execute("SELECT count(*) AS bills, COALESCE(sum(amount_minor), 0)::bigint AS amount_minor FROM new_bill")
    counts = dict(cur.fetchone())
    taken = sql.SQL("" if every_account else "WHERE l.account_no IN (SELECT account_no FROM new_bill)")
    cur.execute(sql.SQL(f"SELECT {LINE_COUNTS} FROM {{}} l {{}}").format(lines, taken))
    return {**counts, **cur.fetchone()}

# --- the run's record ---------------------------------------------------------------------------------


RUN_COLUMNS = """id, run_no, period_start, period_end, cycle, dry_run, state, counts, phases, requested_by,
    started_at, finished_at"""


def try_lock(cur, name: str) -> bool:
    cur.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS locked", (name,))
    return cur.fetchone()["locked"]


def unlock(cur, name: str) -> None:
    cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))


def find_run(cur, start, cycle: int) -> dict | None:
    cur.execute(f"SELECT {RUN_COLUMNS} FROM bill_run WHERE period_start = %s AND cycle = %s AND NOT dry_run",
                (start, cycle))
    return cur.fetchone()


def run_by_no(cur, run_no: str) -> dict | None:
    cur.execute(f"SELECT {RUN_COLUMNS} FROM bill_run WHERE run_no = %s", (run_no,))
    return cur.fetchone()


def create_run(cur, start, end, cycle: int, actor: str) -> dict:
    cur.execute(f"""INSERT INTO bill_run (period_start, period_end, cycle, requested_by)
                    VALUES (%s, %s, %s, %s) RETURNING {RUN_COLUMNS}""", (start, end, cycle, actor))
    return cur.fetchone()


def record_phase(cur, run_id: int, phase: str, seconds: float, state: str = "running") -> None:
    cur.execute("""UPDATE bill_run SET phases = phases || jsonb_build_object(%s, %s), state = %s
                   WHERE id = %s""", (phase, seconds, state, run_id))


LINE_COUNTS = """count(*) AS lines,
    COALESCE(sum(l.amount_minor) FILTER (WHERE l.kind = 'discount'), 0)::bigint AS discounts_minor,
    count(*) FILTER (WHERE l.kind = 'one_time') AS one_time_fees"""


def run_counts(cur, run_id: int) -> dict:
    """What a run issued, from its bills (a resumed run counts what every attempt added)."""
    # The run's bills are found by the block ranges of their run (migration 0045). The bills' statistics
    # predate the run and know of no bill with its id, so the planner counts on one and reads every bill
    # instead: 0.6 s more at a year's history, growing each month.
    with planner_settings(cur, enable_seqscan="off"):
        cur.execute("""SELECT count(*) AS bills, COALESCE(sum(amount_minor), 0)::bigint AS amount_minor FROM bill
                       WHERE run_id = %s""", (run_id,))
        counts = dict(cur.fetchone())
        cur.execute(f"SELECT {LINE_COUNTS} FROM bill b CROSS JOIN LATERAL unnest(b.lines) l WHERE b.run_id = %s",
                    (run_id,))
        return {**counts, **cur.fetchone()}


def complete_run(cur, run_id: int, counts: dict) -> dict:
    cur.execute(f"""UPDATE bill_run SET state = 'completed', finished_at = now(), counts = %s WHERE id = %s
                    RETURNING {RUN_COLUMNS}""", (Json(counts), run_id))
    return cur.fetchone()


def fail_run(cur, run_id: int, error: str) -> None:
    cur.execute("""UPDATE bill_run SET state = 'failed', counts = counts || jsonb_build_object('error', %s::text)
                   WHERE id = %s""", (error[:2000], run_id))


def cycle_accounts(cur, cycle: int) -> int:
    cur.execute("SELECT count(*) AS n FROM account WHERE cycle = %s", (cycle,))
    return cur.fetchone()["n"]
