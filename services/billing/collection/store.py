"""Collection's SQL for mandates, collection runs, debit batches, reports and the 360 view. Bank files
coming back are in reconcile.py. Everything that touches many rows is one statement over all of them."""
from __future__ import annotations

from datetime import date
from typing import Iterator

from services.common.errors import AlreadyExists, NotFound

from .model import DebitLine
from .rules import MandateFields, leaving

MANDATE_COLUMNS = """m.id, m.mandate_no, m.account_no, a.customer_no, m.bank_code, m.holder_name, m.bank_account_no,
    m.signed_on, m.state, m.state_note, m.created_by, m.created_at, m.updated_by, m.updated_at"""

# --- mandates ---------------------------------------------------------------------------------------


def insert_mandate(cur, account_no: str, f: MandateFields, state: str, actor: str) -> dict:
    cur.execute("""
        INSERT INTO mandate (account_no, bank_code, holder_name, bank_account_no, signed_on, state, activated_at,
                             created_by, updated_by)
        VALUES (%s, %s, %s, %s, %s, %s, CASE WHEN %s = 'active' THEN now() END, %s, %s)
        ON CONFLICT (account_no) WHERE state <> 'revoked' DO NOTHING RETURNING mandate_no""",
                (account_no, f.bank_code, f.holder_name, f.bank_account_no, f.signed_on, state, state, actor, actor))
    row = cur.fetchone()
    if row is None:
        cur.execute("SELECT mandate_no FROM mandate WHERE account_no = %s AND state <> 'revoked'", (account_no,))
        existing = cur.fetchone()["mandate_no"]
        raise AlreadyExists(f"account {account_no} already has mandate {existing}; renew or revoke it first",
                            reason="mandate-exists")
    return mandate(cur, row["mandate_no"])


