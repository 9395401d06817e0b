"""Billing's core SQL: its copy of who pays for what, the ledger and its settlement of bills, and the
reads the screens need. Each part of billing with tables of its own (runs, payments, collection, dunning)
keeps its SQL in its own store module."""
from __future__ import annotations

from datetime import date

from psycopg2 import sql
from psycopg2.extras import execute_values

from services.common.db import Prepared, planner_settings
from services.common.errors import NotFound

# --- the copy of the customer service's accounts and services ------------------------------------------


def upsert_accounts(cur, rows: list[tuple]) -> None:
    """(account_no, customer_no, name, tier, position) rows; an older position never overwrites."""
    execute_values(cur, """
        INSERT INTO account (account_no, customer_no, name, tier, position) VALUES %s
        ON CONFLICT (account_no) DO UPDATE SET customer_no = EXCLUDED.customer_no, name = EXCLUDED.name,
            tier = EXCLUDED.tier, position = EXCLUDED.position, updated_at = now()
        WHERE account.position <= EXCLUDED.position""", rows, page_size=1000)


def upsert_subscriptions(cur, rows: list[tuple], today: date) -> None:
    """(service_no, account_no, customer_no, kind, origin, product_code, state, position, started_on)
    rows. A service seen for the first time gets its state history from its start date (`today` when
    its start is unknown); later changes come dated by their events (record_state)."""
    execute_values(cur, """
        INSERT INTO subscription_state (service_no, effective_on, state)
        SELECT v.service_no, COALESCE(v.started_on::date, v.today::date), v.state
        FROM (VALUES %s) AS v (service_no, started_on, state, today)
        WHERE NOT EXISTS (SELECT 1 FROM subscription_state h WHERE h.service_no = v.service_no)""",
                   [(r[0], r[8] or None, r[6], today) for r in rows], page_size=1000)
    execute_values(cur, """
        INSERT INTO subscription (service_no, account_no, customer_no, kind, origin, product_code, state,
                                  position) VALUES %s
        ON CONFLICT (service_no) DO UPDATE SET account_no = EXCLUDED.account_no,
            customer_no = EXCLUDED.customer_no, kind = EXCLUDED.kind, origin = EXCLUDED.origin,
            product_code = EXCLUDED.product_code, state = EXCLUDED.state, position = EXCLUDED.position,
            updated_at = now()
        WHERE subscription.position <= EXCLUDED.position""", [r[:8] for r in rows], page_size=1000)


def record_state(cur, service_no: str, effective_on: date, state: str) -> None:
    """The day a service's state changed, from the customer service's event."""
    cur.execute("INSERT INTO subscription_state (service_no, effective_on, state) VALUES (%s, %s, %s)",
                (service_no, effective_on, state))


def mark_stale(cur, customer_no: str) -> None:
    cur.execute("INSERT INTO customer_stale (customer_no) VALUES (%s) ON CONFLICT DO NOTHING", (customer_no,))


def take_stale(cur, limit: int) -> list[str]:
    """Stale customers to bring up to date, locked so two copiers never take the same one; they are
    deleted in the same transaction as their refreshed rows."""
    cur.execute("""DELETE FROM customer_stale WHERE customer_no IN (
                       SELECT customer_no FROM customer_stale ORDER BY since
                       LIMIT %s FOR UPDATE SKIP LOCKED)
                   RETURNING customer_no""", (limit,))
    return [r["customer_no"] for r in cur.fetchall()]


def record_copy(cur, position: int, customers: int) -> None:
    cur.execute("""INSERT INTO customer_copy (position, customers) VALUES (%s, %s)
                   ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position,
                       customers = EXCLUDED.customers, copied_at = now()""", (position, customers))


def copy_position(cur) -> int | None:
    cur.execute("SELECT position FROM customer_copy")
    row = cur.fetchone()
    return row["position"] if row else None

# --- the ledger and settlement ------------------------------------------------------------------------


def post(cur, account_no: str, kind: str, amount_minor: int, actor: str, *, bill_id: int | None = None,
         payment_id: int | None = None, note: str | None = None, currency: str = "CNY") -> int:
    """One ledger entry (positive: the customer owes more)."""
    cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, bill_id, payment_id,
                                             note, created_by)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (account_no, kind, amount_minor, currency, bill_id, payment_id, note, actor))
    return cur.fetchone()["id"]


