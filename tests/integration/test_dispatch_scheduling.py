"""Scheduling through the gateway and the real dispatch server: free slots by area, station or order on
working days; booking, a full slot refused, rescheduling giving the old place back, cancelling freeing
it; an appointment that comes with the product order; a dispatcher's assignment within their station;
automatic assignment by skill and load; two claims of one order of which exactly one wins."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common import workcalendar_store
from services.common.db import Database
from services.common.demo_staff import demo_technicians
from services.common.errors import IllegalTransition
from services.dispatch.demo import demo
from services.dispatch.domain.access import Actor
from services.dispatch.handlers import DispatchHandlers
from services.dispatch.scheduling.handlers import SchedulingHandlers
from tests.harness import publish_as_relay
from tests.integration.dispatch_env import (bearer, customer, customer_db, db, dispatch, gateway_db,  # noqa: F401
                                            gw, service_ordered, worker)
from tests.integration.test_dispatch_core import outbox_types
from tests.integration.test_gateway import assert_problem
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration

TZ = "Asia/Shanghai"
ALL = ["install", "repair", "relocation", "digital_conversion", "equipment_swap", "disconnect", "reconnect"]


def today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def days_ahead(db, working: bool, count: int = 1) -> list[date]:
    """The next `count` days after today that are (or are not) working days in dispatch's calendar."""
    with db.transaction() as cur:
        calendar = workcalendar_store.load(cur)
    found, d = [], today()
    while len(found) < count:
        d += timedelta(days=1)
        if calendar.is_working_day(d) == working:
            found.append(d)
    return found


def new_station() -> str:
    return f"S{uuid.uuid4().hex[:7].upper()}"


def new_order(db, station: str, order_type: str = "install", area: str = "0101") -> str:
    """A product order's work order, made as the worker makes it."""
    event = service_ordered(order_type, station=station)
    event["data"]["premises"]["areaCode"] = area
    return DispatchHandlers(db, TZ).from_product_order(event["data"])["work_order_no"]


def order_row(db, no: str) -> dict:
    with db.transaction() as cur:
        cur.execute("SELECT state, technician, slot_day, slot, due_at FROM work_order WHERE work_order_no = %s", (no,))
        return cur.fetchone()


def booked(db, station: str, day: date, slot: str) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT booked FROM slot_booking WHERE station_code = %s AND day = %s AND slot = %s",
                    (station, day, slot))
        row = cur.fetchone()
        return row["booked"] if row else 0


def last_event(db, no: str, event_type: str) -> dict:
    with db.transaction() as cur:
        cur.execute("""SELECT payload->'data' AS data FROM outbox WHERE event_type = %s
                       AND payload->'data'->>'workOrderNo' = %s ORDER BY id DESC LIMIT 1""", (event_type, no))
        return cur.fetchone()["data"]


def set_capacity(db, station: str, places: int) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE station SET slot_capacity = %s WHERE station_code = %s", (places, station))


def technician_account(gw, username: str, station: str) -> None:
    """An active technician account of the station, as an admin opens one (a demo technician has one)."""
    made = gw.post("/api/v1/staff", headers={**bearer(gw, "admin"), "Idempotency-Key": str(uuid.uuid4())},
                   json={"username": username, "role": "technician", "scope": station,
                         "password": "外勤工程师临时口令-2026"})
    assert made.status_code in (201, 409), made.text


def put_technician(gw, username: str, station: str, skills: list[str], capacity: int, active: bool = True):
    if active:
        technician_account(gw, username, station)
    response = gw.put(f"/api/v1/technicians/{username}", headers=bearer(gw, "admin"),
                      json={"stationCode": station, "skills": skills, "dailyCapacity": capacity, "active": active})
    assert response.status_code == 200, response.text
    return response.json()


def book(gw, no: str, day: date, slot: str, role: str = "counter", **headers):
    return gw.post("/api/v1/appointments", json={"workOrderNo": no, "day": day.isoformat(), "slot": slot},
                   headers={**bearer(gw, role), **headers})


