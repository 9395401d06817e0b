"""Conversion campaigns through the gateway: the analog homes of an area (from the real customer service's
stream) become one scheduled digital_conversion order each, on working days within the station's free
places, homes with an open order skipped; the same Idempotency-Key answers the same campaign; bad requests
are clear 4xx and make nothing."""
from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common import workcalendar_store
from tests.integration.customer_env import autocommit
from tests.integration.dispatch_env import (bearer, customer, customer_db, customer_with_line, db, dispatch,  # noqa: F401
                                            gateway_db, gw)
from tests.integration.test_gateway import assert_problem

pytestmark = pytest.mark.integration
CAPACITY, SHARE, PREBOOKED = 3, 2, 2
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def area(settings, customer_db, db):
    """An area of its own, covered by a station of its own with 3 places a slot, 2 of them taken on the
    first day's morning; 5 analog homes in it, on different streets. Yields (area, station, service nos)."""
    n = uuid.uuid4().int % 10**6
    area_code, station = f"9{n:06d}", f"SC{n:06d}"
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO customer.station VALUES (%s, '整转测试站')", (station,))
        cur.execute("INSERT INTO customer.area_station VALUES (%s, %s)", (area_code, station))
    # One more home in an area no station covers (as imported premises may be): nobody can visit it.
    nowhere = f"8{n:06d}"
    customer_no, _ = customer_with_line(settings, customer_db, area_code="0101")
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("UPDATE customer.premises SET area_code = %s WHERE customer_id = "
                    "(SELECT id FROM customer.customer WHERE customer_no = %s)", (nowhere, customer_no))
    services = []
    for street in ("E", "C", "A", "D", "B"):
        customer_no, service_no = customer_with_line(settings, customer_db, area_code=area_code)
        with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
            cur.execute("""UPDATE customer.premises SET address = %s WHERE customer_id =
                           (SELECT id FROM customer.customer WHERE customer_no = %s)""", (f"{street} 路 1 号", customer_no))
        services.append((street, customer_no, service_no))
    with db.transaction() as cur:
        cur.execute("INSERT INTO station (station_code, station_name, slot_capacity) VALUES (%s, '整转测试站', %s)",
                    (station, CAPACITY))
        cur.execute("INSERT INTO slot_booking VALUES (%s, %s, 'AM', %s)", (station, first_working_day(cur), PREBOOKED))
    yield area_code, station, services, nowhere


def start_day() -> date:
    return datetime.now(TZ).date() + timedelta(days=7)


def first_working_day(cur) -> date:
    return workcalendar_store.load(cur).next_working_day(start_day())


def start(gw, body: dict, key: str | None = None, role: str = "supervisor"):
    headers = {**bearer(gw, role), **({"Idempotency-Key": key} if key else {})}
    return gw.post("/api/v1/conversionCampaigns", json=body, headers=headers)