# Everything credited to an account (payments, write-offs, credit adjustments, less refunds) covers its
# bills oldest due first, bills on hold (disputed) last: what the customer does not dispute is paid first,
# and a disputed bill is paid only by credit left over. What a bill still lacks is its open amount; within a
# bill, what is paid covers its services in the order of their numbers (bill_shares(), migration 0053).
# Recomputed from the ledger, so it is right whatever order entries came in, and set-based for any number
# of accounts at once.
SETTLE = """
WITH credit AS (
    SELECT account_no, -COALESCE(sum(amount_minor) FILTER (WHERE kind <> 'charge'), 0)::bigint AS covered
    FROM ledger_entry WHERE account_no = ANY(%(accounts)s) GROUP BY account_no),
bills AS (
    SELECT b.id, b.amount_minor, b.open_minor, b.account_no,
           sum(GREATEST(b.amount_minor, 0)) OVER (PARTITION BY b.account_no
               ORDER BY b.hold_reason IS NOT NULL, b.due_on, b.id) AS through
    FROM bill b WHERE b.account_no = ANY(%(accounts)s)),
settled AS (
    SELECT x.id, x.open_minor AS was,
           GREATEST(0, LEAST(x.amount_minor, x.through - COALESCE(c.covered, 0))) AS open_minor
    FROM bills x LEFT JOIN credit c USING (account_no))
UPDATE bill b SET open_minor = t.open_minor,
    state = CASE WHEN b.state = 'written_off' THEN b.state
                 WHEN t.open_minor = 0 THEN 'paid'
                 WHEN t.open_minor < b.amount_minor THEN 'partially_paid'
                 ELSE 'issued' END
FROM settled t
WHERE b.id = t.id AND t.was <> t.open_minor
"""


def settle(cur, account_nos: list[str]) -> None:
    """Bring the open amounts of these accounts' bills in line with their ledger.

    The accounts are locked first (in one order, so two settlements never deadlock): a posting that
    committed meanwhile is then in the ledger this settlement reads, where two payments settling one
    account at once would each have missed the other's. A posting that is not settling waits for nothing
    (its account is checked without a lock, migration 0042)."""
    if account_nos:
        accounts = sorted(set(account_nos))
        cur.execute("SELECT 1 FROM account WHERE account_no = ANY(%s) ORDER BY account_no FOR NO KEY UPDATE",
                    (accounts,))
        cur.execute(SETTLE, {"accounts": accounts})


def settle_bill_payments(cur, payments: str, where: str = "true") -> None:
    """settle() for the accounts of payments each made for one bill, cheaper when a payment is exactly its
    bill's open amount: `payments` is a table of the payments just posted (account_no, bill_id, amount_minor),
    `where` picks its rows.

    Open amounts are settle()'s outcome after every posting, so a payment of exactly what is open on the
    account's first open bill in settlement order (held bills last, then oldest due) closes that bill and
    changes nothing else: such a bill (of an account with no other payment here) is closed directly,
    without recomputing the account's history; every other account is settled in full. The accounts are
    locked first, as settle() locks them, so a settlement committed meanwhile is in what is read here."""
    # From the lowest account paid on: merged along the accounts' index, a part of a bank's file whose
    # accounts are the upper half read the lower half too.
    cur.execute(sql.SQL("""
        SELECT 1 FROM account WHERE account_no IN (SELECT account_no FROM {payments} WHERE {where})
          AND account_no >= (SELECT min(account_no) FROM {payments} WHERE {where})
        ORDER BY account_no FOR NO KEY UPDATE""").format(payments=sql.Identifier(payments), where=sql.SQL(where)))
    # The bills paid are a few of those a year of history holds: each is looked up by key in a loop over the
    # payments, neither merged along a whole index nor hashed whole (hashed, the shares a bill had then were
    # read through their whole index: at a year's history 1.9 s against 0.6 s by key; the bills likewise).
    # The open bills' trigger keeps its hash joins (0052).
    with planner_settings(cur, enable_mergejoin="off", enable_hashjoin="off"):
        cur.execute(sql.SQL("""
            CREATE TEMP TABLE paid_exactly ON COMMIT DROP AS
            WITH closed AS (
                UPDATE bill b SET open_minor = 0, state = 'paid'
                FROM (SELECT bill_id, amount_minor
                      FROM (SELECT bill_id, amount_minor, count(*) OVER (PARTITION BY account_no) AS payments
                            FROM {payments} WHERE {where}) x
                      WHERE payments = 1 ORDER BY bill_id) p
                WHERE b.id = p.bill_id AND b.open_minor = p.amount_minor AND b.state <> 'written_off'
                  AND NOT EXISTS (SELECT 1 FROM bill_open x JOIN bill o ON o.id = x.bill_id
                                  WHERE x.account_no = b.account_no AND x.bill_id <> b.id AND o.open_minor > 0
                                    AND (o.hold_reason IS NOT NULL, o.due_on, o.id)
                                        < (b.hold_reason IS NOT NULL, b.due_on, b.id))
                RETURNING b.id)
            SELECT id FROM closed ORDER BY id""").format(payments=sql.Identifier(payments), where=sql.SQL(where)))
    cur.execute(sql.SQL("""
        SELECT DISTINCT account_no FROM {payments} x WHERE {where}
            AND NOT EXISTS (SELECT 1 FROM paid_exactly p WHERE p.id = x.bill_id)""")
                .format(payments=sql.Identifier(payments), where=sql.SQL(where)))
    settle(cur, [r["account_no"] for r in cur.fetchall()])
    cur.execute("DROP TABLE paid_exactly")  # a second call in the same transaction makes it again