def test_free_slots_of_the_station_covering_an_area(gw, db):
    area = f"9{uuid.uuid4().int % 1000:03d}"
    station = new_station()
    no = new_order(db, station, area=area)
    set_capacity(db, station, 3)
    first = days_ahead(db, working=True)[0]
    book(gw, no, first, "AM")
    counter = bearer(gw, "counter")
    reply = gw.get("/api/v1/appointmentSlots", params={"area": area, "from": first.isoformat(), "days": 10},
                   headers=counter)
    assert reply.status_code == 200, reply.text
    found = reply.json()
    assert found["stationCode"] == station and found["count"] == len(found["data"]) > 0
    assert reply.headers["X-Total-Count"] == str(found["count"])
    with db.transaction() as cur:
        calendar = workcalendar_store.load(cur)
    assert all(calendar.is_working_day(date.fromisoformat(s["day"])) for s in found["data"])
    first_am = found["data"][0]
    assert (first_am["day"], first_am["slot"], first_am["booked"], first_am["free"]) == (first.isoformat(), "AM", 1, 2)
    assert first_am["startsAt"].endswith("09:00:00+08:00") and first_am["endsAt"].endswith("12:00:00+08:00")
    by_order = gw.get("/api/v1/appointmentSlots", params={"workOrderNo": no, "from": first.isoformat(), "days": 10},
                      headers=counter).json()
    by_station = gw.get("/api/v1/appointmentSlots", params={"stationCode": station.lower(), "from": first.isoformat(),
                                                            "days": 10}, headers=counter).json()
    assert by_order == by_station == found
    # Bad searches are refused clearly.
    assert_problem(gw.get("/api/v1/appointmentSlots", headers=counter), 422, "invalid-search")
    assert_problem(gw.get("/api/v1/appointmentSlots", params={"area": area, "stationCode": station}, headers=counter),
                   422, "invalid-search")
    assert_problem(gw.get("/api/v1/appointmentSlots", params={"area": "0000x"}, headers=counter), 404, "unknown-area")
    assert_problem(gw.get("/api/v1/appointmentSlots", params={"stationCode": "NOPE"}, headers=counter),
                   404, "unknown-station")
    assert_problem(gw.get("/api/v1/appointmentSlots", params={"area": area, "from": "2100-01-01"}, headers=counter),
                   422, "too-far-ahead")
    for bad in ({"area": area, "days": 0}, {"area": area, "days": 99}, {"area": area, "from": "tomorrow"},
                {"area": "01 01"}):
        assert gw.get("/api/v1/appointmentSlots", params=bad, headers=counter).status_code == 422, bad
    technician = bearer(gw, "technician")
    assert gw.get("/api/v1/appointmentSlots", params={"area": area}, headers=technician).status_code == 403


def test_booking_a_full_slot_is_refused_and_rescheduling_frees_the_old_place(gw, db):
    station = new_station()
    first, second = new_order(db, station), new_order(db, station)
    set_capacity(db, station, 1)
    day, later = days_ahead(db, working=True, count=2)
    key = str(uuid.uuid4())
    made = book(gw, first, day, "AM", **{"Idempotency-Key": key})
    assert made.status_code == 201, made.text
    appointment = made.json()
    due = datetime.fromisoformat(appointment.pop("dueAt"))
    assert appointment == {"workOrderNo": first, "stationCode": station, "day": day.isoformat(), "slot": "AM",
                           "startsAt": f"{day.isoformat()}T09:00:00+08:00", "state": "scheduled",
                           "endsAt": f"{day.isoformat()}T12:00:00+08:00"}
    assert due == datetime.fromisoformat(appointment["endsAt"]), "an install is due by the end of its slot"
    assert made.headers["Location"].endswith(f"/workOrders/{first}")
    again = book(gw, first, day, "AM", **{"Idempotency-Key": key})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == made.json()
    assert booked(db, station, day, "AM") == 1
    assert_problem(book(gw, second, day, "AM", "agent"), 409, "slot-full")
    # The first customer moves to the afternoon: the morning's place goes to the second.
    moved = book(gw, first, day, "PM", "supervisor")
    assert moved.status_code == 201 and moved.json()["slot"] == "PM"
    event = last_event(db, first, "work_order_scheduled")
    assert (event["stationCode"], event["day"], event["slot"], event["rescheduled"]) == (station, day.isoformat(),
                                                                                        "PM", True)
    assert (booked(db, station, day, "AM"), booked(db, station, day, "PM")) == (0, 1)
    assert book(gw, second, day, "AM").status_code == 201
    # The same booking again changes nothing; cancelling gives the place back.
    assert book(gw, second, day, "AM").status_code == 201 and booked(db, station, day, "AM") == 1
    assert outbox_types(db, second) == ["work_order_created", "work_order_scheduled"]
    cancelled = gw.post(f"/api/v1/workOrders/{second}/cancel", json={"reason": "客户改期未定"},
                        headers=bearer(gw, "supervisor"))
    assert cancelled.status_code == 200 and booked(db, station, day, "AM") == 0
    assert_problem(book(gw, second, later, "AM"), 409, "illegal-transition")
    assert_problem(book(gw, second, day, "AM"), 409, "illegal-transition")
    assert booked(db, station, later, "AM") == 0


