"""One-time fees from dispatch's completed work orders: a `work_order_completed` event becomes pending
charges, which the next billing run puts on the account's bill (runs/store.py bills pending_charge).

Payload contract, the envelope's "data" of dispatch's `work_order_completed` (the fields billing reads):

    {"workOrderNo": "W70000001", "type": "install", "customerNo": "C10000001",
     "serviceNo": "S30000001", "accountNo": "A20000001", "completedAt": "2026-12-03T10:15:00+08:00"}

workOrderNo, type, customerNo and completedAt are required, and serviceNo or accountNo. The fees of each
work order type are the table work_order_fee. A work order's fees are charged once (pending_charge is
unique by reference and product), however often the event comes. A malformed event is logged and
acknowledged: nothing is charged for it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.errors import InvalidArgument

log = logging.getLogger(__name__)

REQUIRED = ("workOrderNo", "type", "customerNo", "completedAt")
ACTOR = "dispatch"


def fees_of(data: object, tz: ZoneInfo) -> dict:
    """The pending charges' common fields from the event's data, or InvalidArgument."""
    if not isinstance(data, dict):
        raise InvalidArgument("the event has no data", reason="invalid-event")
    fields = {k: data.get(k) for k in (*REQUIRED, "serviceNo", "accountNo")}
    if not all(isinstance(fields[k], str) and fields[k] for k in REQUIRED):
        raise InvalidArgument(f"{', '.join(REQUIRED)} are required text", reason="invalid-event")
    if not (isinstance(fields["serviceNo"], str) and fields["serviceNo"]) and \
            not (isinstance(fields["accountNo"], str) and fields["accountNo"]):
        raise InvalidArgument("serviceNo or accountNo is required", reason="invalid-event")
    try:
        completed = datetime.fromisoformat(fields["completedAt"])
    except ValueError:
        raise InvalidArgument(f"completedAt {fields['completedAt']!r} is not a time", reason="invalid-event") from None
    if completed.tzinfo is None:
        raise InvalidArgument("completedAt needs its time zone", reason="invalid-event")
    return {"ref": fields["workOrderNo"], "type": fields["type"], "account_no": fields["accountNo"] or None,
            "service_no": fields["serviceNo"] or None, "occurred_on": completed.astimezone(tz).date()}


def record(cur, fee: dict) -> int:
    """Pending charges for the work order's type; how many were new."""
    cur.execute("""INSERT INTO pending_charge (account_no, service_no, product_code, occurred_on, ref, source,
                                               created_by)
                   SELECT %(account_no)s, %(service_no)s, f.product_code, %(occurred_on)s, %(ref)s,
                          'work_order', %(actor)s
                   FROM work_order_fee f WHERE f.work_order_type = %(type)s
                   ON CONFLICT (ref, product_code) DO NOTHING""", {**fee, "actor": ACTOR})
    return cur.rowcount
