"""The technicians' side through the gateway with real servers: the pull by change cursor (removals and
paging included), the steps of a visit in order and only by the order's own technician, completion
against the technician's stock (all or nothing) with work_order_completed in the outbox, a return
unfinished that re-dispatches, and device stock received, issued, handed back, counted and listed."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta

import pytest

from services.dispatch import events, store
from services.dispatch.domain.completion import MAX_WRONG_CODES
from services.dispatch.demo import roster as demo_roster
from services.dispatch.scheduling import store as roster_store
from services.dispatch.domain.access import Actor
from services.dispatch.field.handlers import FieldHandlers
from services.dispatch.handlers import DispatchHandlers, transition
from tests.integration.dispatch_env import (bearer, customer, customer_db, customer_with_line, db,  # noqa: F401
                                            dispatch, gateway_db, gw, service_ordered)
from tests.integration.test_gateway import assert_problem

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def roster(db):  # noqa: F811
    """The demo stations' technicians on the roster (devices are issued only to a technician on it)."""
    with db.transaction() as cur:
        roster_store.add_technicians(cur, demo_roster(), "test")

BOSS = Actor("sup-test", "supervisor")


def product_order(db, order_type: str = "install", station: str = "ST01", **changes) -> str:
    """A product order's work order, made as dispatch's worker makes it from service_ordered."""
    return DispatchHandlers(db, "Asia/Shanghai").from_product_order(
        service_ordered(order_type, station=station, **changes)["data"])["work_order_no"]


def fault_call(settings, gw, customer_db, area_code: str) -> str:
    customer_no, service_no = customer_with_line(settings, customer_db, area_code=area_code)
    reply = gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": service_no,
                                                "description": "没有图像"},
                    headers={**bearer(gw, "counter"), "Idempotency-Key": str(uuid.uuid4())})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def act(db, work_order_no: str, action: str, **fields) -> dict:
    """A supervisor's change of the order, as the scheduling part makes it (no routes of its own here)."""
    with db.transaction() as cur:
        order = store.work_order(cur, work_order_no, lock=True)
        return transition(cur, order, action, BOSS, fields=fields,
                          event=lambda o: events.assigned(o, "dispatcher") if action == "assign" else None)


def pull(gw, tech: str, **params) -> dict:
    reply = gw.get("/api/v1/technicians/me/workOrders", params=params, headers=bearer(gw, tech))
    assert reply.status_code == 200, reply.text
    return reply.json()


def step(gw, tech: str, work_order_no: str, name: str, body: dict | None = None, **headers):
    return gw.post(f"/api/v1/workOrders/{work_order_no}/{name}", json=body,
                   headers={**bearer(gw, tech), **headers})