def test_days_off_and_slots_that_are_over_cannot_be_booked(gw, db):
    no = new_order(db, new_station())
    assert_problem(book(gw, no, days_ahead(db, working=False)[0], "AM"), 422, "non-working-day")
    assert_problem(book(gw, no, today() - timedelta(days=1), "PM"), 422, "slot-in-past")
    assert_problem(book(gw, no, today() + timedelta(days=400), "PM"), 422, "too-far-ahead")
    assert_problem(book(gw, "W1", days_ahead(db, working=True)[0], "PM"), 404, "work-order-not-found")
    counter = bearer(gw, "counter")
    for body in ({"workOrderNo": no, "day": "2026-13-01", "slot": "AM"}, {"workOrderNo": no, "slot": "AM"},
                 {"workOrderNo": no, "day": "2026-12-07", "slot": "EVENING"},
                 {"workOrderNo": "W 1", "day": "2026-12-07", "slot": "AM"},
                 {"workOrderNo": no, "day": "2026-12-07", "slot": "AM", "note": "x"}):
        response = gw.post("/api/v1/appointments", json=body, headers=counter)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json", body
    assert order_row(db, no)["state"] == "open"
    assert gw.post("/api/v1/appointments", json={"workOrderNo": no, "day": "2026-12-07", "slot": "AM"},
                   headers=bearer(gw, "technician")).status_code == 403


def test_an_appointment_chosen_at_the_counter_is_booked_with_the_order(settings, db, worker):
    station = new_station()
    day = days_ahead(db, working=True)[0]
    wanted = service_ordered(station=station, appointment={"day": day.isoformat(), "slot": "PM"})
    full = service_ordered(station=station, appointment={"day": day.isoformat(), "slot": "PM"})
    day_off = service_ordered(station=station, appointment={"day": days_ahead(db, working=False)[0].isoformat(),
                                                            "slot": "AM"})
    garbage = service_ordered(station=station, appointment={"day": 7, "slot": ["AM"]})
    publish_as_relay(settings, wanted)
    wait_for(lambda: _order_of(db, wanted), what="the work order with its appointment")
    set_capacity(db, station, 1)
    for event in (full, day_off, garbage):
        publish_as_relay(settings, event)
    wait_for(lambda: all(_order_of(db, e) for e in (full, day_off, garbage)), what="the orders left open")
    scheduled = order_row(db, _order_of(db, wanted))
    assert (scheduled["state"], scheduled["slot_day"], scheduled["slot"]) == ("scheduled", day, "PM")
    assert scheduled["due_at"] is not None and booked(db, station, day, "PM") == 1
    assert outbox_types(db, _order_of(db, wanted)) == ["work_order_created", "work_order_scheduled"]
    for event in (full, day_off, garbage):
        assert order_row(db, _order_of(db, event))["state"] == "open"


def _order_of(db, event: dict) -> str | None:
    with db.transaction() as cur:
        cur.execute("SELECT work_order_no FROM work_order WHERE product_order_no = %s", (event["data"]["orderNo"],))
        row = cur.fetchone()
        return row["work_order_no"] if row else None


