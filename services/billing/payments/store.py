"""The SQL of counter payments, corrections and closings. Posting to the ledger and settling bills are
billing's core (services/billing/store.py); this module records what a counter did."""
from __future__ import annotations

from datetime import date

from services.common.errors import NotFound

# A payment as the screens and the receipt show it: its refunds so far and the account's balance right
# after it was posted (the sum of the ledger up to its entry, so a reprint shows the same figure).
PAYMENT_VIEW = """
SELECT p.id, p.payment_no, p.account_no, a.customer_no, a.name AS account_name, p.amount_minor, p.currency,
       p.method, p.counter, p.counter_day, p.reference, p.received_at, p.received_by,
       COALESCE((SELECT sum(r.amount_minor) FROM ledger_entry r
                 WHERE r.payment_id = p.id AND r.kind = 'refund'), 0)::bigint AS refunded_minor,
       (SELECT sum(l.amount_minor) FROM ledger_entry l
        WHERE l.account_no = p.account_no AND l.id <= e.id)::bigint AS balance_after_minor
FROM payment p JOIN account a USING (account_no)
LEFT JOIN LATERAL (SELECT min(id) AS id FROM ledger_entry x
                   WHERE x.payment_id = p.id AND x.kind = 'payment') e ON true
"""


def counter_day(cur, timezone: str) -> date:
    """The operator's day now; now() is the transaction's start, the payment's received_at."""
    cur.execute("SELECT (now() AT TIME ZONE %s)::date AS day", (timezone,))
    return cur.fetchone()["day"]


def lock_counter_day(cur, counter: str, day: date, clerk: str, *, exclusive: bool) -> None:
    """Payments at a counter-day share this lock and its closing takes it alone, so a payment either
    commits before the closing counts it or sees the closing and is refused: none slips in between."""
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    cur.execute(f"SELECT {lock}(hashtextextended(%s, 0))", (f"counter-day|{counter}|{day}|{clerk}",))


def is_closed(cur, counter: str, day: date, clerk: str) -> bool:
    cur.execute("SELECT 1 FROM counter_closing WHERE counter = %s AND day = %s AND clerk = %s",
                (counter, day, clerk))
    return cur.fetchone() is not None


def payment_id_by_request(cur, request_id: str) -> int | None:
    cur.execute("SELECT id FROM payment WHERE request_id = %s", (request_id,))
    row = cur.fetchone()
    return row["id"] if row else None


def insert_payment(cur, *, account_no: str, amount_minor: int, currency: str, method: str, counter: str,
                   day: date, reference: str | None, request_id: str, actor: str) -> int | None:
    """The new payment's id; None when a payment with this request id exists (committed meanwhile by a
    concurrent request: the unique index made this one wait for it)."""
    cur.execute("""INSERT INTO payment (account_no, amount_minor, currency, method, counter, counter_day,
                                        reference, request_id, received_by)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (request_id) WHERE request_id IS NOT NULL DO NOTHING RETURNING id""",
                (account_no, amount_minor, currency, method, counter, day, reference, request_id, actor))
    row = cur.fetchone()
    return row["id"] if row else None


def payment_by_id(cur, payment_id: int) -> dict:
    cur.execute(PAYMENT_VIEW + " WHERE p.id = %s", (payment_id,))
    return cur.fetchone()


def payment(cur, payment_no: str, *, lock: bool = False) -> dict:
    """With `lock`, the payment row is held to the end of the transaction, so two refunds of it run one
    after the other and the second sees the first."""
    if lock:
        cur.execute("SELECT id FROM payment WHERE payment_no = %s FOR UPDATE", (payment_no,))
        found = cur.fetchone()
        row = payment_by_id(cur, found["id"]) if found else None
    else:
        cur.execute(PAYMENT_VIEW + " WHERE p.payment_no = %s", (payment_no,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"no payment {payment_no}", reason="payment-not-found")
    return row


# An account's payments are found by their entries in its ledger (the payments have no index by account,
# migration 0049): every payment posts one 'payment' entry under its own account.
ACCOUNT_PAYMENTS = "SELECT payment_id FROM ledger_entry WHERE account_no = %s AND kind = 'payment'"


def payments(cur, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute(PAYMENT_VIEW + f""" WHERE p.id IN ({ACCOUNT_PAYMENTS})
                                   ORDER BY p.received_at DESC, p.id DESC OFFSET %s LIMIT %s""",
                (account_no, offset, limit))
    rows = cur.fetchall()
    cur.execute(f"SELECT count(*) AS total FROM ({ACCOUNT_PAYMENTS}) x", (account_no,))
    return rows, cur.fetchone()["total"]


def counter_takings(cur, counter: str, day: date, clerk: str) -> dict[str, tuple[int, int]]:
    """method -> (count, amount) taken at a counter-day by a clerk, as the ledger has it: the ledger's
    payment entries of those payments, so a closing checks the drawer against the books."""
    cur.execute("""SELECT p.method, count(*) AS n, (-sum(l.amount_minor))::bigint AS amount_minor
                   FROM payment p JOIN ledger_entry l ON l.payment_id = p.id AND l.kind = 'payment'
                   WHERE p.counter = %s AND p.counter_day = %s AND p.received_by = %s
                   GROUP BY p.method""", (counter, day, clerk))
    return {r["method"]: (r["n"], r["amount_minor"]) for r in cur.fetchall()}


def insert_closing(cur, *, counter: str, day: date, clerk: str, currency: str, cash: tuple[int, int],
                   card: tuple[int, int], declared_cash: int, declared_card: int, balanced: bool,
                   note: str | None, actor: str) -> dict:
    cur.execute("""INSERT INTO counter_closing (counter, day, clerk, currency, cash_count, cash_minor, card_count,
                                                card_minor, declared_cash_minor, declared_card_minor, balanced,
                                                note, closed_by)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
                (counter, day, clerk, currency, *cash, *card, declared_cash, declared_card, balanced, note, actor))
    return cur.fetchone()


def closings(cur, day: date, counter: str | None, offset: int, limit: int) -> tuple[list[dict], int]:
    where = "day = %s" + (" AND counter = %s" if counter else "")
    args = (day, counter) if counter else (day,)
    cur.execute(f"""SELECT * FROM counter_closing WHERE {where} ORDER BY counter, clerk OFFSET %s LIMIT %s""",
                (*args, offset, limit))
    rows = cur.fetchall()
    cur.execute(f"SELECT count(*) AS total FROM counter_closing WHERE {where}", args)
    return rows, cur.fetchone()["total"]


def entry(cur, entry_id: int) -> dict:
    cur.execute("SELECT * FROM ledger_entry WHERE id = %s", (entry_id,))
    return cur.fetchone()