def outbox(db, work_order_no: str, event_type: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("""SELECT payload->'data' AS data FROM outbox WHERE event_type = %s
                       AND payload->'data'->>'workOrderNo' = %s ORDER BY id""", (event_type, work_order_no))
        return [r["data"] for r in cur.fetchall()]


def serials(prefix: str, n: int) -> list[str]:
    tag = uuid.uuid4().hex[:8].upper()
    return [f"{prefix}-{tag}-{i:05d}" for i in range(n)]


def receive(gw, station: str, kind: str, numbers: list[str], who: str | None = None, model: str = "DVB-C 100"):
    return gw.post("/api/v1/stock/receipts", json={"stationCode": station, "kind": kind, "model": model,
                                                   "serials": numbers},
                   headers=bearer(gw, who or f"dispatcher-{station.lower()}"))


def test_the_pull_gives_current_orders_then_only_changes_and_removals(db, gw):
    tech = "tech-st01-2"
    customer_no = f"C{uuid.uuid4().int % 10**8:08d}"
    first = product_order(db, "install", customerNo=customer_no)
    second, third = product_order(db, "repair", customerNo=customer_no), product_order(db)
    for no in (first, second):
        act(db, no, "assign", technician=tech)
    start = pull(gw, tech)
    assert {o["id"] for o in start["data"]} >= {first, second} and start["removed"] == [] and not start["more"]
    mine = {o["id"]: o for o in start["data"]}
    assert [v["workOrderNo"] for v in mine[second]["earlierVisits"]] == [first], "what the phone needs"
    cursor = start["cursor"]
    assert pull(gw, tech, since=cursor) == {"data": [], "count": 0, "removed": [], "cursor": cursor, "more": False}

    act(db, first, "assign", technician="tech-st01-3")  # reassigned away
    assert step(gw, tech, second, "accept").status_code == 200
    act(db, third, "assign", technician=tech)
    changed = pull(gw, tech, since=cursor)
    assert changed["removed"] == [first]
    assert [(o["id"], o["state"]) for o in changed["data"]] == [(second, "accepted"), (third, "assigned")]
    # One change per page: every change comes, in order, none skipped, and the last page says no more.
    seen, since, pages = [], cursor, 0
    while True:
        page = pull(gw, tech, since=since, limit=1)
        seen += [("removed", n) for n in page["removed"]] + [("changed", o["id"]) for o in page["data"]]
        since, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert seen == [("removed", first), ("changed", second), ("changed", third)] and pages in (3, 4)
    assert since == changed["cursor"]
    # The new technician's first pull has the order; the bad cursor and the other roles are refused.
    assert first in [o["id"] for o in pull(gw, "tech-st01-3")["data"]]
    assert gw.get("/api/v1/technicians/me/workOrders", params={"since": -1},
                  headers=bearer(gw, tech)).status_code == 422
    assert gw.get("/api/v1/technicians/me/workOrders", headers=bearer(gw, "dispatcher")).status_code == 403


def test_the_steps_go_in_order_by_the_order_s_own_technician_only(settings, db, gw, customer_db):
    tech = "tech-st02-1"
    no = fault_call(settings, gw, customer_db, area_code="0201")
    act(db, no, "assign", technician=tech)
    assert_problem(step(gw, "tech-st02-2", no, "accept"), 404, "work-order-not-found")
    assert step(gw, "dispatcher-st02", no, "accept").status_code == 403
    assert_problem(step(gw, tech, no, "arrive"), 409, "illegal-transition")
    accepted = step(gw, tech, no, "accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    arrived = step(gw, tech, no, "arrive").json()
    assert arrived["state"] == "on_site" and arrived["onTime"] is True, "a repair is due within 24 hours"
    bad = step(gw, tech, no, "complete", {"resultCode": "fixed", "signalReadings": {"snr": "high"}})
    assert bad.status_code == 422
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"resultCode": "fixed", "signalReadings": {"rxLevelDbuv": 62.5}, "notes": "接头松动，已紧固"}
    done = step(gw, tech, no, "complete", body, **key)
    assert done.status_code == 200, done.text
    order = done.json()
    assert (order["state"], order["resultCode"], order["signalReadings"]) == ("completed", "fixed",
                                                                               {"rxLevelDbuv": 62.5})
    again = step(gw, tech, no, "complete", body, **key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert_problem(step(gw, tech, no, "complete", body), 409, "illegal-transition")
    assert_problem(step(gw, tech, no, "returnUnfinished", {"reason": "other"}), 409, "illegal-transition")
    [event] = outbox(db, no, "work_order_completed")
    assert (event["resultCode"], event["technician"], event["onTime"], event["notes"]) == ("fixed", tech, True,
                                                                                         "接头松动，已紧固")


def test_completing_with_a_device_not_held_changes_nothing_and_with_held_ones_installs_them(db, gw):
    tech, other = "tech-st03-1", "tech-st03-2"
    boxes, cards, elsewhere = serials("STB", 2), serials("SC", 1), serials("STB", 1)
    for kind, numbers in (("stb", boxes), ("smart_card", cards)):
        assert receive(gw, "ST03", kind, numbers).status_code == 201
    assert receive(gw, "ST03", "stb", elsewhere).status_code == 201
    dispatcher = bearer(gw, "dispatcher-st03")
    assert gw.post("/api/v1/stock/issues", json={"technician": tech, "serials": boxes + cards},
                   headers=dispatcher).status_code == 200
    assert gw.post("/api/v1/stock/issues", json={"technician": other, "serials": elsewhere},
                   headers=dispatcher).status_code == 200
    no = product_order(db, "install", station="ST03")
    act(db, no, "assign", technician=tech)
    for name in ("accept", "arrive"):
        assert step(gw, tech, no, name).status_code == 200
    assert gw.get(f"/api/v1/workOrders/{no}/confirmationCode", headers=bearer(gw, tech)).status_code == 403
    code = gw.get(f"/api/v1/workOrders/{no}/confirmationCode", headers=bearer(gw, "counter")).json()
    assert code["id"] == no and len(code["confirmationCode"]) == 6
    legacy_box = serials("OLD", 1)[0]
    body = {"resultCode": "installed", "devicesInstalled": [{"kind": "stb", "serial": elsewhere[0]},
                                                           {"kind": "smart_card", "serial": cards[0]}],
            "devicesRemoved": [{"kind": "stb", "serial": legacy_box, "faulty": True}],
            "signalReadings": {"snr": 33}, "notes": "", "confirmationCode": code["confirmationCode"]}
    refused = assert_problem(step(gw, tech, no, "complete", body), 409, "device-not-held")
    assert elsewhere[0] in refused["detail"]
    assert gw.get(f"/api/v1/workOrders/{no}", headers=bearer(gw, tech)).json()["state"] == "on_site"
    carried = gw.get("/api/v1/technicians/me/stock", headers=bearer(gw, tech))
    assert carried.status_code == 200, carried.text
    carried = carried.json()
    ours = set(boxes + cards + elsewhere + [legacy_box])
    assert {d["serial"]: d["state"] for d in carried["data"] if d["serial"] in ours} \
        == dict.fromkeys(boxes + cards, "issued")
    # The digital install needs both a card and a box, and the customer's code.
    only_card = {**body, "devicesInstalled": [{"kind": "smart_card", "serial": cards[0]}]}
    assert_problem(step(gw, tech, no, "complete", only_card), 422, "invalid-device-combination")
    held = {**body, "devicesInstalled": [{"kind": "stb", "serial": boxes[0]}, {"kind": "smart_card",
                                                                              "serial": cards[0]}]}
    assert_problem(step(gw, tech, no, "complete", {**held, "confirmationCode": None}), 422,
                   "confirmation-code-required")
    wrong = "000000" if code["confirmationCode"] != "000000" else "111111"
    assert_problem(step(gw, tech, no, "complete", {**held, "confirmationCode": wrong}), 422,
                   "confirmation-code-mismatch")
    done = step(gw, tech, no, "complete", held)
    assert done.status_code == 200, done.text
    order = done.json()
    assert [d["model"] for d in order["devicesInstalled"]] == ["DVB-C 100", "DVB-C 100"], "the model from stock"
    [event] = outbox(db, no, "work_order_completed")
    assert set(event) >= {"workOrderNo", "type", "productOrderNo", "customerNo", "accountNo", "serviceNo",
                          "completedAt", "technician", "stationCode", "resultCode", "onTime", "devicesInstalled",
                          "devicesRemoved", "notes"}
    assert event["devicesInstalled"] == [{"kind": "stb", "serial": boxes[0], "model": "DVB-C 100"},
                                         {"kind": "smart_card", "serial": cards[0], "model": "DVB-C 100"}]
    assert [(d["kind"], d["serial"]) for d in event["devicesRemoved"]] == [("stb", legacy_box)]
    assert datetime.fromisoformat(event["completedAt"]).tzinfo and event["customerNo"] == order["customerNo"]
    with db.transaction() as cur:
        cur.execute("SELECT serial, state, customer_no, technician FROM device WHERE serial = ANY(%s)",
                    ([boxes[0], cards[0], legacy_box],))
        rows = {r["serial"]: r for r in cur.fetchall()}
    assert {s: (r["state"], r["customer_no"]) for s, r in rows.items() if s != legacy_box} == {
        boxes[0]: ("installed", order["customerNo"]), cards[0]: ("installed", order["customerNo"])}
    assert (rows[legacy_box]["state"], rows[legacy_box]["technician"]) == ("faulty", tech), "carried back"
    # The technician hands back the faulty box and the unused one: the station's shelf has them.
    assert gw.post("/api/v1/stock/returns", json={"serials": [legacy_box], "faulty": True},
                   headers=bearer(gw, tech)).json()["data"][0]["state"] == "faulty"
    back = gw.post("/api/v1/stock/returns", json={"serials": [boxes[1]]}, headers=bearer(gw, tech)).json()
    assert (back["data"][0]["state"], back["data"][0]["technician"]) == ("in_stock", None)
    still = gw.get("/api/v1/technicians/me/stock", params={"limit": 100}, headers=bearer(gw, tech)).json()["data"]
    assert not {d["serial"] for d in still} & {legacy_box, *boxes, *cards}


def test_a_return_unfinished_re_dispatches_the_order(db, gw):
    tech = "tech-st04-1"
    no = product_order(db, "install", station="ST04")
    day = date(2031, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)  # a day of its own in each run
    with db.transaction() as cur:
        assert store.book_slot(cur, "ST04", day, "AM")
    act(db, no, "schedule", slot_day=day, slot="AM")
    act(db, no, "assign", technician=tech)
    cursor = pull(gw, tech)["cursor"]
    assert step(gw, tech, no, "accept").status_code == 200
    assert step(gw, tech, no, "returnUnfinished", {"reason": "gone_fishing"}).status_code == 422
    back = step(gw, tech, no, "returnUnfinished", {"reason": "customer_absent", "notes": "敲门无人"})
    assert back.status_code == 200, back.text
    order = back.json()
    assert (order["state"], order["technician"], order["slot"], order["unfinishedCount"],
            order["unfinishedReason"]) == ("open", None, None, 1, "customer_absent")
    assert outbox(db, no, "work_order_returned_unfinished") == [{
        "workOrderNo": no, "customerNo": order["customerNo"], "productOrderNo": order["productOrderNo"],
        "technician": tech, "reason": "customer_absent", "stationCode": "ST04"}]
    with db.transaction() as cur:
        cur.execute("SELECT booked FROM slot_booking WHERE station_code = 'ST04' AND day = %s AND slot = 'AM'",
                    (day,))
        assert cur.fetchone()["booked"] == 0, "the slot is given back"
    assert pull(gw, tech, since=cursor)["removed"] == [no]
    assert_problem(step(gw, tech, no, "accept"), 404, "work-order-not-found")


def test_stock_is_received_whole_issued_handed_back_counted_and_listed(gw):
    boxes, model = serials("STB", 3000), f"HD-{uuid.uuid4().hex[:8]}"  # a model of its own in each run
    receipt = receive(gw, "ST05", "stb", boxes, model=model)
    assert receipt.status_code == 201, receipt.text
    assert receipt.json() == {"stationCode": "ST05", "kind": "stb", "model": model, "received": 3000}
    fresh = serials("STB", 5)
    refused = assert_problem(receive(gw, "ST05", "stb", fresh + boxes[:2], model=model), 409,
                             "duplicate-serials")
    assert boxes[0] in refused["detail"] and boxes[1] in refused["detail"]
    assert_problem(receive(gw, "ST05", "stb", fresh + fresh[:1]), 422, "duplicate-serials")
    assert receive(gw, "ST05", "stb", fresh, who="dispatcher").status_code == 403, "another station's dispatcher"
    assert receive(gw, "ST05", "stb", fresh, who="tech-st05-1").status_code == 403
    assert receive(gw, "ST05", "stb", ["x"]).status_code == 422
    st05 = bearer(gw, "dispatcher-st05")
    counts = gw.get("/api/v1/stock", params={"stationCode": "ST05"}, headers=st05).json()["data"]
    assert {"stationCode": "ST05", "kind": "stb", "model": model, "state": "in_stock", "count": 3000} in counts
    assert not any(c["kind"] == "stb" and c["model"] == model and c["count"] != 3000 for c in counts), \
        "the refused receipts left nothing"
    assert gw.get("/api/v1/stock", params={"stationCode": "ST05"}, headers=bearer(gw, "dispatcher")).status_code \
        == 403
    issued = gw.post("/api/v1/stock/issues", json={"technician": "tech-st05-1", "serials": boxes[:3]}, headers=st05)
    assert issued.status_code == 200 and {d["state"] for d in issued.json()["data"]} == {"issued"}
    assert_problem(gw.post("/api/v1/stock/issues", json={"technician": "tech-st05-2", "serials": boxes[2:4]},
                           headers=st05), 409, "device-not-in-stock")
    assert_problem(gw.post("/api/v1/stock/issues", json={"technician": "tech-st05-2", "serials": boxes[5:6]},
                           headers=bearer(gw, "dispatcher")), 409, "device-not-in-stock")
    # Only to a technician on the roster, of the station whose stock it is.
    assert_problem(gw.post("/api/v1/stock/issues", json={"technician": "tech-nobody", "serials": boxes[5:6]},
                           headers=st05), 404, "unknown-technician")
    assert_problem(gw.post("/api/v1/stock/issues", json={"technician": "tech-st01-1", "serials": boxes[5:6]},
                           headers=bearer(gw, "supervisor")), 409, "device-not-in-stock")
    mine = gw.get("/api/v1/technicians/me/stock", params={"limit": 100}, headers=bearer(gw, "tech-st05-1")).json()
    assert set(boxes[:3]) <= {d["serial"] for d in mine["data"]}
    listed = gw.get("/api/v1/technicians/tech-st05-1/stock", params={"limit": 100}, headers=st05).json()["data"]
    assert set(boxes[:3]) <= {d["serial"] for d in listed}
    assert gw.get("/api/v1/technicians/tech-st05-1/stock", headers=bearer(gw, "tech-st05-2")).status_code == 403
    assert gw.get("/api/v1/technicians/tech-st05-1/stock", headers=bearer(gw, "dispatcher")).json()["count"] == 0
    assert_problem(gw.post("/api/v1/stock/returns", json={"serials": boxes[:1]}, headers=bearer(gw, "tech-st05-2")),
                   409, "device-not-held")
    back = gw.post("/api/v1/stock/returns", json={"serials": boxes[:1], "faulty": True}, headers=st05)
    assert back.status_code == 200 and back.json()["data"][0]["state"] == "faulty"
    counts = gw.get("/api/v1/stock", headers=bearer(gw, "supervisor")).json()["data"]
    mine = {(c["state"]): c["count"] for c in counts if c["stationCode"] == "ST05" and c["model"] == model}
    assert mine == {"in_stock": 2997, "issued": 2, "faulty": 1}


def test_a_pull_waits_for_a_change_in_flight_so_a_later_number_never_hides_an_earlier_one(db):
    """Numbers are taken in one order and committed in another: the pull waits for the technician's
    changes still in flight instead of reading past them (migration 0020)."""
    tech = "tech-st02-3"
    first, second = product_order(db, station="ST02"), product_order(db, station="ST02")
    for no in (first, second):
        act(db, no, "assign", technician=tech)
    field = FieldHandlers(db, "Asia/Shanghai")
    cursor = field.pull(Actor(tech, "technician", "ST02"), None, 100)["cursor"]
    taken, release, pulled = threading.Event(), threading.Event(), {}

    def slow_change():  # takes its number first, commits last
        with db.transaction() as cur:
            transition(cur, store.work_order(cur, first, lock=True), "assign", BOSS, fields={"technician": tech})
            taken.set()
            release.wait(10)

    writer = threading.Thread(target=slow_change)
    writer.start()
    assert taken.wait(10)
    act(db, second, "assign", technician=tech)  # a higher number, committed at once
    reader = threading.Thread(target=lambda: pulled.update(field.pull(Actor(tech, "technician", "ST02"), cursor, 100)))
    reader.start()
    reader.join(0.5)
    assert reader.is_alive(), "the pull waits for the change in flight"
    release.set()
    writer.join(10)
    reader.join(10)
    assert [o["work_order_no"] for o in pulled["orders"]] == [first, second], "in the order they were numbered"
    assert pulled["cursor"] >= max(o["change_seq"] for o in pulled["orders"])


def test_wrong_confirmation_codes_lock_the_order_until_the_front_line_gives_a_new_code(db, gw):
    tech = "tech-st01-2"
    no = product_order(db, "install", kind="analog_tv")
    act(db, no, "assign", technician=tech)
    for name in ("accept", "arrive"):
        assert step(gw, tech, no, name).status_code == 200
    counter = bearer(gw, "counter")
    path = f"/api/v1/workOrders/{no}/confirmationCode"
    code = gw.get(path, headers=counter).json()["confirmationCode"]
    body = {"resultCode": "connected", "confirmationCode": next(c for c in ("000000", "111111") if c != code)}
    for left in range(MAX_WRONG_CODES - 1, -1, -1):
        refused = assert_problem(step(gw, tech, no, "complete", body), 422, "confirmation-code-mismatch")
        assert (f": {left} more" if left else "the last try") in refused["detail"]
    # Counted in spite of the refusals, and then even the right code is refused until a new one is given.
    assert_problem(step(gw, tech, no, "complete", {**body, "confirmationCode": code}), 409,
                   "confirmation-code-locked")
    shown = gw.get(path, headers=counter).json()
    assert (shown["wrongTries"], shown["locked"]) == (MAX_WRONG_CODES, True)
    assert gw.get(f"/api/v1/workOrders/{no}", headers=bearer(gw, tech)).json()["state"] == "on_site"
    # Only the front line gives a new code; the old one stops working and the tries start again.
    assert gw.post(path, headers=bearer(gw, tech)).status_code == 403
    fresh = gw.post(path, headers=counter)
    assert fresh.status_code == 200, fresh.text
    fresh = fresh.json()
    assert (fresh["wrongTries"], fresh["locked"]) == (0, False)
    if fresh["confirmationCode"] != code:
        assert_problem(step(gw, tech, no, "complete", {**body, "confirmationCode": code}), 422,
                       "confirmation-code-mismatch")
    done = step(gw, tech, no, "complete", {**body, "confirmationCode": fresh["confirmationCode"]})
    assert done.status_code == 200, done.text
    assert_problem(gw.post(path, headers=counter), 409, "illegal-transition")