def balance(cur, account_no: str) -> int:
    # sum() of bigint is numeric in PostgreSQL; money stays an integer of minor units.
    cur.execute("SELECT COALESCE(sum(amount_minor), 0)::bigint AS balance FROM ledger_entry WHERE account_no = %s",
                (account_no,))
    return cur.fetchone()["balance"]

# --- reads ---------------------------------------------------------------------------------------------


BILL_COLUMNS = """b.id, b.bill_no, b.account_no, a.customer_no, a.name AS account_name, b.period_start,
    b.period_end, b.issued_on, b.due_on, b.amount_minor, b.open_minor, b.currency, b.state, b.hold_reason"""


def account(cur, account_no: str) -> dict:
    cur.execute("SELECT * FROM account WHERE account_no = %s", (account_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no account {account_no}", reason="account-not-found")
    return row


# The 360 view's billing section asks these on every view: planned once per connection (planning the
# accounts' subqueries took about four times as long as running them).
_CUSTOMER_ACCOUNTS = Prepared("billing_customer_accounts", """
    SELECT a.customer_no, a.account_no, a.currency,
           COALESCE((SELECT sum(l.amount_minor) FROM ledger_entry l WHERE l.account_no = a.account_no),
                    0)::bigint AS balance_minor,
           COALESCE((SELECT sum(b.open_minor) FROM bill b WHERE b.account_no = a.account_no
                     AND b.open_minor > 0 AND b.due_on < %(today)s), 0)::bigint AS overdue_minor
    FROM account a WHERE a.customer_no = ANY(%(customer_nos)s::text[]) ORDER BY a.account_no""",
                              ("today", "customer_nos"))
_LAST_BILLS = Prepared("billing_last_bills", f"""
    SELECT {BILL_COLUMNS} FROM account a CROSS JOIN LATERAL (
        SELECT * FROM bill WHERE bill.account_no = a.account_no
        ORDER BY period_start DESC LIMIT %(per_account)s) b
    WHERE a.account_no = ANY(%(account_nos)s) ORDER BY b.account_no, b.period_start DESC""",
                       ("per_account", "account_nos"))


def customer_accounts(cur, customer_nos: list[str], today: date) -> list[dict]:
    """These customers' accounts with their balance and overdue amount, in one statement."""
    _CUSTOMER_ACCOUNTS.execute(cur, {"today": today, "customer_nos": customer_nos})
    return cur.fetchall()


def last_bills(cur, account_nos: list[str], per_account: int) -> list[dict]:
    _LAST_BILLS.execute(cur, {"per_account": per_account, "account_nos": account_nos})
    return cur.fetchall()


def bills(cur, *, customer_no: str = "", account_no: str = "", offset: int, limit: int) -> tuple[list[dict], int]:
    where, arg = ("a.account_no = %s", account_no) if account_no else ("a.customer_no = %s", customer_no)
    cur.execute(f"""SELECT {BILL_COLUMNS}, count(*) OVER () AS total
                    FROM bill b JOIN account a USING (account_no) WHERE {where}
                    ORDER BY b.period_start DESC, b.id DESC OFFSET %s LIMIT %s""", (arg, offset, limit))
    rows = cur.fetchall()
    if rows or offset == 0:
        return rows, rows[0]["total"] if rows else 0
    cur.execute(f"SELECT count(*) AS total FROM bill b JOIN account a USING (account_no) WHERE {where}", (arg,))
    return rows, cur.fetchone()["total"]


def bill(cur, bill_no: str) -> dict:
    cur.execute(f"SELECT {BILL_COLUMNS} FROM bill b JOIN account a USING (account_no) WHERE b.bill_no = %s",
                (bill_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no bill {bill_no}", reason="bill-not-found")
    cur.execute("""SELECT l.service_no, l.product_code, l.kind, l.description, l.days, l.amount_minor
                   FROM bill b CROSS JOIN LATERAL unnest(b.lines) WITH ORDINALITY l
                   WHERE b.id = %s ORDER BY l.ordinality""", (row["id"],))
    return {**row, "lines": cur.fetchall()}


def ledger(cur, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute("""SELECT l.id, l.kind, l.amount_minor, l.currency, b.bill_no, p.payment_no, l.note,
                          l.created_at, l.created_by, count(*) OVER () AS total
                   FROM ledger_entry l LEFT JOIN bill b ON b.id = l.bill_id
                   LEFT JOIN payment p ON p.id = l.payment_id
                   WHERE l.account_no = %s ORDER BY l.id DESC OFFSET %s LIMIT %s""", (account_no, offset, limit))
    rows = cur.fetchall()
    total = rows[0]["total"] if rows else 0
    if not rows and offset:
        cur.execute("SELECT count(*) AS total FROM ledger_entry WHERE account_no = %s", (account_no,))
        total = cur.fetchone()["total"]
    return rows, total
