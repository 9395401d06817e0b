"""The SQL of the technicians' field work: their change feed and the customer's confirmation code."""
from __future__ import annotations

from ..domain.feed import Change
from ..domain.states import OPEN_STATES
from ..store import EARLIER_VISITS, ORDER_COLUMNS

# A change after the cursor: an order of theirs that changed, or one that left them. Each side reads its
# (technician, change_seq) index in order and stops at the page's end; the two are merged by number.
_CHANGED = """(SELECT change_seq AS seq, work_order_no, false AS removed FROM work_order
                WHERE technician = %(technician)s AND change_seq > %(since)s ORDER BY change_seq LIMIT %(n)s)
              UNION ALL
              (SELECT change_seq, work_order_no, true FROM technician_removal
                WHERE technician = %(technician)s AND change_seq > %(since)s ORDER BY change_seq LIMIT %(n)s)
              ORDER BY seq LIMIT %(n)s"""
# The first pull: what the technician has to do now.
_CURRENT = f"""SELECT change_seq AS seq, work_order_no, false AS removed FROM work_order
                WHERE technician = %(technician)s AND state IN ({", ".join(f"'{s}'" for s in OPEN_STATES)})
                ORDER BY change_seq LIMIT %(n)s"""


def horizon(cur, technician: str) -> int:
    """Wait for the changes of this technician's orders still in flight (migration 0020), then the last
    change number taken: every change of theirs up to it is committed, every later one will be numbered
    higher. The lock is the transaction's: the feed must be read in the same one."""
    cur.execute("""SELECT pg_advisory_xact_lock(20, hashtext(%s)),
                          CASE WHEN is_called THEN last_value ELSE 0 END AS horizon FROM work_order_change_seq""",
                (technician,))
    return cur.fetchone()["horizon"]


def feed(cur, technician: str, since: int | None, n: int) -> tuple[list[Change], dict[str, dict]]:
    """Up to n changes after `since` (None: the current open orders) in number order, and each changed
    order as the phone shows it, with its earlier visits: one query, however many orders."""
    cur.execute(f"""WITH c AS ({_CURRENT if since is None else _CHANGED})
                    SELECT c.seq, c.removed, c.work_order_no AS change_no, o.*
                      FROM c LEFT JOIN LATERAL (
                           SELECT {ORDER_COLUMNS},
                                  (SELECT coalesce(json_agg(e), '[]') FROM ({EARLIER_VISITS}) e) AS earlier_visits
                             FROM work_order w JOIN station s ON s.station_code = w.station_code
                            WHERE w.work_order_no = c.work_order_no AND NOT c.removed) o ON true
                     ORDER BY c.seq""", {"technician": technician, "since": since, "n": n})
    rows = cur.fetchall()
    changes = [Change(r["seq"], r["change_no"], r["removed"]) for r in rows]
    return changes, {r["work_order_no"]: r for r in rows if not r["removed"]}


def confirmation_code(cur, work_order_id: int) -> dict:
    """The customer's code for the order and the wrong tries typed since it was given."""
    cur.execute("""SELECT w.confirmation_code AS code, coalesce(c.tries, 0) AS wrong_tries
                     FROM work_order w LEFT JOIN wrong_confirmation_code c ON c.work_order_id = w.id
                    WHERE w.id = %s""", (work_order_id,))
    return cur.fetchone()


def count_wrong_code(cur, work_order_id: int, technician: str) -> int:
    """One more wrong try on the order; the tries so far."""
    cur.execute("""INSERT INTO wrong_confirmation_code (work_order_id, tries, last_tried_by) VALUES (%s, 1, %s)
                   ON CONFLICT (work_order_id) DO UPDATE
                   SET tries = wrong_confirmation_code.tries + 1, last_tried_at = now(),
                       last_tried_by = EXCLUDED.last_tried_by
                   RETURNING tries""", (work_order_id, technician))
    return cur.fetchone()["tries"]


def new_confirmation_code(cur, work_order_id: int, actor: str) -> None:
    """A fresh code (the column's default, the one strong source) and no wrong tries against it."""
    cur.execute("""UPDATE work_order SET confirmation_code = DEFAULT, updated_at = now(), updated_by = %s
                   WHERE id = %s""", (actor, work_order_id))
    cur.execute("DELETE FROM wrong_confirmation_code WHERE work_order_id = %s", (work_order_id,))