def test_a_dispatcher_assigns_their_stations_orders(gw, db):
    no = new_order(db, "ST01", "repair")
    put_technician(gw, "tech-st01-2", "ST01", ["install", "repair"], 8)
    dispatcher = bearer(gw, "dispatcher")  # works ST01
    assigned = gw.post(f"/api/v1/workOrders/{no}/assign", json={"technician": "tech-st01-2"}, headers=dispatcher)
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["state"], assigned.json()["technician"]) == ("assigned", "tech-st01-2")
    assert last_event(db, no, "work_order_assigned") == {"workOrderNo": no, "stationCode": "ST01",
                                                         "technician": "tech-st01-2", "by": "dispatcher"}
    assert_problem(gw.post(f"/api/v1/workOrders/{no}/assign", json={"technician": "tech-st01-2"},
                           headers=bearer(gw, "dispatcher-st02")), 404, "work-order-not-found")
    assert_problem(gw.post(f"/api/v1/workOrders/{no}/assign", json={"technician": "tech-st02-1"}, headers=dispatcher),
                   422, "unknown-technician")
    assert gw.post(f"/api/v1/workOrders/{no}/assign", json={}, headers=dispatcher).status_code == 422
    assert gw.post(f"/api/v1/workOrders/{no}/assign", json={"technician": "tech-st01-2"},
                   headers=bearer(gw, "counter")).status_code == 403
    # The technician sees it now; booking a new day releases them (the new day may be one they do not work).
    assert gw.get(f"/api/v1/workOrders/{no}", headers=bearer(gw, "tech-st01-2")).status_code == 200
    assert book(gw, no, days_ahead(db, working=True)[0], "AM", "dispatcher").status_code == 201
    assert order_row(db, no)["technician"] is None and order_row(db, no)["state"] == "scheduled"


def test_automatic_assignment_by_skill_and_load(gw, db):
    station = new_station()
    repair, install_1, install_2, disconnect = (new_order(db, station, t) for t in
                                                ("repair", "install", "install", "disconnect"))
    generalist, installer = f"gen-{station.lower()}", f"inst-{station.lower()}"
    put_technician(gw, generalist, station, ["install", "repair"], 2)
    put_technician(gw, installer, station, ["install"], 5)
    put_technician(gw, f"off-{station.lower()}", station, ALL, 9, active=False)
    day = days_ahead(db, working=True)[0]
    for no in (repair, install_1, install_2, disconnect):
        assert book(gw, no, day, "AM").status_code == 201
    supervisor = bearer(gw, "supervisor")
    made = gw.post(f"/api/v1/stations/{station.lower()}/autoAssign", params={"day": day.isoformat()},
                   headers=supervisor)
    assert made.status_code == 200, made.text
    result = made.json()
    assert result["stationCode"] == station and result["day"] == day.isoformat()
    given = {a["workOrderNo"]: a["technician"] for a in result["assigned"]}
    # Only the generalist repairs; the installer, less loaded then, takes both installs; nobody disconnects.
    assert given == {repair: generalist, install_1: installer, install_2: installer}
    assert result["unassigned"] == [disconnect]
    assert all(order_row(db, no)["state"] == "assigned" for no in given)
    assert last_event(db, repair, "work_order_assigned")["by"] == "auto"
    roster = gw.get(f"/api/v1/stations/{station}/technicians", params={"day": day.isoformat()}, headers=supervisor)
    assert {t["username"]: (t["load"], t["active"]) for t in roster.json()["data"]} == {
        generalist: (1, True), installer: (2, True), f"off-{station.lower()}": (0, False)}
    # One order at a time: the next install goes to the generalist, now the less loaded (1 against 2).
    extra = new_order(db, station, "install")
    assert book(gw, extra, day, "PM").status_code == 201
    one = gw.post(f"/api/v1/workOrders/{extra}/autoAssign", headers=supervisor)
    assert one.status_code == 200 and one.json()["technician"] == generalist
    # The generalist is now full (2): a new repair that day finds nobody.
    late = new_order(db, station, "repair")
    assert book(gw, late, day, "PM").status_code == 201
    assert_problem(gw.post(f"/api/v1/workOrders/{late}/autoAssign", headers=supervisor), 409,
                   "no-technician-available")
    assert_problem(gw.post(f"/api/v1/workOrders/{disconnect}/autoAssign", headers=supervisor), 409,
                   "no-technician-available")
    # A dispatcher of another station is told the station does not exist; a day gone by is refused.
    assert_problem(gw.post(f"/api/v1/stations/{station}/autoAssign", headers=bearer(gw, "dispatcher")), 404,
                   "unknown-station")
    assert_problem(gw.get(f"/api/v1/stations/{station}/technicians", headers=bearer(gw, "dispatcher")), 404,
                   "unknown-station")
    assert_problem(gw.post(f"/api/v1/stations/{station}/autoAssign", params={"day": "2020-01-02"},
                           headers=supervisor), 422, "day-in-past")


