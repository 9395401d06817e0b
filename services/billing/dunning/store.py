"""All of dunning's SQL: ladders, the overdue services and their cases, steps, restorations, holds, tags
and write-offs. Selections are set-based; the per-service decision is the caller's (domain/dunning.py)."""
from __future__ import annotations

from datetime import date

from psycopg2.extras import execute_values

from services.common.errors import NotFound

LADDER_FIELDS = ("reminder_after_days", "notice_after_days", "suspension_grace_working_days",
                 "write_off_after_days", "exempt_tiers", "exempt_tags", "exempt_steps")
# Two runs at once (the worker's timer and a supervisor's request) would find the same services.
RUN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('billing.dunning.run'))"

# --- ladders ------------------------------------------------------------------------------------------


def ladders(cur) -> list[dict]:
    cur.execute(f"SELECT applies_to, {', '.join(LADDER_FIELDS)}, updated_by, updated_at "
                "FROM dunning_ladder ORDER BY applies_to = 'default' DESC, applies_to")
    return cur.fetchall()


def replace_ladders(cur, rows: list[dict], actor: str) -> None:
    """The whole configuration at once: ladders not in `rows` are removed."""
    cur.execute("LOCK TABLE dunning_ladder IN SHARE ROW EXCLUSIVE MODE")
    cur.execute("DELETE FROM dunning_ladder WHERE NOT (applies_to = ANY(%s))", ([r["applies_to"] for r in rows],))
    execute_values(cur, f"""
        INSERT INTO dunning_ladder (applies_to, {', '.join(LADDER_FIELDS)}, updated_by) VALUES %s
        ON CONFLICT (applies_to) DO UPDATE SET
            {', '.join(f'{f} = EXCLUDED.{f}' for f in LADDER_FIELDS)}, updated_by = EXCLUDED.updated_by,
            updated_at = now()""",
                   [(r["applies_to"], *(r[f] for f in LADDER_FIELDS), actor) for r in rows])

# --- the run --------------------------------------------------------------------------------------------


def lock_run(cur) -> None:
    cur.execute(RUN_LOCK)


def lock_overdue_accounts(cur, as_of: date) -> None:
    """settle()'s lock of every account with something overdue, taken before the run reads what is
    overdue: a payment committed meanwhile is then seen, and one still settling waits and then finds the
    case this run opens (asking its service back at once), instead of a suspension going out for arrears
    that were just paid."""
    cur.execute("""SELECT 1 FROM account WHERE account_no IN (
                       SELECT b.account_no FROM bill_open o JOIN bill b ON b.id = o.bill_id WHERE o.due_on < %s
                       AND b.hold_reason IS NULL AND b.state <> 'written_off')
                   ORDER BY account_no FOR NO KEY UPDATE""", (as_of,))


# Each service with an overdue open share on a bill not on hold (never the '' share of no service), its
# ladder (its product's category, else its kind, else the default), its account's tier and tags, and the
# steps its open case has taken. Driven by the list of bills with something open (bill_open).
OVERDUE = """
WITH overdue AS (
    SELECT s.service_no, min(b.due_on) AS oldest_due_on, sum(s.open_minor)::bigint AS overdue_minor,
           array_agg(b.id ORDER BY b.due_on, b.id) AS bill_ids
    FROM bill_open o JOIN bill b ON b.id = o.bill_id CROSS JOIN LATERAL bill_shares(b.lines, b.open_minor) s
    WHERE o.due_on < %(as_of)s AND b.hold_reason IS NULL AND b.state <> 'written_off'
      AND s.open_minor > 0 AND s.service_no <> ''
    GROUP BY s.service_no)
SELECT o.service_no, o.oldest_due_on, o.overdue_minor, o.bill_ids, sub.account_no, a.customer_no, a.tier,
       a.tags, COALESCE(lc.applies_to, lk.applies_to, 'default') AS ladder, c.id AS case_id,
       COALESCE((SELECT jsonb_object_agg(t.step, t.taken_on) FROM dunning_step t WHERE t.case_id = c.id),
                '{}') AS taken
FROM overdue o
JOIN subscription sub ON sub.service_no = o.service_no
JOIN account a ON a.account_no = sub.account_no
LEFT JOIN legacy_product_map m ON m.system = sub.origin AND m.legacy_code = sub.product_code
LEFT JOIN product p ON p.code = m.product_code
LEFT JOIN dunning_ladder lc ON lc.applies_to = p.category
LEFT JOIN dunning_ladder lk ON lk.applies_to = sub.kind
LEFT JOIN dunning_case c ON c.service_no = o.service_no AND c.closed_on IS NULL
"""


def overdue_services(cur, as_of: date) -> list[dict]:
    cur.execute(OVERDUE, {"as_of": as_of})
    return cur.fetchall()


