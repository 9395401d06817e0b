"""The SLA clock (the dispatch worker's timer, its function run directly): a waiting order due within the
window is escalated once, recorded in its history without a change of state and listed with
?escalated=true; one past its due time is breached once with a work_order_breached event; an order whose
technician is on site, or due later, is left alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.dispatch.handlers import DispatchHandlers
from services.dispatch.settings import DispatchSettings
from services.dispatch.sla_clock.handlers import tick
from tests.integration.dispatch_env import (bearer, customer, customer_db, db, dispatch, gateway_db,  # noqa: F401
                                            gw, service_ordered)

pytestmark = pytest.mark.integration


def order(db, settings, due_in: timedelta, **fields) -> str:
    """A work order of station ST03 due `due_in` from now (negative: overdue), with `fields` set as well."""
    made = DispatchHandlers(db, settings.timezone).from_product_order(service_ordered("install", station="ST03")["data"])
    values = {"due_at": datetime.now(timezone.utc) + due_in, **fields}
    with db.transaction() as cur:
        cur.execute(f"UPDATE work_order SET {', '.join(f'{c} = %({c})s' for c in values)} WHERE work_order_no = %(no)s",
                    {**values, "no": made["work_order_no"]})
    return made["work_order_no"]


def state_of(db, work_order_no: str) -> dict:
    with db.transaction() as cur:
        cur.execute("""SELECT state, escalated_at, breached_at,
                              (SELECT array_agg(action || ':' || from_state || '>' || to_state ORDER BY t.id)
                                 FROM work_order_transition t WHERE t.work_order_id = w.id
                                  AND action IN ('escalate', 'breach')) AS clock,
                              (SELECT count(*) FROM outbox WHERE event_type = 'work_order_breached'
                                  AND payload->'data'->>'workOrderNo' = w.work_order_no) AS breach_events
                         FROM work_order w WHERE work_order_no = %s""", (work_order_no,))
        return cur.fetchone()


def test_the_clock_escalates_soon_due_orders_and_breaches_overdue_ones_once(settings, db, gw):
    clock = DispatchSettings(escalate_before_minutes=120)
    soon = order(db, settings, timedelta(minutes=90))
    overdue = order(db, settings, timedelta(minutes=-30), state="scheduled", slot_day=datetime.now().date(), slot="AM")
    later = order(db, settings, timedelta(minutes=150))
    on_site = order(db, settings, timedelta(minutes=-30), state="on_site", technician="tech-st03-1")

    first = tick(db, clock)
    assert first["escalated"] >= 2 and first["breached"] >= 1
    s, o, lt, site = (state_of(db, no) for no in (soon, overdue, later, on_site))
    assert s["escalated_at"] and not s["breached_at"] and s["clock"] == ["escalate:open>open"]
    assert o["escalated_at"] and o["breached_at"] and o["clock"] == ["escalate:scheduled>scheduled",
                                                                      "breach:scheduled>scheduled"]
    assert o["state"] == "scheduled" and o["breach_events"] == 1
    assert not (lt["escalated_at"] or lt["breached_at"] or site["escalated_at"] or site["breached_at"])

    # Again: nothing new for these orders, whatever else the shared database holds.
    tick(db, clock)
    assert state_of(db, overdue) == o and state_of(db, soon) == s

    with db.transaction() as cur:
        cur.execute("SELECT payload->'data' AS data FROM outbox WHERE event_type = 'work_order_breached' "
                    "AND payload->'data'->>'workOrderNo' = %s", (overdue,))
        event = cur.fetchone()["data"]
    assert (event["type"], event["stationCode"], event["technician"]) == ("install", "ST03", None)
    assert datetime.fromisoformat(event["dueAt"]) < o["breached_at"]

    listed = gw.get("/api/v1/workOrders?escalated=true&stationCode=ST03&limit=100", headers=bearer(gw, "supervisor"))
    numbers = {w["id"]: w for w in listed.json()["data"]}
    assert soon in numbers and overdue in numbers and later not in numbers
    assert numbers[overdue]["breached"] and not numbers[soon]["breached"]