def test_the_roster_is_kept_by_supervisors_and_admins(gw, db):
    station = new_station()
    new_order(db, station)
    admin = bearer(gw, "admin")
    entry = put_technician(gw, f"t-{station.lower()}", station, ["repair", "repair", "install"], 4)
    assert (entry["stationCode"], entry["skills"], entry["dailyCapacity"], entry["load"]) == \
        (station, ["install", "repair"], 4, 0)
    for body, status in (({"stationCode": station, "skills": ["teleport"], "dailyCapacity": 4}, 422),
                         ({"stationCode": station, "skills": [], "dailyCapacity": -1}, 422),
                         ({"stationCode": station, "skills": [], "dailyCapacity": 101}, 422),
                         ({"stationCode": "ST 1", "skills": [], "dailyCapacity": 1}, 422),
                         ({"skills": [], "dailyCapacity": 1}, 422)):
        response = gw.put(f"/api/v1/technicians/t-{station.lower()}", json=body, headers=admin)
        assert response.status_code == status and response.headers["content-type"] == "application/problem+json"
    technician_account(gw, "someone", "NOWHERE")
    assert_problem(gw.put("/api/v1/technicians/someone", json={"stationCode": "NOWHERE", "skills": [],
                                                              "dailyCapacity": 1}, headers=admin),
                   422, "unknown-station")
    # A name no technician signs in with, or one of another station, would be given visits nobody sees.
    for username in (f"nobody-{station.lower()}", "tech-st02-1", "counter"):
        assert_problem(gw.put(f"/api/v1/technicians/{username}", json={"stationCode": station, "skills": ["repair"],
                                                                       "dailyCapacity": 1}, headers=admin),
                       422, "unknown-technician")
    assert gw.put(f"/api/v1/technicians/nobody-{station.lower()}", json={
        "stationCode": station, "skills": [], "dailyCapacity": 0, "active": False}, headers=admin).status_code == 200
    assert gw.put(f"/api/v1/technicians/t-{station.lower()}", json={"stationCode": station, "skills": [],
                                                                    "dailyCapacity": 1},
                  headers=bearer(gw, "dispatcher")).status_code == 403
    with db.transaction() as cur:
        cur.execute("SELECT actor, action FROM audit_log WHERE entity = 'technician' AND entity_key = %s",
                    (f"t-{station.lower()}",))
        assert cur.fetchall() == [{"actor": "admin", "action": "put"}]

def test_a_technician_who_leaves_the_station_leaves_its_roster(gw, db):
    station, other = new_station(), new_station()
    new_order(db, station)
    new_order(db, other)
    admin = bearer(gw, "admin")
    mover, leaver = f"mover-{station.lower()}", f"leaver-{station.lower()}"
    for username in (mover, leaver):
        put_technician(gw, username, station, ["repair"], 4)

    def roster() -> dict[str, bool]:
        listed = gw.get(f"/api/v1/stations/{station}/technicians", headers=admin).json()["data"]
        return {t["username"]: t["active"] for t in listed}

    assert roster() == {mover: True, leaver: True}
    moved = gw.patch(f"/api/v1/staff/{mover}", headers=admin, json={"scope": other})
    assert moved.status_code == 200 and moved.json()["scope"] == other
    assert gw.patch(f"/api/v1/staff/{leaver}", headers=admin, json={"active": False}).status_code == 200
    assert roster() == {mover: False, leaver: False}, "automatic assignment would give them visits they never see"
    put_technician(gw, mover, other, ["repair"], 4)  # the other station's dispatcher takes them on