def open_cases(cur, rows: list[tuple[str, str]], opened_on: date) -> dict[str, int]:
    """Open a case for each (service_no, account_no) without one; service_no -> case id."""
    if not rows:
        return {}
    found = execute_values(cur, """
        INSERT INTO dunning_case (service_no, account_no, opened_on)
        SELECT v.service_no, v.account_no, v.opened_on::date FROM (VALUES %s) AS v (service_no, account_no, opened_on)
        ON CONFLICT (service_no) WHERE closed_on IS NULL DO NOTHING
        RETURNING service_no, id""", [(s, a, opened_on) for s, a in rows], fetch=True)
    return {r["service_no"]: r["id"] for r in found}


def record_steps(cur, rows: list[tuple], actor: str) -> list[dict]:
    """(case_id, step, taken_on, overdue_minor, oldest_due_on, bill_ids) rows; the ones taken now (a step
    its case already has is skipped), with their request numbers."""
    if not rows:
        return []
    return execute_values(cur, """
        INSERT INTO dunning_step (case_id, step, taken_on, overdue_minor, oldest_due_on, bill_ids, taken_by)
        SELECT v.case_id, v.step, v.taken_on::date, v.overdue_minor, v.oldest_due_on::date, v.bill_ids::bigint[],
               v.taken_by
        FROM (VALUES %s) AS v (case_id, step, taken_on, overdue_minor, oldest_due_on, bill_ids, taken_by)
        ON CONFLICT (case_id, step) DO NOTHING
        RETURNING case_id, step, request_no""", [(*r, actor) for r in rows], fetch=True)


