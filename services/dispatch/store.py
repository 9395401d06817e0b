"""All of dispatch's core SQL: work orders, their transitions and stations."""
from __future__ import annotations

from psycopg2.extras import Json

from services.common.errors import NotFound

# The columns a work order is read with (its no, the premises and everything a phone shows).
ORDER_COLUMNS = """w.id, w.work_order_no, w.type, w.state, w.source, w.product_order_no, w.request_id, w.reference,
    w.campaign_id, w.customer_no, w.customer_name, w.contact_phone, w.account_no, w.service_no, w.from_service_no,
    w.kind, w.product_code, w.product_name, w.premises_id, w.address, w.area_code, w.station_code, s.station_name,
    w.description, w.slot_day, w.slot, w.technician, w.due_at, w.on_time, w.escalated_at, w.breached_at,
    w.accepted_at, w.arrived_at, w.completed_at, w.result, w.unfinished_count, w.unfinished_reason,
    w.created_at, w.created_by, w.updated_at, w.updated_by, w.change_seq,
    (SELECT c.campaign_no FROM campaign c WHERE c.id = w.campaign_id) AS campaign_no"""
_FROM = "work_order w JOIN station s ON s.station_code = w.station_code"

# List filters: name -> condition.
FILTERS = {
    "station_code": "w.station_code = %(station_code)s",
    "state": "w.state = %(state)s",
    "type": "w.type = %(type)s",
    "technician": "w.technician = %(technician)s",
    "customer_no": "w.customer_no = %(customer_no)s",
    "campaign_id": "w.campaign_id = %(campaign_id)s",
    "escalated_only": "w.escalated_at IS NOT NULL AND w.state NOT IN ('completed', 'cancelled')",
    "open_only": "w.state NOT IN ('completed', 'cancelled')",
}


def ensure_station(cur, station_code: str, station_name: str, area_code: str | None = None) -> None:
    """The station known (created on first sight), and, with `area_code`, known to cover that area."""
    # A station first seen without its name (a stock receipt) is named by the first order that brings it.
    cur.execute("""INSERT INTO station AS s (station_code, station_name) VALUES (%s, %s)
                   ON CONFLICT (station_code) DO UPDATE SET station_name = EXCLUDED.station_name
                   WHERE s.station_name = s.station_code AND EXCLUDED.station_name <> EXCLUDED.station_code""",
                (station_code, station_name or station_code))
    if area_code:
        cur.execute("""INSERT INTO area_station AS a (area_code, station_code) VALUES (%s, %s)
                       ON CONFLICT (area_code) DO UPDATE SET station_code = EXCLUDED.station_code, updated_at = now()
                       WHERE a.station_code <> EXCLUDED.station_code""", (area_code, station_code))


def insert_work_order(cur, values: dict) -> dict | None:
    """The new order, or None when its product order or request id already made one."""
    cols = ", ".join(values)
    cur.execute(f"INSERT INTO work_order ({cols}) VALUES ({', '.join(f'%({c})s' for c in values)})"
                " ON CONFLICT DO NOTHING RETURNING work_order_no", values)
    row = cur.fetchone()
    return work_order(cur, row["work_order_no"]) if row else None