def test_two_claims_of_one_order_exactly_one_wins(settings, gw, db):
    no = new_order(db, "ST01", "repair")
    for username in ("tech-st01-1", "tech-st01-3"):
        put_technician(gw, username, "ST01", ALL, 50)
    claimable = gw.get("/api/v1/technicians/me/claimable", params={"limit": 100},
                       headers=bearer(gw, "tech-st01-1")).json()
    assert no in [o["id"] for o in claimable["data"]]
    handlers = SchedulingHandlers(Database(settings.service_db_url("dispatch"), schema="dispatch", maxconn=4), TZ)
    outcomes: dict[str, object] = {}

    def claim(username: str) -> None:
        try:
            outcomes[username] = handlers.claim(no, Actor(username, "technician", "ST01"))["technician"]
        except IllegalTransition as exc:
            outcomes[username] = exc

    # Hold the order so that both claims are waiting on it when it is let go.
    with db.transaction() as cur:
        cur.execute("SELECT 1 FROM work_order WHERE work_order_no = %s FOR UPDATE", (no,))
        threads = [threading.Thread(target=claim, args=(u,)) for u in ("tech-st01-1", "tech-st01-3")]
        for t in threads:
            t.start()
        time.sleep(0.5)
        assert not outcomes, "both claims wait for the order"
    for t in threads:
        t.join(10)
    handlers.db.close()
    winners = [u for u, r in outcomes.items() if r == u]
    [loser] = [r for r in outcomes.values() if isinstance(r, IllegalTransition)]
    assert len(winners) == 1 and loser.reason == "already-assigned" and winners[0] in loser.message
    assert order_row(db, no)["technician"] == winners[0]
    assert last_event(db, no, "work_order_assigned")["by"] == "claim"
    assert outbox_types(db, no).count("work_order_assigned") == 1
    # Through the gateway: the late claim is a clear 409; another station's order does not exist for them.
    assert_problem(gw.post(f"/api/v1/workOrders/{no}/claim", headers=bearer(gw, "tech-st01-3")), 409,
                   "already-assigned")
    elsewhere = new_order(db, "ST02", "repair")
    assert_problem(gw.post(f"/api/v1/workOrders/{elsewhere}/claim", headers=bearer(gw, "tech-st01-1")), 404,
                   "work-order-not-found")
    assert gw.post(f"/api/v1/workOrders/{no}/claim", headers=bearer(gw, "dispatcher")).status_code == 403


def test_a_claim_stays_within_the_days_capacity(gw, db):
    station = "ST03"
    day = days_ahead(db, working=True, count=3)[2]
    first, second = new_order(db, station), new_order(db, station)
    for no in (first, second):
        assert book(gw, no, day, "AM").status_code == 201
    # Room for one more (an earlier run on this database may have left them orders that day).
    roster = gw.get(f"/api/v1/stations/{station}/technicians", params={"day": day.isoformat()},
                    headers=bearer(gw, "dispatcher-st03")).json()["data"]
    load = next((t["load"] for t in roster if t["username"] == "tech-st03-2"), 0)
    put_technician(gw, "tech-st03-2", station, ["install"], load + 1)
    tech = bearer(gw, "tech-st03-2")
    taken = gw.post(f"/api/v1/workOrders/{first}/claim", headers=tech)
    assert taken.status_code == 200 and taken.json()["technician"] == "tech-st03-2"
    assert_problem(gw.post(f"/api/v1/workOrders/{second}/claim", headers=tech), 409, "daily-capacity-reached")
    assert order_row(db, second)["state"] == "scheduled"
    put_technician(gw, "tech-st03-2", station, ["install"], load + 2)
    assert gw.post(f"/api/v1/workOrders/{second}/claim", headers=tech).status_code == 200
    put_technician(gw, "tech-st03-3", station, ["install"], 2, active=False)
    assert_problem(gw.post(f"/api/v1/workOrders/{second}/claim", headers=bearer(gw, "tech-st03-3")), 409,
                   "not-on-roster")



def test_the_demo_roster_is_put_once_and_keeps_what_an_admin_changed(settings, gw, db):
    new_order(db, "ST05")
    put_technician(gw, "tech-st05-1", "ST05", ["repair"], 3)
    demo(settings)
    demo(settings)
    with db.transaction() as cur:
        cur.execute("""SELECT username, skills, daily_capacity FROM technician
                        WHERE username = ANY(%s)""", ([username for username, _ in demo_technicians()],))
        rows = {r["username"]: r for r in cur.fetchall()}
    assert set(rows) == {username for username, _ in demo_technicians()}
    assert len({tuple(r["skills"]) for r in rows.values()}) >= 3, "varied skills"
    assert (rows["tech-st05-1"]["skills"], rows["tech-st05-1"]["daily_capacity"]) == (["repair"], 3)