def finished(gw, reply) -> dict:
    """The campaign once it is done (a loaded machine may answer 202 first)."""
    assert reply.status_code in (200, 201, 202), reply.text
    campaign = reply.json()
    deadline = time.monotonic() + 60
    while campaign["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        campaign = gw.get(reply.headers["Location"], headers=bearer(gw, "supervisor")).json()
    return campaign


def campaign_orders(gw, campaign_no: str) -> list[dict]:
    reply = gw.get(f"/api/v1/workOrders?campaignNo={campaign_no.lower()}&limit=100", headers=bearer(gw, "supervisor"))
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def test_a_campaign_books_each_analog_home_into_free_places_on_working_days(settings, gw, db, area):
    area_code, station, services, nowhere = area
    # The home on street D already has a repair visit coming: the campaign leaves it to that one.
    _, busy_customer, busy_service = services[3]
    fault = gw.post("/api/v1/workOrders", json={"customerNo": busy_customer, "serviceNo": busy_service,
                                                "description": "图像不清"},
                    headers={**bearer(gw, "agent"), "Idempotency-Key": str(uuid.uuid4())})
    assert fault.status_code == 201, fault.text

    body = {"name": "整转测试", "areaCodes": [area_code, nowhere], "startDay": start_day().isoformat(), "visitsPerSlot": SHARE}
    key = str(uuid.uuid4())
    reply = start(gw, body, key)
    campaign = finished(gw, reply)
    assert campaign["id"].startswith("K") and reply.headers["Location"].endswith(campaign["id"])
    assert (campaign["state"], campaign["orders"], campaign["skipped"], campaign["unrouted"]) == ("completed", 4, 1, 1)
    assert [s["stationCode"] for s in campaign["stations"]] == [station]
    assert set(campaign["phases"]) >= {"stream", "load", "schedule", "orders", "commit"}

    orders = campaign_orders(gw, campaign["id"])
    assert len(orders) == 4 and busy_service not in {o["serviceNo"] for o in orders}
    assert {(o["type"], o["state"], o["source"], o["campaignNo"], o["premises"]["stationCode"]) for o in orders} == {
        ("digital_conversion", "scheduled", "campaign", campaign["id"], station)}
    with db.transaction() as cur:
        calendar = workcalendar_store.load(cur)
        first = first_working_day(cur)
        cur.execute("SELECT day, slot, booked FROM slot_booking WHERE station_code = %s", (station,))
        booked = {(r["day"].isoformat(), r["slot"]): r["booked"] for r in cur.fetchall()}
        cur.execute("SELECT count(*) AS n FROM outbox WHERE event_type = 'work_order_created' AND "
                    "payload->'data'->>'campaignNo' = %s", (campaign["id"],))
        per_order_events = cur.fetchone()["n"]
        cur.execute("SELECT payload->'data' AS data FROM outbox WHERE event_type = 'conversion_campaign_scheduled' "
                    "AND payload->'data'->>'campaignNo' = %s", (campaign["id"],))
        [event] = [r["data"] for r in cur.fetchall()]
    # Homes in address order (A, B, C, E): 1 free place on the first morning, then the share of each slot,
    # working days only.
    visits = sorted((o["slot"]["day"], o["slot"]["slot"], o["premises"]["address"][0]) for o in orders)
    assert [street for _, _, street in visits] == ["A", "B", "C", "E"]
    per_slot = Counter((o["slot"]["day"], o["slot"]["slot"]) for o in orders)
    second = calendar.add_working_days(first, 1)
    assert per_slot == {(first.isoformat(), "AM"): 1, (first.isoformat(), "PM"): 2, (second.isoformat(), "AM"): 1}
    assert all(calendar.is_working_day(date.fromisoformat(day)) for day, _ in per_slot)
    assert booked == {(first.isoformat(), "AM"): CAPACITY, (first.isoformat(), "PM"): 2, (second.isoformat(), "AM"): 1}
    assert all(datetime.fromisoformat(o["dueAt"]) == datetime.fromisoformat(o["slot"]["endsAt"]) for o in orders)
    # One event for the campaign, none per order.
    assert per_order_events == 0
    assert (event["orders"], event["skipped"], event["firstDay"], event["lastDay"]) == (
        4, 1, first.isoformat(), second.isoformat())

    # The same request again answers the same campaign; a new one finds every home already has its visit.
    again = start(gw, body, key)
    assert again.status_code == reply.status_code and again.json()["id"] == campaign["id"]
    second_campaign = finished(gw, start(gw, body, str(uuid.uuid4())))
    assert second_campaign["id"] != campaign["id"]
    assert (second_campaign["orders"], second_campaign["skipped"], second_campaign["unrouted"],
            second_campaign["state"]) == (0, 5, 1, "completed")
    assert len(campaign_orders(gw, campaign["id"])) == 4

    # A dispatcher follows it; an order names its campaign, whose record is where its history starts.
    assert gw.get(f"/api/v1/conversionCampaigns/{campaign['id']}", headers=bearer(gw, "dispatcher")).status_code == 200
    detail = gw.get(f"/api/v1/workOrders/{orders[0]['id']}", headers=bearer(gw, "supervisor")).json()
    assert (detail["campaignNo"], detail["createdBy"], detail["history"]) == (campaign["id"], "supervisor", [])


def test_an_unknown_campaign_has_no_orders_and_cannot_be_read(gw):
    assert campaign_orders(gw, "K1") == []
    assert_problem(gw.get("/api/v1/conversionCampaigns/K1", headers=bearer(gw, "supervisor")), 404,
                   "campaign-not-found")


@pytest.mark.parametrize("change, status, reason", [
    ({"startDay": "2020-01-01"}, 422, "invalid-start-day"),
    ({"areaCodes": []}, 422, None),
    ({"areaCodes": ["01 01"]}, 422, None),
    ({"visitsPerSlot": 0}, 422, None),
    ({"name": ""}, 422, None),
    ({"startDay": "soon"}, 422, None),
    ({"colour": "blue"}, 422, None),
])
def test_bad_requests_are_refused_and_make_nothing(gw, db, area, change, status, reason):
    area_code = area[0]
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM campaign")
        before = cur.fetchone()["n"]
    body = {"name": "坏请求", "areaCodes": [area_code], "startDay": start_day().isoformat(), "visitsPerSlot": 1, **change}
    reply = start(gw, body, str(uuid.uuid4()))
    assert reply.status_code == status, reply.text
    if reason:
        assert_problem(reply, status, reason)
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM campaign")
        assert cur.fetchone()["n"] == before


def test_only_oversight_starts_a_campaign_and_only_with_a_key(gw, area):
    body = {"name": "整转", "areaCodes": [area[0]], "startDay": start_day().isoformat(), "visitsPerSlot": 1}
    assert_problem(start(gw, body), 400, "idempotency-key-required")
    for role in ("counter", "dispatcher", "technician"):
        assert start(gw, body, str(uuid.uuid4()), role=role).status_code == 403
