"""Months of paid history behind a bench's month, as an operator's database holds every month since go-live.

BSS_BENCH_HISTORY_MONTHS=<n> (default 0) makes the billing and collection benches fill n earlier months for
every account of their billing schema before the month they time: a bill paid in full holding one line,
its charge and payment in the ledger, and the payment itself; an account with an active mandate paid each
month by a bank debit that succeeded, in a reconciled batch of its bank, any other at a bank's counter
(agency). The benches' own month alone hid a statement that read every month an account ever had:
reconciling one file slowed from 25 s to 35 s at a year's history. Eleven months take about five minutes to
fill over the billing bench's 600,000 accounts and ten over the collection bench's million, so `make bench`
leaves it off.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import date

from dateutil.relativedelta import relativedelta

log = logging.getLogger(__name__)

# One month's bills, oldest month first so that ids grow with time as they do in service. Each bill's line
# is for its account's first service, where the schema knows the account's services.
BILLS = """
CREATE TEMP TABLE month_bill ON COMMIT DROP AS
WITH added AS (
    INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor, open_minor, state, lines)
    SELECT a.account_no, %(start)s, %(end)s, %(issued)s, %(due)s, amount, 0, 'paid',
           ARRAY[ROW(COALESCE(s.service_no, 'S1'), 'DTV-BASIC', 'charge', '数字电视 基本包', 30, amount)::bill_line]
    FROM account a CROSS JOIN LATERAL (SELECT 2000 + abs(hashtext(a.account_no)) %% 10000 AS amount) x
    LEFT JOIN (SELECT account_no, min(service_no) AS service_no FROM subscription GROUP BY account_no) s
        USING (account_no)
    ORDER BY a.account_no
    RETURNING id, account_no, amount_minor, currency)
SELECT * FROM added;
INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, bill_id, note, created_by)
SELECT account_no, 'charge', amount_minor, currency, id, 'bench history', 'bench' FROM month_bill ORDER BY id;
"""

# The month's collection: a run, one reconciled batch per bank and a succeeded debit per mandated bill,
# each with the id of the payment written for it next.
DEBITS = """
CREATE TEMP TABLE month_run ON COMMIT DROP AS
WITH run AS (
    INSERT INTO collection_run (collection_date, banks, requested_by)
    SELECT %(due)s, array_agg(DISTINCT bank_code), 'bench' FROM mandate WHERE state = 'active' HAVING count(*) > 0
    RETURNING id)
SELECT id FROM run;
CREATE TEMP TABLE month_batch ON COMMIT DROP AS
WITH batch AS (
    INSERT INTO debit_batch (run_id, bank_code, collection_date, created_on, state, debit_count, amount_minor)
    SELECT r.id, m.bank_code, %(due)s, %(issued)s, 'reconciled', count(*), sum(b.amount_minor)
    FROM month_run r, mandate m JOIN month_bill b USING (account_no)
    WHERE m.state = 'active' GROUP BY r.id, m.bank_code ORDER BY m.bank_code
    RETURNING id, bank_code)
SELECT * FROM batch;
CREATE TEMP TABLE month_debit ON COMMIT DROP AS
WITH debit AS (
    INSERT INTO debit (batch_id, bill_id, account_no, mandate_id, bank_code, bank_account_no, holder_name,
                       amount_minor, currency, attempt, state, result_on, result_at, payment_id)
    SELECT k.id, b.id, b.account_no, m.id, m.bank_code, m.bank_account_no, m.holder_name, b.amount_minor,
           b.currency, 1, 'succeeded', %(due)s, %(due)s::timestamptz, nextval('payment_id_seq')
    FROM month_bill b JOIN mandate m ON m.account_no = b.account_no AND m.state = 'active'
    JOIN month_batch k ON k.bank_code = m.bank_code
    ORDER BY k.id, b.id
    RETURNING debit_no, account_no, amount_minor, currency, payment_id)
SELECT * FROM debit;
"""

# The month's payments: the debits', then the counter's for every bill no debit paid.
PAYMENTS = """
CREATE TEMP TABLE month_payment ON COMMIT DROP AS
SELECT payment_id AS id, account_no, amount_minor, currency, 'bank_debit' AS method, debit_no AS reference
FROM month_debit
UNION ALL
SELECT nextval('payment_id_seq'), b.account_no, b.amount_minor, b.currency, 'agency', 'H' || b.id
FROM month_bill b WHERE NOT EXISTS (SELECT 1 FROM month_debit d WHERE d.account_no = b.account_no);
INSERT INTO payment (id, account_no, amount_minor, currency, method, reference, received_at, received_by)
SELECT id, account_no, amount_minor, currency, method, reference, %(due)s::timestamptz, 'bench'
FROM month_payment ORDER BY id;
INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, payment_id, note, created_by)
SELECT account_no, 'payment', -amount_minor, currency, id, 'bench history', 'bench' FROM month_payment ORDER BY id;
"""


def months_wanted() -> int:
    return int(os.environ.get("BSS_BENCH_HISTORY_MONTHS", "0") or 0)


def fill_history(conn, period_start: date, months: int) -> dict:
    """`months` paid months before `period_start` for every account, each in its own transaction, on a
    connection whose search_path is the billing schema. Returns what it added and how long it took."""
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM account")
        accounts = cur.fetchone()[0]
    for back in range(months, 0, -1):
        start = period_start - relativedelta(months=back)
        end = start + relativedelta(months=1)
        issued = end.replace(day=5)
        params = {"start": start, "end": end, "issued": issued, "due": issued.replace(day=19)}
        with conn, conn.cursor() as cur:
            cur.execute(BILLS, params)
            cur.execute(DEBITS, params)
            cur.execute(PAYMENTS, params)
        log.info("history: %s filled", start.strftime("%Y-%m"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            # As autovacuum leaves a table that has settled: its pages all-visible, its statistics fresh.
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.autocommit = False
    return {"months": months, "accounts": accounts, "bills": accounts * months,
            "seconds": round(time.perf_counter() - started, 1)}