def work_order(cur, work_order_no: str, lock: bool = False) -> dict:
    cur.execute(f"SELECT {ORDER_COLUMNS} FROM {_FROM} WHERE w.work_order_no = %s"
                + (" FOR NO KEY UPDATE OF w" if lock else ""), (work_order_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"work order {work_order_no} does not exist", reason="work-order-not-found")
    return row


def work_order_by(cur, column: str, value: str) -> dict | None:
    """The order made from this product order or request id (column product_order_no | request_id)."""
    assert column in ("product_order_no", "request_id")
    cur.execute(f"SELECT w.work_order_no FROM work_order w WHERE w.{column} = %s", (value,))
    row = cur.fetchone()
    return work_order(cur, row["work_order_no"]) if row else None


def work_orders(cur, filters: dict, offset: int, limit: int) -> tuple[list[dict], int]:
    """A page of orders, the most urgent first (due soonest, then oldest), and how many match."""
    where = " AND ".join(FILTERS[k] for k, v in filters.items() if v) or "true"
    cur.execute(f"SELECT count(*) AS n FROM work_order w WHERE {where}", filters)
    total = cur.fetchone()["n"]
    cur.execute(f"""SELECT {ORDER_COLUMNS} FROM {_FROM} WHERE {where}
                    ORDER BY w.due_at NULLS LAST, w.created_at, w.id OFFSET %(offset)s LIMIT %(limit)s""",
                {**filters, "offset": offset, "limit": limit})
    return cur.fetchall(), total


def open_work_orders(cur, customer_nos: list[str], scope: dict, limit: int) -> dict[str, list[dict]]:
    """These customers' open orders within `scope` (list filters), at most `limit` each, the most urgent
    first, with what a summary shows: one statement, no count."""
    where = "".join(f" AND {FILTERS[k]}" for k, v in scope.items() if v)
    cur.execute(f"""SELECT * FROM (
                        SELECT w.customer_no, w.work_order_no, w.type, w.state, w.slot_day, w.slot, w.technician,
                               w.due_at, w.escalated_at,
                               row_number() OVER (PARTITION BY w.customer_no
                                                  ORDER BY w.due_at NULLS LAST, w.created_at, w.id) AS n
                        FROM work_order w
                        WHERE w.customer_no = ANY(%(customer_nos)s::text[]) AND {FILTERS["open_only"]}{where}) o
                    WHERE n <= %(limit)s ORDER BY customer_no, n""", {**scope, "customer_nos": customer_nos, "limit": limit})
    orders: dict[str, list[dict]] = {}
    for row in cur.fetchall():
        orders.setdefault(row["customer_no"], []).append(row)
    return orders


def update_work_order(cur, work_order_id: int, fields: dict, actor: str) -> None:
    assignments = "".join(f"{col} = %({col})s, " for col in fields)
    cur.execute(f"UPDATE work_order SET {assignments}updated_at = now(), updated_by = %(_actor)s WHERE id = %(_id)s",
                {**{k: Json(v) if isinstance(v, (dict, list)) else v for k, v in fields.items()},
                 "_actor": actor, "_id": work_order_id})


def record_transition(cur, work_order_id: int, action: str, from_state: str | None, to_state: str, actor: str,
                      detail: dict) -> None:
    cur.execute("""INSERT INTO work_order_transition (work_order_id, action, from_state, to_state, actor, detail)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                (work_order_id, action, from_state, to_state, actor, Json(detail)))


def history(cur, work_order_id: int) -> list[dict]:
    cur.execute("""SELECT action, from_state, to_state, actor, at, detail FROM work_order_transition
                   WHERE work_order_id = %s ORDER BY at, id""", (work_order_id,))
    return cur.fetchall()


# The earlier visits of the order `w`: orders for the same customer or service made before it,
# newest first: what a technician should know before knocking (the last fault, what was installed, why a
# visit failed). A fragment on `w`, so a page of orders gets theirs in the same query (LATERAL).
EARLIER_VISITS = """SELECT v.work_order_no, v.type, v.state, v.technician, v.completed_at, v.unfinished_reason,
                           v.result->>'resultCode' AS result_code, v.result->>'notes' AS notes
                      FROM work_order v
                     WHERE (v.customer_no = w.customer_no
                            OR (w.service_no IS NOT NULL AND v.service_no = w.service_no))
                       AND v.id <> w.id AND v.created_at <= w.created_at
                     ORDER BY v.created_at DESC LIMIT 10"""


def earlier_visits(cur, order: dict) -> list[dict]:
    cur.execute(f"SELECT e.* FROM work_order w, LATERAL ({EARLIER_VISITS}) e WHERE w.id = %s", (order["id"],))
    return cur.fetchall()


def book_slot(cur, station_code: str, day, slot: str) -> bool:
    """Take a place in the station's slot; False when it is full."""
    cur.execute("""INSERT INTO slot_booking (station_code, day, slot) VALUES (%s, %s, %s)
                   ON CONFLICT DO NOTHING""", (station_code, day, slot))
    cur.execute("""UPDATE slot_booking b SET booked = booked + 1 FROM station s
                    WHERE s.station_code = b.station_code AND b.station_code = %s AND b.day = %s AND b.slot = %s
                      AND b.booked < s.slot_capacity""", (station_code, day, slot))
    return cur.rowcount == 1


def release_slot(cur, station_code: str, day, slot: str) -> None:
    """Give back an order's place (rescheduled, cancelled, re-dispatched)."""
    cur.execute("""UPDATE slot_booking SET booked = booked - 1
                    WHERE station_code = %s AND day = %s AND slot = %s AND booked > 0""", (station_code, day, slot))