def mandate(cur, mandate_no: str, lock: bool = False) -> dict:
    cur.execute(f"""SELECT {MANDATE_COLUMNS} FROM mandate m JOIN account a USING (account_no)
                    WHERE m.mandate_no = %s {'FOR UPDATE OF m' if lock else ''}""", (mandate_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no mandate {mandate_no}", reason="mandate-not-found")
    return row


def update_mandate(cur, mandate_id: int, state: str, note: str | None, actor: str,
                   fields: MandateFields | None = None) -> None:
    cur.execute("""
        UPDATE mandate SET state = %(state)s, state_note = %(note)s, updated_by = %(actor)s, updated_at = now(),
            activated_at = CASE WHEN %(state)s = 'active' AND state <> 'active' THEN now() ELSE activated_at END,
            bank_code = COALESCE(%(bank)s, bank_code), holder_name = COALESCE(%(holder)s, holder_name),
            bank_account_no = COALESCE(%(number)s, bank_account_no), signed_on = COALESCE(%(signed)s, signed_on)
        WHERE id = %(id)s""",
                {"state": state, "note": note, "actor": actor, "id": mandate_id,
                 "bank": fields and fields.bank_code, "holder": fields and fields.holder_name,
                 "number": fields and fields.bank_account_no, "signed": fields and fields.signed_on})


def mandates(cur, *, account_no: str, bank_code: str, state: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute(f"""
        SELECT {MANDATE_COLUMNS}, count(*) OVER () AS total FROM mandate m JOIN account a USING (account_no)
        WHERE (%(account)s = '' OR m.account_no = %(account)s) AND (%(bank)s = '' OR m.bank_code = %(bank)s)
          AND (%(state)s = '' OR m.state = %(state)s)
        ORDER BY m.id DESC OFFSET %(offset)s LIMIT %(limit)s""",
                {"account": account_no, "bank": bank_code, "state": state, "offset": offset, "limit": limit})
    rows = cur.fetchall()
    return rows, rows[0]["total"] if rows else 0


def mandate_states(cur, account_nos: list[str]) -> dict[str, str]:
    """Each account's current mandate state (its live mandate, else its latest revoked one)."""
    cur.execute("""SELECT DISTINCT ON (account_no) account_no, state FROM mandate WHERE account_no = ANY(%s)
                   ORDER BY account_no, state = 'revoked', id DESC""", (account_nos,))
    return {r["account_no"]: r["state"] for r in cur.fetchall()}


def failed_debits(cur, account_nos: list[str]) -> list[dict]:
    """The accounts' open bills whose latest debit failed: what the counter should speak about."""
    cur.execute("""
        SELECT d.account_no, b.bill_no, k.batch_no, d.bank_code, d.amount_minor, d.currency, d.reason,
               d.result_on AS failed_on, d.next_attempt_on
        FROM bill b
        JOIN LATERAL (SELECT * FROM debit d WHERE d.bill_id = b.id ORDER BY d.id DESC LIMIT 1) d ON true
        JOIN debit_batch k ON k.id = d.batch_id
        WHERE b.account_no = ANY(%s) AND b.open_minor > 0 AND d.state IN ('failed', 'retry_scheduled')
        ORDER BY d.account_no, d.id DESC""", (account_nos,))
    return cur.fetchall()

# --- collection runs ----------------------------------------------------------------------------------


# The bills a run collects: open, not held, due by the collection date, of an account whose mandate at
# one of the run's banks is active, and not awaiting a bank's answer already. A bill whose last debit
# failed is collected again when its retry is due, or, if that failure flagged the mandate, once the
# mandate was renewed after it; a failure the policy stopped stays with dunning. Each becomes a debit of
# its bank's batch, inserted in the order the offer file lists them, and the batches get their totals.
PICK = """
WITH debits AS (
    INSERT INTO debit (batch_id, bill_id, account_no, mandate_id, bank_code, bank_account_no, holder_name,
                       amount_minor, currency, attempt, state)
    SELECT k.id, b.id, b.account_no, m.id, m.bank_code, m.bank_account_no, m.holder_name, b.open_minor, b.currency,
           COALESCE(last.attempt, 0) + 1, 'sent'
    FROM bill_open o JOIN bill b ON b.id = o.bill_id
    JOIN mandate m ON m.account_no = b.account_no AND m.state = 'active' AND m.bank_code = ANY(%(banks)s)
    JOIN debit_batch k ON k.run_id = %(run)s AND k.bank_code = m.bank_code
    LEFT JOIN LATERAL (SELECT d.attempt, d.state, d.next_attempt_on, d.result_at FROM debit d
                       WHERE d.bill_id = b.id ORDER BY d.id DESC LIMIT 1) last ON true
    WHERE o.due_on <= %(date)s AND b.hold_reason IS NULL AND b.state <> 'written_off'
      AND b.currency = %(currency)s
      AND (last.state IS NULL OR last.state IN ('succeeded', 'cancelled')
           OR (last.state = 'retry_scheduled' AND last.next_attempt_on <= %(date)s)
           OR (last.state = 'failed' AND m.activated_at > last.result_at))
    ORDER BY m.bank_code, b.account_no, b.id
    RETURNING batch_id, amount_minor)
UPDATE debit_batch k SET debit_count = t.debits, amount_minor = t.amount_minor
FROM (SELECT batch_id, count(*) AS debits, sum(amount_minor) AS amount_minor FROM debits GROUP BY batch_id) t
WHERE k.id = t.batch_id
"""
# A million debits sort and hash in memory rather than in a dozen spill files.
BULK_WORK_MEM = "256MB"


def create_run(cur, *, collection_date: date, created_on: date, banks: list[str], currency: str,
               actor: str) -> dict:
    """A collection run and its batches, one per bank with due bills; each debit is sent with its batch
    (the offer file is there for the bank from now on)."""
    # Two runs at once would pick the same bills; the second waits and then finds them in debits.
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('billing.collection_run'))")
    cur.execute("SELECT set_config('work_mem', %s, true)", (BULK_WORK_MEM,))
    cur.execute("""INSERT INTO collection_run (collection_date, banks, requested_by) VALUES (%s, %s, %s)
                   RETURNING id, run_no, collection_date, created_at""", (collection_date, banks, actor))
    run = cur.fetchone()
    # Every bank's batch first, so that the debits are written once, straight into their batch; a bank
    # with nothing due keeps no batch.
    cur.execute("""
        INSERT INTO debit_batch (run_id, bank_code, collection_date, created_on, state, debit_count, amount_minor,
                                 currency)
        SELECT %s, bank_code, %s, %s, 'offered', 0, 0, %s FROM unnest(%s::text[]) bank_code ORDER BY bank_code""",
                (run["id"], collection_date, created_on, currency, sorted(banks)))
    cur.execute(PICK, {"banks": banks, "date": collection_date, "currency": currency, "run": run["id"]})
    cur.execute("DELETE FROM debit_batch WHERE run_id = %s AND debit_count = 0", (run["id"],))
    return {**run, "banks": banks, "batches": batches(cur, run_id=run["id"], offset=0, limit=1000)[0]}

# --- batches -------------------------------------------------------------------------------------------


BATCH_COLUMNS = """k.id, k.batch_no, r.run_no, k.bank_code, k.collection_date, k.created_on, k.created_at, k.state,
    k.debit_count, k.amount_minor, k.currency, k.downloads, k.last_download_at"""


def batches(cur, *, bank_code: str = "", run_id: int | None = None, offset: int,
            limit: int) -> tuple[list[dict], int]:
    cur.execute(f"""
        SELECT {BATCH_COLUMNS}, count(*) OVER () AS total FROM debit_batch k JOIN collection_run r ON r.id = k.run_id
        WHERE (%(bank)s = '' OR k.bank_code = %(bank)s) AND (%(run)s::bigint IS NULL OR k.run_id = %(run)s)
        ORDER BY k.id DESC OFFSET %(offset)s LIMIT %(limit)s""",
                {"bank": bank_code, "run": run_id, "offset": offset, "limit": limit})
    rows = cur.fetchall()
    return rows, rows[0]["total"] if rows else 0


def batch(cur, batch_no: str, bank_code: str = "", lock: bool = False) -> dict:
    """A batch; for a bank (bank_code given) only its own, another bank's being as unknown as none."""
    cur.execute(f"""SELECT {BATCH_COLUMNS} FROM debit_batch k JOIN collection_run r ON r.id = k.run_id
                    WHERE k.batch_no = %s AND (%s = '' OR k.bank_code = %s) {'FOR UPDATE OF k' if lock else ''}""",
                (batch_no, bank_code, bank_code))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no debit batch {batch_no}", reason="debit-batch-not-found")
    return row


def cancel_batch(cur, batch_id: int, debit_state: str) -> int:
    """The batch and its debits still awaiting an answer cancelled; how many debits."""
    cur.execute("UPDATE debit SET state = %s WHERE batch_id = %s AND state = 'sent'", (debit_state, batch_id))
    cancelled = cur.rowcount
    cur.execute("UPDATE debit_batch SET state = 'cancelled' WHERE id = %s", (batch_id,))
    return cancelled


def record_download(cur, batch_id: int) -> None:
    cur.execute("""UPDATE debit_batch SET downloads = downloads + 1, last_download_at = now(),
                       state = CASE WHEN state = ANY(%s) THEN 'downloaded' ELSE state END
                   WHERE id = %s""", (leaving("debit_batch", "download"), batch_id))


def debit_lines(conn, batch_id: int, size: int = 20000) -> Iterator[DebitLine]:
    """The batch's debits as the offer file lists them, read through a server-side cursor."""
    with conn.cursor(name=f"batch_lines_{batch_id}") as cur:
        cur.itersize = size
        cur.execute("""SELECT d.debit_no, d.bank_account_no, d.holder_name, d.amount_minor, d.account_no,
                              m.mandate_no
                       FROM debit d JOIN mandate m ON m.id = d.mandate_id
                       WHERE d.batch_id = %s ORDER BY d.id""", (batch_id,))
        make = DebitLine._make
        for row in cur:
            yield make(row)

# --- reports ------------------------------------------------------------------------------------------


# A report without a batch covers the latest batches: a year of collection is a dozen million debits.
REPORT_BATCHES = 60


def report(cur, *, batch_no: str, bank_code: str) -> tuple[list[dict], list[dict]]:
    """Per batch (the asked one, or the latest REPORT_BATCHES, of a bank if asked): its debits by outcome;
    and its failures by reason."""
    args = {"batch": batch_no, "bank": bank_code, "latest": REPORT_BATCHES}
    where = """k.id IN (SELECT id FROM debit_batch WHERE (%(batch)s = '' OR batch_no = %(batch)s)
                        AND (%(bank)s = '' OR bank_code = %(bank)s) ORDER BY id DESC LIMIT %(latest)s)"""
    cur.execute(f"""
        SELECT k.batch_no, k.bank_code, k.collection_date, k.state, k.currency, k.debit_count, k.amount_minor,
               count(*) FILTER (WHERE d.state = 'succeeded') AS succeeded,
               COALESCE(sum(d.amount_minor) FILTER (WHERE d.state = 'succeeded'), 0)::bigint AS succeeded_minor,
               count(*) FILTER (WHERE d.state IN ('failed', 'retry_scheduled')) AS failed,
               COALESCE(sum(d.amount_minor) FILTER (WHERE d.state IN ('failed', 'retry_scheduled')), 0)::bigint
                   AS failed_minor,
               count(*) FILTER (WHERE d.state = 'sent') AS awaiting
        FROM debit_batch k JOIN debit d ON d.batch_id = k.id WHERE {where}
        GROUP BY k.id ORDER BY k.id DESC""", args)
    rows = cur.fetchall()
    cur.execute(f"""
        SELECT k.batch_no, d.reason, count(*) AS count, sum(d.amount_minor)::bigint AS amount_minor
        FROM debit_batch k JOIN debit d ON d.batch_id = k.id
        WHERE {where} AND d.state IN ('failed', 'retry_scheduled') AND k.batch_no = ANY(%(batches)s)
        GROUP BY k.batch_no, d.reason ORDER BY k.batch_no, d.reason""",
                {**args, "batches": [r["batch_no"] for r in rows]})
    return rows, cur.fetchall()


def accounts_without_mandate(cur) -> list[dict]:
    """Accounts that never signed a mandate (account_no, name), in number order."""
    cur.execute("""SELECT a.account_no, a.name FROM account a
                   WHERE NOT EXISTS (SELECT 1 FROM mandate m WHERE m.account_no = a.account_no)
                   ORDER BY a.account_no""")
    return cur.fetchall()


def first_collection_date(cur) -> date | None:
    """The latest bills' due date while no collection ever ran, else None."""
    cur.execute("""SELECT max(due_on) AS due FROM bill WHERE NOT EXISTS (SELECT 1 FROM collection_run)""")
    return cur.fetchone()["due"]