def propose_write_offs(cur, rows: list[tuple[str, str, int]], proposed_on: date) -> int:
    """(account_no, service_no, overdue_minor) rows: each joins its account's open proposal, or opens one."""
    if not rows:
        return 0
    cur.execute("""
        INSERT INTO write_off (account_no, service_nos, proposed_on, proposed_minor)
        SELECT account_no, array_agg(service_no ORDER BY service_no), %s, sum(overdue_minor)
        FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS v (account_no, service_no, overdue_minor)
        GROUP BY account_no
        ON CONFLICT (account_no) WHERE state = 'proposed' DO UPDATE SET
            service_nos = ARRAY(SELECT DISTINCT unnest(write_off.service_nos || EXCLUDED.service_nos) ORDER BY 1),
            proposed_minor = write_off.proposed_minor + EXCLUDED.proposed_minor""",
                (proposed_on, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
    return cur.rowcount

# --- restoration ---------------------------------------------------------------------------------------


# Open cases with the due date of their service's oldest open share on a bill of the case's account not on
# hold (NULL: nothing open), and whether the case suspended the service; for some accounts, or every open
# case. The account's open bills are found through bill_open, and each one's shares computed from its lines.
OPEN_CASES = """
SELECT c.id, c.service_no, c.account_no, a.customer_no,
       EXISTS (SELECT 1 FROM dunning_step t WHERE t.case_id = c.id AND t.step = 'suspend') AS suspended,
       (SELECT min(b.due_on) FROM bill_open o JOIN bill b ON b.id = o.bill_id
            CROSS JOIN LATERAL bill_shares(b.lines, b.open_minor) s
        WHERE o.account_no = c.account_no AND s.service_no = c.service_no AND s.open_minor > 0
          AND b.hold_reason IS NULL) AS oldest_due_on
FROM dunning_case c JOIN account a ON a.account_no = c.account_no
WHERE c.closed_on IS NULL
"""


def open_cases_of(cur, account_nos: list[str] | None) -> list[dict]:
    if account_nos is None:
        cur.execute(OPEN_CASES)
    else:
        cur.execute(OPEN_CASES + " AND c.account_no = ANY(%s)", (list(account_nos),))
    return cur.fetchall()


def close_cases(cur, case_ids: list[int], closed_on: date) -> None:
    if case_ids:
        cur.execute("UPDATE dunning_case SET closed_on = %s WHERE id = ANY(%s) AND closed_on IS NULL",
                    (closed_on, case_ids))


def claim_restorations(cur, case_ids: list[int], closed_on: date) -> list[dict]:
    """Close these cases with a restoration request number each; only the ones still open (a concurrent
    caller that got there first keeps its own)."""
    if not case_ids:
        return []
    cur.execute("""
        UPDATE dunning_case SET closed_on = %s, restoration_request = 'Q' || nextval('dunning_request_no_seq')
        WHERE id = ANY(%s) AND closed_on IS NULL
        RETURNING id, service_no, restoration_request""", (closed_on, case_ids))
    return cur.fetchall()


def withdraw_stale_write_offs(cur, actor: str) -> int:
    """Proposals none of whose services is still in arrears (paid before a decision) are withdrawn."""
    cur.execute("""
        UPDATE write_off w SET state = 'withdrawn', decided_by = %s, decided_at = now(),
            note = 'arrears cleared before a decision'
        WHERE w.state = 'proposed' AND NOT EXISTS (
            SELECT 1 FROM dunning_case c WHERE c.service_no = ANY(w.service_nos) AND c.closed_on IS NULL)""",
                (actor,))
    return cur.rowcount

# --- steps as agents read them ----------------------------------------------------------------------------


def steps(cur, account_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute("""
        SELECT c.service_no, c.account_no, t.step, t.taken_on, t.request_no, t.overdue_minor, t.oldest_due_on,
               ARRAY(SELECT b.bill_no FROM bill b WHERE b.id = ANY(t.bill_ids) ORDER BY b.due_on) AS bill_nos,
               c.closed_on, t.taken_by, count(*) OVER () AS total
        FROM dunning_step t JOIN dunning_case c ON c.id = t.case_id
        WHERE c.account_no = %s
        ORDER BY t.taken_on DESC, t.created_at DESC OFFSET %s LIMIT %s""", (account_no, offset, limit))
    rows = cur.fetchall()
    if rows or not offset:
        return rows, rows[0]["total"] if rows else 0
    cur.execute("SELECT count(*) AS total FROM dunning_step t JOIN dunning_case c ON c.id = t.case_id "
                "WHERE c.account_no = %s", (account_no,))
    return rows, cur.fetchone()["total"]

# --- holds and tags ------------------------------------------------------------------------------------


def bill_for_update(cur, bill_no: str) -> dict:
    cur.execute("""SELECT id, bill_no, account_no, due_on, amount_minor, open_minor, state, hold_reason
                   FROM bill WHERE bill_no = %s FOR UPDATE""", (bill_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no bill {bill_no}", reason="bill-not-found")
    return row


def set_hold(cur, bill_id: int, reason: str | None) -> None:
    cur.execute("UPDATE bill SET hold_reason = %s WHERE id = %s", (reason, bill_id))


def set_tags(cur, account_no: str, tags: list[str]) -> list[str]:
    """The account's tags replaced; returns the ones it had."""
    cur.execute("SELECT tags FROM account WHERE account_no = %s FOR UPDATE", (account_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no account {account_no}", reason="account-not-found")
    cur.execute("UPDATE account SET tags = %s WHERE account_no = %s", (tags, account_no))
    return row["tags"]

# --- write-offs ------------------------------------------------------------------------------------------


WRITE_OFF_COLUMNS = """w.id, w.write_off_no, w.account_no, a.customer_no, a.currency, w.service_nos, w.proposed_on,
    w.proposed_minor, w.state, w.written_off_minor, w.decided_by, w.decided_at, w.note"""


def write_offs(cur, state: str, offset: int, limit: int) -> tuple[list[dict], int]:
    where, args = ("WHERE w.state = %s", [state]) if state else ("", [])
    cur.execute(f"""SELECT {WRITE_OFF_COLUMNS}, count(*) OVER () AS total
                    FROM write_off w JOIN account a USING (account_no) {where}
                    ORDER BY w.id DESC OFFSET %s LIMIT %s""", (*args, offset, limit))
    rows = cur.fetchall()
    if rows or not offset:
        return rows, rows[0]["total"] if rows else 0
    cur.execute(f"SELECT count(*) AS total FROM write_off w {where}", args)
    return rows, cur.fetchone()["total"]


def write_off_for_update(cur, write_off_no: str) -> dict:
    cur.execute(f"""SELECT {WRITE_OFF_COLUMNS} FROM write_off w JOIN account a USING (account_no)
                    WHERE w.write_off_no = %s FOR UPDATE OF w""", (write_off_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no write-off proposal {write_off_no}", reason="write-off-not-found")
    return row


def overdue_bills(cur, account_no: str, as_of: date) -> list[dict]:
    """The account's bills overdue on `as_of` and not on hold: what an approved write-off clears."""
    cur.execute("""SELECT id, open_minor FROM bill WHERE account_no = %s AND open_minor > 0 AND due_on < %s
                   AND hold_reason IS NULL FOR UPDATE""", (account_no, as_of))
    return cur.fetchall()


def mark_written_off(cur, bill_ids: list[int]) -> None:
    """settle() calls a bill with nothing open paid; the ones the write-off cleared say so instead."""
    cur.execute("UPDATE bill SET state = 'written_off' WHERE id = ANY(%s) AND open_minor = 0", (bill_ids,))


def close_cases_of_services(cur, service_nos: list[str], closed_on: date) -> None:
    """Written off: the cases end without asking the services back."""
    cur.execute("UPDATE dunning_case SET closed_on = %s WHERE service_no = ANY(%s) AND closed_on IS NULL",
                (closed_on, service_nos))


def decide_write_off(cur, write_off_id: int, state: str, actor: str, note: str | None,
                     written_off_minor: int | None = None, ledger_entry_id: int | None = None) -> None:
    cur.execute("""UPDATE write_off SET state = %s, decided_by = %s, decided_at = now(), note = %s,
                       written_off_minor = %s, ledger_entry_id = %s WHERE id = %s""",
                (state, actor, note, written_off_minor, ledger_entry_id, write_off_id))

