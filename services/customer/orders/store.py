"""All SQL of product orders; the customer, service and write-back rows they share are in ../store.py.

Functions take an open cursor so the caller decides the transaction; rows come back as dicts.
"""
from __future__ import annotations

from psycopg2.errors import UniqueViolation

from services.common.errors import NotFound

from .domain import OPEN_STATES

_PREMISES = """
    SELECT p.id AS premises_id, p.address, p.area_code, st.station_code, st.station_name
      FROM premises p
      LEFT JOIN area_station ast ON ast.area_code = p.area_code
      LEFT JOIN station st ON st.station_code = ast.station_code"""

_ORDER = f"""
    SELECT o.id, o.order_no, o.order_type, o.state, o.state_detail, o.work_order_no, o.note,
           o.appointment_day, o.appointment_slot, o.ordered_at, o.ordered_by, o.updated_at, o.completed_at,
           o.customer_id, o.service_id, o.from_service_id, o.premises_id, o.account_id,
           c.customer_no, c.name AS customer_name, s.service_no, s.kind, s.product_code, s.product_name,
           f.service_no AS from_service_no, a.account_no,
           (SELECT row_to_json(p) FROM ({_PREMISES} WHERE p.id = o.premises_id) p) AS premises
      FROM product_order o
      JOIN customer c ON c.id = o.customer_id
      JOIN service s ON s.id = o.service_id
      LEFT JOIN service f ON f.id = o.from_service_id
      LEFT JOIN account a ON a.id = o.account_id"""


def premises(cur, customer_id: int, premises_id: int | None) -> dict:
    """The customer's premises with its station: the one named, else the customer's first."""
    cur.execute(f"{_PREMISES} WHERE p.customer_id = %s AND (%s::bigint IS NULL OR p.id = %s) ORDER BY p.id LIMIT 1",
                (customer_id, premises_id, premises_id))
    row = cur.fetchone()
    if row is None:
        raise NotFound("premises not found for this customer" if premises_id
                       else "the customer has no premises: give the address", reason="premises-not-found")
    return row


def account(cur, customer_id: int, account_no: str) -> int:
    cur.execute("SELECT id FROM account WHERE customer_id = %s AND account_no = %s AND status = 'active'",
                (customer_id, account_no))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no open account {account_no} of this customer", reason="account-not-found")
    return row["id"]


def primary_phone(cur, customer_id: int) -> str | None:
    cur.execute("SELECT phone FROM customer_phone WHERE customer_id = %s ORDER BY is_primary DESC, phone LIMIT 1",
                (customer_id,))
    row = cur.fetchone()
    return row["phone"] if row else None


def id_by_request(cur, request_id: str) -> str | None:
    cur.execute("SELECT order_no FROM product_order WHERE request_id = %s", (request_id,))
    row = cur.fetchone()
    return row["order_no"] if row else None


def open_order_of(cur, service_id: int) -> str | None:
    """The open order on this existing service: as the service it changes, or the line a conversion replaces."""
    cur.execute("SELECT order_no FROM product_order WHERE COALESCE(from_service_id, service_id) = %s"
                " AND state = ANY(%s)", (service_id, list(OPEN_STATES)))
    row = cur.fetchone()
    return row["order_no"] if row else None


def insert_order(cur, **values) -> str | None:
    """The new order's number; None when another order took the request id or the service meanwhile."""
    cols = ", ".join(values)
    cur.execute("SAVEPOINT insert_order")
    try:
        cur.execute(f"INSERT INTO product_order ({cols}) VALUES ({', '.join(f'%({c})s' for c in values)})"
                    " RETURNING order_no", values)
    except UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT insert_order")
        return None
    return cur.fetchone()["order_no"]


