"""A bank's file applied, set-based: its lines are COPYed into a staging table, then each step is one
statement over all of them (match, post, fail and schedule, flag mandates, queue exceptions).

Result files (回盘, pain.002, camt.054) answer debits: a paid debit becomes a payment (bank_debit) and a
ledger entry, a failed one records its reason and what follows (domain/retry.py). Agency files list
payments taken at the bank's own counters for our account numbers (method agency)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from psycopg2 import sql
from psycopg2.extras import Json

from services.common.audit import audit_many
from services.common.copy import CopyWriter, column_lines
from services.common.db import planner_settings
from services.common.errors import IllegalTransition, NotFound
from services.common.outbox import emit_many
from services.common.workcalendar import WorkingCalendar

from .. import store as ledger
from ..domain import retry
from ..dunning.handlers import request_restorations
from ..service import NAME
from .model import ReturnFile
from .rules import after_failure, leaving
from .store import BULK_WORK_MEM

LINE_COLUMNS = ("line_no", "reference", "account_number", "amount_minor", "ok", "bank_reason", "reason", "message")


@dataclass(frozen=True)
class Upload:
    bank_code: str
    kind: str                     # result | agency
    file_name: str
    sha256: str
    actor: str


# Held by the session applying a file, from its claim to its last part: a file still applying whose lock
# is free was left by an attempt that ended, and the same file uploaded again finishes it.
_FILE_LOCK = "hashtext('billing.bank_file'), %s::int"


def claim(cur, up: Upload, fmt: str, bank_file_id: str | None, batch_no: str | None, lines: int) -> tuple[int, bool]:
    """The file's row and whether this session is to apply it: a new row, or one an earlier attempt left
    applying (its process ended, so this session could take the file's lock). (the earlier row, False) when
    the same file (content, or the bank's own file id) was applied before or is being applied now. A
    concurrent upload of the same file waits here until the first one's row is committed."""
    cur.execute("""
        INSERT INTO bank_file (bank_code, kind, format, file_name, content_sha256, bank_file_id, batch_no, state,
                               lines, uploaded_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, 'applying', %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
                (up.bank_code, up.kind, fmt, up.file_name or None, up.sha256, bank_file_id, batch_no, lines, up.actor))
    row = cur.fetchone()
    if row:
        lock(cur, row["id"])
        return row["id"], True
    cur.execute("""SELECT id, state FROM bank_file WHERE bank_code = %s AND kind = %s AND state <> 'rejected'
                     AND (content_sha256 = %s OR bank_file_id = %s) ORDER BY id LIMIT 1""",
                (up.bank_code, up.kind, up.sha256, bank_file_id))
    row = cur.fetchone()
    if row["state"] == "applying":
        cur.execute(f"SELECT pg_try_advisory_lock({_FILE_LOCK}) AS locked", (row["id"],))
        return row["id"], cur.fetchone()["locked"]
    return row["id"], False


def lock(cur, file_id: int) -> None:
    cur.execute(f"SELECT pg_advisory_lock({_FILE_LOCK})", (file_id,))


def unlock(cur, file_id: int) -> None:
    cur.execute(f"SELECT pg_advisory_unlock({_FILE_LOCK})", (file_id,))


def record_rejected(cur, up: Upload, fmt: str | None, errors: list[dict]) -> int:
    cur.execute("""
        INSERT INTO bank_file (bank_code, kind, format, file_name, content_sha256, state, errors, uploaded_by)
        VALUES (%s, %s, %s, %s, %s, 'rejected', %s, %s) RETURNING id""",
                (up.bank_code, up.kind, fmt, up.file_name or None, up.sha256, Json(errors), up.actor))
    return cur.fetchone()["id"]


def known_batch(cur, batch_no: str, bank_code: str) -> bool:
    cur.execute("SELECT 1 FROM debit_batch WHERE batch_no = %s AND bank_code = %s", (batch_no, bank_code))
    return cur.fetchone() is not None


_STAGE_BATCH = 100_000


def _stage(cur, result: ReturnFile) -> None:
    cur.execute("""CREATE TEMP TABLE bank_line (line_no INT, reference TEXT, account_number TEXT, amount_minor BIGINT,
                       ok BOOLEAN, bank_reason TEXT, reason TEXT, message TEXT) ON COMMIT DROP""")
    if not result.lines:
        return
    # Written a column at a time (column_lines), as the lines are held: 333,333 lines in 0.44 s against 0.70 s
    # row by row.
    numbers, references, accounts, amounts, oks, codes, reasons, messages, *_ = result.lines.columns
    columns = [list(map(str, numbers)), references, accounts, [None if a is None else str(a) for a in amounts],
               ["t" if ok else "f" for ok in oks], [c or None for c in codes], reasons, [m or None for m in messages]]
    writer = CopyWriter(cur, "bank_line", LINE_COLUMNS, batch=_STAGE_BATCH)
    for start in range(0, len(numbers), _STAGE_BATCH):
        writer.add_block(column_lines([c[start:start + _STAGE_BATCH] for c in columns]),
                         min(_STAGE_BATCH, len(numbers) - start))
    writer.flush()


# --- result files ---------------------------------------------------------------------------------------
#
# A result file is applied in parts, each in a transaction of its own on a connection of its own, so that a
# file of a million lines keeps both cores busy: its matched lines are split by ranges of our account
# numbers, so no two parts touch the same account, bill, mandate or dunning case, and none waits for
# another. A file small enough for one part is applied in one transaction, all of it or nothing. A file
# whose attempt ended between parts stays 'applying'; the same file uploaded again applies the parts not yet
# recorded (a debit answered by an earlier part is no longer awaiting an answer, so nothing is applied twice).


def line_table(file_id: int) -> sql.Identifier:
    """The file's matched lines, read by every part: unlogged (a lost table is staged again from the file
    uploaded again) and dropped once the file is applied."""
    return sql.Identifier(f"bank_file_lines_{file_id}")


def stage_result(cur, file_id: int, up: Upload, result: ReturnFile, parts: int) -> None:
    """The file's lines matched to the bank's debits, each with the part that applies it."""
    _bulk_settings(cur)
    _stage(cur, result)
    if result.group_status == "RJCT" and not result.lines and result.batch_no:
        # A pain.002 refusing the whole batch: every debit still awaiting an answer failed for its reason.
        cur.execute("""INSERT INTO bank_line SELECT 0, d.debit_no, d.bank_account_no, d.amount_minor, false, NULL,
                           %s, 'batch rejected' FROM debit d JOIN debit_batch k ON k.id = d.batch_id
                       WHERE k.batch_no = %s AND k.bank_code = %s AND d.state = 'sent'""",
                    (result.group_reason or "other", result.batch_no, up.bank_code))
    bounds = []
    if parts > 1:
        # The parts' bounds from the accounts of a sample of about ten thousand lines: as balanced, for a
        # fraction of the lookups.
        cur.execute("""SELECT percentile_disc(%(at)s::float8[]) WITHIN GROUP (ORDER BY d.account_no) AS bounds
                       FROM bank_line l JOIN debit d ON d.debit_no = l.reference AND d.bank_code = %(bank)s
                       WHERE l.line_no %% %(every)s = 0""",
                    {"at": [k / parts for k in range(1, parts)], "bank": up.bank_code,
                     "every": max(1, len(result.lines) // 10_000)})
        bounds = sorted({b for b in cur.fetchone()["bounds"] or () if b is not None})
    table = line_table(file_id)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    # In the debits' order, so that updating them walks the table and its indexes front to back.
    cur.execute(sql.SQL("""
        CREATE UNLOGGED TABLE {} AS
        SELECT l.*, d.id AS debit_id, d.attempt, width_bucket(d.account_no, %(bounds)s::text[]) AS part,
               CASE WHEN d.id IS NULL THEN 'no debit of ' || %(bank)s || ' has this reference'
                    WHEN l.amount_minor IS NOT NULL AND l.amount_minor <> d.amount_minor
                        THEN 'amount ' || l.amount_minor || ' differs from the debit''s ' || d.amount_minor
               END AS problem
        FROM bank_line l LEFT JOIN debit d ON d.debit_no = l.reference AND d.bank_code = %(bank)s
        ORDER BY d.id""").format(table), {"bank": up.bank_code, "bounds": bounds})


def apply_part(cur, file_id: int, part: int, up: Upload, today: date, calendar: WorkingCalendar,
               policy: retry.RetryPolicy) -> None:
    """One part's matched lines applied, and recorded with its counts per batch (unless an earlier attempt
    recorded it already)."""
    cur.execute("SELECT 1 FROM bank_file_part WHERE bank_file_id = %s AND part = %s", (file_id, part))
    if cur.fetchone():
        return
    _bulk_settings(cur)
    # No table a part touches is read whole by a scan. Read whole and hashed, as the planner chose for the
    # debits, accounts, bills and open bills, each part read all of each table, twice the reading of one
    # connection, and more with every month: 15.8, 14.9 and 15.6 s a file against 16-21 s. Where it would
    # still hash a table through its whole key index, the statement is steered to a loop (planner_settings).
    cur.execute("SELECT set_config('enable_seqscan', 'off', true)")
    cur.execute(sql.SQL("""CREATE TEMP TABLE line_match ON COMMIT DROP AS
                           SELECT * FROM {} WHERE part = %s AND problem IS NULL ORDER BY debit_id""")
                .format(line_table(file_id)), (part,))
    _failure_steps(cur, today, calendar, policy)
    # Only a debit still awaiting its answer takes one: a line answered by an earlier file is a duplicate,
    # and of two files answering the same debit at once, the second waits here and then finds it answered.
    # A paid debit gets the id of the payment written for it next; a failed one its next step.
    # Each debit is found by key (a loop over the part's lines): hashed, all of them were read through the
    # key's whole index for the sixth a part answers (0.43 s of a part's 1.5 s at one month of debits), and
    # more every month. Only the lines can drive the loop, as only the debits can be looked up.
    with planner_settings(cur, enable_hashjoin="off", enable_mergejoin="off"):
        cur.execute("""
            CREATE TEMP TABLE applied ON COMMIT DROP AS
            WITH u AS (
                UPDATE debit d SET state = CASE WHEN m.ok THEN 'succeeded' ELSE COALESCE(s.state, 'failed') END,
                    reason = CASE WHEN m.ok THEN NULL ELSE m.reason END, bank_reason = m.bank_reason,
                    result_file_id = %(file)s, result_on = %(today)s, result_at = now(),
                    next_attempt_on = CASE WHEN m.ok THEN NULL ELSE s.next_on END,
                    payment_id = CASE WHEN m.ok THEN nextval('payment_id_seq') END
                FROM line_match m LEFT JOIN failure_step s ON NOT m.ok AND s.reason = m.reason AND s.attempt = m.attempt
                WHERE d.id = m.debit_id AND d.state = ANY(%(from)s)
                RETURNING d.id, d.debit_no, d.bill_id, d.batch_id, d.account_no, d.mandate_id, d.amount_minor,
                          d.currency, d.attempt, m.ok, d.reason, d.payment_id, s.next_on, s.flag)
            SELECT * FROM u""",
                    {"file": file_id, "today": today, "from": leaving("debit", "succeed")})
    # Every later step reads it: without statistics the planner takes half of it for the few failures
    # and hash-joins them to every bill and account instead of looking each one up.
    cur.execute("ANALYZE applied")
    _post_debit_payments(cur, up.actor)
    failed = _fail(cur, up)
    cur.execute("""
        INSERT INTO bank_file_part (bank_file_id, part, batches)
        SELECT %s, %s, COALESCE(jsonb_agg(b), '[]') FROM (
            SELECT batch_id, count(*) FILTER (WHERE ok) AS succeeded, count(*) FILTER (WHERE NOT ok) AS failed,
                   COALESCE(sum(amount_minor) FILTER (WHERE ok), 0) AS amount_minor
            FROM applied GROUP BY batch_id) b""", (file_id, part))
    emit_many(cur, NAME, failed)


def finish_result(cur, file_id: int, up: Upload, result: ReturnFile) -> None:
    """Once every part is in: the unmatched lines queued, the batches advanced and the file's counts."""
    table = line_table(file_id)
    cur.execute("""CREATE TEMP TABLE file_batch ON COMMIT DROP AS
                   SELECT b.batch_id, sum(b.succeeded) AS succeeded, sum(b.failed) AS failed,
                          sum(b.amount_minor)::bigint AS amount_minor
                   FROM bank_file_part p
                   CROSS JOIN jsonb_to_recordset(p.batches) AS b(batch_id BIGINT, succeeded INT, failed INT,
                                                                 amount_minor BIGINT)
                   WHERE p.bank_file_id = %s GROUP BY b.batch_id""", (file_id,))
    _queue_exceptions(cur, file_id, table)
    batches = _advance_batches(cur)
    cur.execute(sql.SQL("""
        UPDATE bank_file f SET state = 'applied', applied = a.applied, succeeded = a.succeeded, failed = a.failed,
            amount_minor = a.amount_minor, exceptions = m.exceptions, duplicates = m.matched - a.applied,
            pending = %s, lines = m.lines
        FROM (SELECT COALESCE(sum(succeeded + failed), 0) AS applied, COALESCE(sum(succeeded), 0) AS succeeded,
                     COALESCE(sum(failed), 0) AS failed, COALESCE(sum(amount_minor), 0) AS amount_minor
              FROM file_batch) a,
             (SELECT count(*) AS lines, count(*) FILTER (WHERE problem IS NOT NULL) AS exceptions,
                     count(*) FILTER (WHERE problem IS NULL) AS matched FROM {}) m
        WHERE f.id = %s RETURNING file_no""").format(table), (len(result.pending_references), file_id))
    file_no = cur.fetchone()["file_no"]
    cur.execute(sql.SQL("DROP TABLE {}").format(table))
    emit_many(cur, NAME, [("debits_reconciled", {
        "bankFileId": file_no, "batchNo": b["batch_no"], "bankCode": up.bank_code, "succeeded": b["succeeded"],
        "failed": b["failed"], "amountMinor": b["amount_minor"]}) for b in batches])


def _bulk_settings(cur) -> None:
    cur.execute("SELECT set_config('work_mem', %s, true)", (BULK_WORK_MEM,))
    # A file's lines are a few of the debits and bills a year of collections leaves: each is found by
    # its key. At the default cost of a random read (4, a disk's) the planner hashed all of them instead,
    # and the file took half as long again at a year's history as at a month's (4.9 s to match the lines
    # against 12 million debits, against 1.1 s by key). The pages are in memory, as the ledger's are.
    cur.execute("SELECT set_config('random_page_cost', '1.1', true)")


def _failure_steps(cur, today: date, calendar: WorkingCalendar, policy: retry.RetryPolicy) -> None:
    """What follows each failure, decided once per reason and attempt number (they share the day)."""
    cur.execute("SELECT DISTINCT reason, attempt FROM line_match WHERE problem IS NULL AND NOT ok")
    steps = [(r["reason"], r["attempt"], after_failure(r["reason"], r["attempt"], today, calendar, policy))
             for r in cur.fetchall()]
    cur.execute("""CREATE TEMP TABLE failure_step (reason TEXT, attempt INT, state TEXT, next_on DATE, flag BOOLEAN)
                   ON COMMIT DROP""")
    if steps:
        cur.execute("INSERT INTO failure_step VALUES " + ",".join(["(%s, %s, %s, %s, %s)"] * len(steps)),
                    [v for reason, attempt, s in steps
                     for v in (reason, attempt, s.state, s.next_attempt_on, s.flag_mandate)])


def _post_debit_payments(cur, actor: str) -> None:
    cur.execute("""
        INSERT INTO payment (id, account_no, amount_minor, currency, method, reference, received_by)
        SELECT payment_id, account_no, amount_minor, currency, 'bank_debit', debit_no, %s
        FROM applied WHERE ok ORDER BY id""", (actor,))
    cur.execute("""
        INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, payment_id, note, created_by)
        SELECT account_no, 'payment', -amount_minor, currency, payment_id, 'bank debit ' || debit_no, %s
        FROM applied WHERE ok ORDER BY id""", (actor,))
    ledger.settle_bill_payments(cur, "applied", "ok")
    # Only an account with an open dunning case has a service to ask back: a few, of 300,000 paid.
    cur.execute("""SELECT DISTINCT a.account_no FROM applied a
                   JOIN dunning_case c ON c.account_no = a.account_no AND c.closed_on IS NULL WHERE a.ok""")
    request_restorations(cur, [r["account_no"] for r in cur.fetchall()], actor)


def _fail(cur, up: Upload) -> list[tuple]:
    """Mandates flagged for renewal by their debit's failure, and a debit_failed event per failed debit."""
    cur.execute("""
        UPDATE mandate m SET state = 'needs_renewal', updated_by = %(actor)s, updated_at = now(),
            state_note = 'debit failed: ' || x.reason
        FROM (SELECT DISTINCT ON (mandate_id) mandate_id, reason, debit_no FROM applied WHERE flag
              ORDER BY mandate_id, id) x
        WHERE m.id = x.mandate_id AND m.state = ANY(%(from)s)
        RETURNING m.mandate_no, x.reason, x.debit_no""",
                {"actor": up.actor, "from": leaving("mandate", "flag_renewal")})
    audit_many(cur, [("mandate", r["mandate_no"], "flag_renewal", {"reason": r["reason"], "debitNo": r["debit_no"]})
                     for r in cur.fetchall()], up.actor)
    # Each failure's bill and customer looked up by key: joined, the planner hashed every bill and account
    # (two million rows, 0.65 s a file) for the 4% of lines that failed.
    cur.execute("""
        SELECT a.debit_no, (SELECT b.bill_no FROM bill b WHERE b.id = a.bill_id) AS bill_no, a.account_no,
               (SELECT c.customer_no FROM account c WHERE c.account_no = a.account_no) AS customer_no,
               a.reason, a.next_on
        FROM applied a WHERE NOT a.ok ORDER BY a.id""")
    return [("debit_failed", {"debitId": r["debit_no"], "billNo": r["bill_no"], "accountNo": r["account_no"],
                              "customerNo": r["customer_no"], "reason": r["reason"],
                              "nextAttemptOn": r["next_on"].isoformat() if r["next_on"] else None})
            for r in cur.fetchall()]


def _queue_exceptions(cur, file_id: int, lines: sql.Identifier) -> None:
    cur.execute(sql.SQL("""
        INSERT INTO collection_exception (bank_file_id, line_no, reference, account_number, amount_minor, ok, problem)
        SELECT %s, line_no, reference, COALESCE(account_number, ''), amount_minor, ok, problem
        FROM {} WHERE problem IS NOT NULL ORDER BY line_no""").format(lines), (file_id,))


def _advance_batches(cur) -> list[dict]:
    """Batches that got answers move to result_received, and to reconciled once none awaits one."""
    cur.execute("""
        UPDATE debit_batch k SET state = CASE
                WHEN EXISTS (SELECT 1 FROM debit d WHERE d.batch_id = k.id AND d.state = 'sent') THEN 'result_received'
                ELSE 'reconciled' END
        WHERE k.id IN (SELECT batch_id FROM file_batch) AND k.state = ANY(%s)""",
                (leaving("debit_batch", "receive_result"),))
    cur.execute("""SELECT k.batch_no, b.succeeded, b.failed, b.amount_minor
                   FROM file_batch b JOIN debit_batch k ON k.id = b.batch_id ORDER BY k.batch_no""")
    return cur.fetchall()


# --- agency files ---------------------------------------------------------------------------------------


def apply_agency(cur, file_id: int, up: Upload, result: ReturnFile) -> None:
    """Payments the bank took at its counters: each posted once (its request id is the bank and its serial
    number), an unknown account queued as an exception."""
    _stage(cur, result)
    cur.execute("""
        CREATE TEMP TABLE line_match ON COMMIT DROP AS
        SELECT l.*, CASE WHEN a.account_no IS NULL THEN 'no account ' || l.account_number
                         WHEN NOT l.ok THEN 'the bank did not take this payment'
                         WHEN COALESCE(l.amount_minor, 0) <= 0 THEN 'no amount was paid' END AS problem,
               a.currency, 'agency:' || %(bank)s || ':' || l.reference AS request_id
        FROM bank_line l LEFT JOIN account a ON a.account_no = l.account_number""", {"bank": up.bank_code})
    cur.execute("""
        CREATE TEMP TABLE agency_paid ON COMMIT DROP AS
        WITH p AS (
            INSERT INTO payment (account_no, amount_minor, currency, method, counter, reference, request_id,
                                 received_by)
            SELECT account_number, amount_minor, currency, 'agency', NULL, reference, request_id, %(actor)s
            FROM line_match WHERE problem IS NULL ORDER BY line_no
            ON CONFLICT (request_id) WHERE request_id IS NOT NULL DO NOTHING
            RETURNING id, payment_no, account_no, amount_minor, currency, reference)
        SELECT * FROM p""", {"actor": up.actor})
    cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, currency, payment_id, note, created_by)
                   SELECT account_no, 'payment', -amount_minor, currency, id, 'agency ' || %s || ' ' || reference, %s
                   FROM agency_paid ORDER BY id""", (up.bank_code, up.actor))
    cur.execute("""SELECT p.payment_no, p.account_no, c.customer_no, p.amount_minor, p.currency
                   FROM agency_paid p JOIN account c USING (account_no) ORDER BY p.id""")
    paid = cur.fetchall()
    ledger.settle(cur, sorted({p["account_no"] for p in paid}))
    request_restorations(cur, sorted({p["account_no"] for p in paid}), up.actor)
    emit_many(cur, NAME, [("payment_received", {
        "paymentNo": p["payment_no"], "accountNo": p["account_no"], "customerNo": p["customer_no"],
        "amountMinor": p["amount_minor"], "currency": p["currency"], "method": "agency"}) for p in paid])
    _queue_exceptions(cur, file_id, sql.Identifier("line_match"))
    cur.execute("""
        UPDATE bank_file SET state = 'applied', applied = %(n)s, succeeded = %(n)s,
            amount_minor = (SELECT COALESCE(sum(amount_minor), 0) FROM agency_paid),
            exceptions = (SELECT count(*) FROM line_match WHERE problem IS NOT NULL),
            duplicates = (SELECT count(*) FROM line_match WHERE problem IS NULL) - %(n)s
        WHERE id = %(id)s""", {"n": len(paid), "id": file_id})

# --- reading reports and exceptions ---------------------------------------------------------------------


FILE_COLUMNS = """id, file_no, bank_code, kind, format, file_name, content_sha256, bank_file_id, batch_no, state, lines,
    applied, succeeded, failed, duplicates, exceptions, pending, amount_minor, errors, uploaded_by, uploaded_at"""


def bank_file(cur, file_no: str, bank_code: str = "") -> dict:
    cur.execute(f"SELECT {FILE_COLUMNS} FROM bank_file WHERE file_no = %s AND (%s = '' OR bank_code = %s)",
                (file_no, bank_code, bank_code))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no bank file {file_no}", reason="bank-file-not-found")
    return row


def bank_file_by_id(cur, file_id: int) -> dict:
    cur.execute(f"SELECT {FILE_COLUMNS} FROM bank_file WHERE id = %s", (file_id,))
    return cur.fetchone()


EXCEPTION_COLUMNS = """x.id, f.file_no, f.bank_code, f.kind, x.line_no, x.reference, x.account_number, x.amount_minor, x.ok,
    x.problem, x.state, x.action, x.account_no, p.payment_no, x.note, x.resolved_by, x.resolved_at"""


def exceptions(cur, *, state: str, bank_code: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute(f"""
        SELECT {EXCEPTION_COLUMNS}, count(*) OVER () AS total
        FROM collection_exception x JOIN bank_file f ON f.id = x.bank_file_id
        LEFT JOIN payment p ON p.id = x.payment_id
        WHERE (%(state)s = '' OR x.state = %(state)s) AND (%(bank)s = '' OR f.bank_code = %(bank)s)
        ORDER BY x.id OFFSET %(offset)s LIMIT %(limit)s""",
                {"state": state, "bank": bank_code, "offset": offset, "limit": limit})
    rows = cur.fetchall()
    return rows, rows[0]["total"] if rows else 0


def exception(cur, exception_id: int, lock: bool = False) -> dict:
    cur.execute(f"""SELECT {EXCEPTION_COLUMNS} FROM collection_exception x JOIN bank_file f ON f.id = x.bank_file_id
                    LEFT JOIN payment p ON p.id = x.payment_id
                    WHERE x.id = %s {'FOR UPDATE OF x' if lock else ''}""", (exception_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no collection exception {exception_id}", reason="collection-exception-not-found")
    return row


def resolve_exception(cur, row: dict, action: str, account: dict | None, note: str | None, actor: str) -> dict | None:
    """Close an open exception; apply-to-account posts its amount to the account as a payment of the file's
    channel (once: its request id is the exception). Returns the payment event's data, if any."""
    if row["state"] != "open":
        raise IllegalTransition(f"collection exception {row['id']} is already resolved ({row['action']})",
                                reason="exception-resolved")
    payment_id = event = None
    if action == "apply-to-account":
        if not row["ok"] or not row["amount_minor"]:
            raise IllegalTransition("only a paid line with an amount can be applied to an account",
                                    reason="exception-not-paid")
        method = "agency" if row["kind"] == "agency" else "bank_debit"
        cur.execute("""INSERT INTO payment (account_no, amount_minor, currency, method, reference, request_id,
                                            received_by)
                       VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, payment_no""",
                    (account["account_no"], row["amount_minor"], account["currency"], method, row["reference"],
                     f"exception:{row['id']}", actor))
        paid = cur.fetchone()
        payment_id = paid["id"]
        ledger.post(cur, account["account_no"], "payment", -row["amount_minor"], actor, payment_id=payment_id,
                    note=f"{row['bank_code']} file {row['file_no']} line {row['line_no']}", currency=account["currency"])
        ledger.settle(cur, [account["account_no"]])
        request_restorations(cur, [account["account_no"]], actor)
        event = {"paymentNo": paid["payment_no"], "accountNo": account["account_no"],
                 "customerNo": account["customer_no"], "amountMinor": row["amount_minor"],
                 "currency": account["currency"], "method": method}
    cur.execute("""UPDATE collection_exception SET state = 'resolved', action = %s, account_no = %s, payment_id = %s,
                       note = %s, resolved_by = %s, resolved_at = now() WHERE id = %s""",
                (action, account and account["account_no"], payment_id, note, actor, row["id"]))
    return event