def order(cur, order_no: str, lock: bool = False) -> dict:
    cur.execute(f"{_ORDER} WHERE o.order_no = %s" + (" FOR UPDATE OF o" if lock else ""), (order_no,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"product order {order_no} not found", reason="order-not-found")
    return row


def orders_of(cur, customer_id: int, offset: int, limit: int) -> tuple[list[dict], int]:
    cur.execute("SELECT count(*) AS n FROM product_order WHERE customer_id = %s", (customer_id,))
    total = cur.fetchone()["n"]
    cur.execute(f"{_ORDER} WHERE o.customer_id = %s ORDER BY o.id DESC OFFSET %s LIMIT %s",
                (customer_id, offset, limit))
    return cur.fetchall(), total


def set_state(cur, order_id: int, state: str, actor: str, detail: str | None = None) -> None:
    cur.execute("""UPDATE product_order SET state = %s, state_detail = COALESCE(%s, state_detail),
                          updated_at = now(), updated_by = %s,
                          completed_at = CASE WHEN %s = 'completed' THEN now() ELSE completed_at END
                    WHERE id = %s""", (state, detail, actor, state, order_id))


def set_work_order(cur, order_id: int, work_order_no: str, actor: str) -> None:
    cur.execute("UPDATE product_order SET work_order_no = %s, updated_at = now(), updated_by = %s WHERE id = %s",
                (work_order_no, actor, order_id))


def legacy_key(cur, customer_id: int, system: str) -> str | None:
    """The customer's (first) record in a legacy system."""
    cur.execute("SELECT legacy_key FROM legacy_link WHERE customer_id = %s AND system = %s ORDER BY linked_at LIMIT 1",
                (customer_id, system))
    row = cur.fetchone()
    return row["legacy_key"] if row else None


def link(cur, system: str, key: str, customer_id: int) -> None:
    cur.execute("INSERT INTO legacy_link (system, legacy_key, customer_id, method) VALUES (%s, %s, %s, 'ordered')"
                " ON CONFLICT DO NOTHING", (system, key, customer_id))


def service_with_legacy_ref(cur, origin: str, legacy_ref: str) -> str | None:
    cur.execute("SELECT service_no FROM service WHERE origin = %s AND legacy_ref = %s", (origin, legacy_ref))
    row = cur.fetchone()
    return row["service_no"] if row else None


def put_device(cur, *, customer_id: int, premises_id: int | None, kind: str, serial: str, paired_serial: str | None,
               model: str | None) -> int:
    """A device installed at the customer's premises, as the SMS holds it (the sync then finds it the same)."""
    cur.execute("""INSERT INTO device (customer_id, premises_id, kind, serial, paired_serial, model, status, origin)
                   VALUES (%s, %s, %s, %s, %s, %s, 'active', 'sms')
                   ON CONFLICT (kind, serial) DO UPDATE
                      SET customer_id = EXCLUDED.customer_id, premises_id = EXCLUDED.premises_id,
                          paired_serial = EXCLUDED.paired_serial, model = COALESCE(EXCLUDED.model, device.model),
                          status = 'active'
                   RETURNING id""", (customer_id, premises_id, kind, serial, paired_serial, model))
    return cur.fetchone()["id"]


def retire_device(cur, kind: str, serial: str) -> None:
    cur.execute("UPDATE device SET status = 'retired', paired_serial = NULL WHERE kind = %s AND serial = %s",
                (kind, serial))


def card(cur, serial: str | None) -> dict | None:
    cur.execute("SELECT * FROM device WHERE kind = 'smart_card' AND serial = %s", (serial,))
    return cur.fetchone()


def activate_service(cur, service_id: int, legacy_ref: str | None, device_id: int | None, actor: str) -> None:
    cur.execute("""UPDATE service SET state = 'active', legacy_ref = %s, device_id = COALESCE(%s, device_id),
                          started_at = now(), updated_at = now(), updated_by = %s
                    WHERE id = %s""", (legacy_ref, device_id, actor, service_id))


def move_services(cur, from_device: int, to_device: int, actor: str) -> None:
    """Every service on a replaced card now on its successor (the SMS moved all the card's products)."""
    cur.execute("UPDATE service SET device_id = %s, updated_at = now(), updated_by = %s WHERE device_id = %s",
                (to_device, actor, from_device))


def move_service(cur, service_id: int, premises_id: int, actor: str) -> None:
    cur.execute("UPDATE service SET premises_id = %s, updated_at = now(), updated_by = %s WHERE id = %s",
                (premises_id, actor, service_id))


def move_devices(cur, card_serial: str, premises_id: int) -> None:
    """The service's card and the box paired with it go with the household."""
    cur.execute("""UPDATE device d SET premises_id = %s FROM device card
                    WHERE card.kind = 'smart_card' AND card.serial = %s
                      AND (d.id = card.id OR (d.kind = 'stb' AND d.serial = card.paired_serial))""",
                (premises_id, card_serial))
