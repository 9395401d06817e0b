"""The whole suite as processes (`python -m deploy.suite run`), driven through the gateway the way a
counter clerk, a technician and a supervisor would use it."""
from __future__ import annotations

import json
import time
import uuid

import httpx
import pika
import pytest

from tests.e2e.suite import both_systems_customer, line_status, login
from tests.integration.customer_env import valid_id_no

pytestmark = pytest.mark.e2e


def test_health_reports_every_dependency(suite):
    body = httpx.get(f"{suite.url}/health").json()
    text = json.dumps(body)
    assert body["status"] == "ok"
    for part in ("customer", "database", "broker"):
        assert part in text


def test_counter_clerk_finds_customer_by_phone_and_sees_both_systems(suite):
    customer_no, phone, _, _ = both_systems_customer(suite)
    clerk = login(suite, "counter")
    r = clerk.get("/customers", params={"q": phone})
    assert r.status_code == 200, r.text
    assert int(r.headers["X-Total-Count"]) >= 1
    assert customer_no in r.text
    view = clerk.get(f"/customers/{customer_no}").json()
    origins = {s["origin"] for s in view["services"]}
    assert {"cms", "sms"} <= origins
    assert any(d["kind"] == "smart_card" for d in view["devices"])
    assert view["premises"] and view["premises"][0]["station"]
    assert {link["system"] for link in view["links"]} == {"cms", "sms"}


def test_suspend_and_restore_are_written_back_and_published(suite):
    customer_no, _, service_no, user_no = both_systems_customer(suite)
    clerk = login(suite, "counter")
    mq = pika.BlockingConnection(pika.URLParameters(suite.env.get("BSS_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")))
    channel = mq.channel()
    channel.exchange_declare("customer.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "customer.events", routing_key="service_suspended")

    r = clerk.post(f"/customers/{customer_no}/services/{service_no}/suspend", json={"reason": "customer away"})
    assert r.status_code == 200, r.text
    assert r.json()["writeBack"]["outcome"] == "ok"
    assert line_status(suite, user_no) == "2"

    deadline, event = time.monotonic() + 30, None
    while event is None and time.monotonic() < deadline:
        _, _, body = channel.basic_get(queue, auto_ack=True)
        event = json.loads(body) if body else time.sleep(0.3)
    mq.close()
    assert event and event["data"]["serviceNo"] == service_no

    again = clerk.post(f"/customers/{customer_no}/services/{service_no}/suspend")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    r = clerk.post(f"/customers/{customer_no}/services/{service_no}/restore")
    assert r.status_code == 200, r.text
    assert line_status(suite, user_no) == "1"


def test_new_customer_and_bad_inputs(suite):
    clerk = login(suite, "counter")
    id_no = valid_id_no()
    body = {"name": "测试客户", "idNo": id_no, "phone": "13900001234", "address": "文三路100号1幢2单元301室",
            "areaCode": "0101"}
    r = clerk.post("/customers", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(r.json()["customerNo"])
    dup = clerk.post("/customers", json=body)
    assert dup.status_code == 409 and dup.headers["content-type"].startswith("application/problem+json")
    bad_id = clerk.post("/customers", json={**body, "idNo": id_no[:-1] + ("0" if id_no[-1] != "0" else "1")})
    assert bad_id.status_code == 422
    assert clerk.post("/customers", json={**body, "idNo": None, "phone": "12345"}).status_code == 422
    assert clerk.get("/customers/C99999999999").status_code == 404
    assert clerk.get("/customers", params={"q": "138", "limit": -1}).status_code == 422
    assert clerk.post("/customers", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422


def test_technician_sees_masked_id_numbers(suite):
    customer_no, _, _, _ = both_systems_customer(suite)
    full = login(suite, "counter").get(f"/customers/{customer_no}").json()
    masked = login(suite, "technician").get(f"/customers/{customer_no}").json()
    if full.get("idNo"):
        assert masked["idNo"] != full["idNo"] and "*" in masked["idNo"]
    assert login(suite, "technician").post(f"/customers/{customer_no}/contacts",
                                           json={"channel": "field", "kind": "note", "summary": "x"}).status_code == 403


def test_supervisor_reviews_a_match(suite):
    supervisor = login(suite, "supervisor")
    r = supervisor.get("/customerMatches", params={"status": "pending"})
    assert r.status_code == 200, r.text
    pending = r.json()["data"]
    assert pending, "the demo data should leave uncertain pairs for review"
    match = pending[0]
    accepted = supervisor.post(f"/customerMatches/{match['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert supervisor.post(f"/customerMatches/{match['id']}/accept").status_code == 409
    merged_no = match["right"]["customerNo"]
    assert supervisor.get(f"/customers/{merged_no}").json()["status"] == "merged"


def test_legacy_change_is_followed(suite):
    _, _, _, user_no = both_systems_customer(suite)
    new_phone = f"137{uuid.uuid4().int % 10**8:08d}"
    with suite.db("BSS_LEGACY_CMS_URL") as conn, conn.cursor() as cur:
        cur.execute("UPDATE yhxx SET lxdh = %s WHERE yhbh = %s", (new_phone, user_no))
    clerk = login(suite, "counter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = clerk.get("/customers", params={"q": new_phone})
        if r.status_code == 200 and int(r.headers["X-Total-Count"]) >= 1:
            return
        time.sleep(1)
    raise AssertionError("the CMS phone change did not reach the customer record")


def wait_until(what: str, probe, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (answer := probe()) is not None:
            return answer
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_digital_tv_order_is_installed_by_a_technician_and_shows_in_the_360_view(suite):
    """A counter clerk orders digital TV for a customer and books the visit; the station's dispatcher
    receives a set-top box and a smart card into stock, issues them to an installer and assigns the order;
    the technician's phone pulls it, and the technician accepts, arrives and completes it with the devices
    and the customer's confirmation code. The customer service then activates the service, records the
    devices and entitles the card in the legacy SMS."""
    customer_no, _, _, _ = both_systems_customer(suite)
    clerk = login(suite, "counter")
    ordered = clerk.post("/productOrders", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "customerNo": customer_no, "orderType": "install", "kind": "digital_tv", "productCode": "BASIC"})
    assert ordered.status_code == 201, ordered.text
    order = ordered.json()
    station = order["premises"]["station"]["code"]
    work_order_no = wait_until("the work order of the product order", lambda: clerk.get(
        f"/productOrders/{order['id']}").json()["workOrderNo"])

    slots = clerk.get("/appointmentSlots", params={"workOrderNo": work_order_no}).json()["data"]
    booked = clerk.post("/appointments", json={"workOrderNo": work_order_no, "day": slots[0]["day"],
                                               "slot": slots[0]["slot"]})
    assert booked.status_code == 201, booked.text
    code = clerk.get(f"/workOrders/{work_order_no}/confirmationCode").json()["confirmationCode"]

    dispatcher = login(suite, "dispatcher" if station == "ST01" else f"dispatcher-{station.lower()}")
    technician_name = f"tech-{station.lower()}-2"  # the station's installer (services/dispatch/demo.py)
    card, stb = f"8{uuid.uuid4().int % 10**15:015d}", f"STB{uuid.uuid4().int % 10**12:012d}"
    for kind, serial, model in (("smart_card", card, "CA-2026"), ("stb", stb, "HD-S1")):
        received = dispatcher.post("/stock/receipts", json={"stationCode": station, "kind": kind, "model": model,
                                                            "serials": [serial]})
        assert received.status_code == 201, received.text
    assert dispatcher.post("/stock/issues", json={"technician": technician_name,
                                                  "serials": [card, stb]}).status_code == 200
    assigned = dispatcher.post(f"/workOrders/{work_order_no}/assign", json={"technician": technician_name})
    assert assigned.status_code == 200, assigned.text

    technician = login(suite, technician_name)
    pulled = technician.get("/technicians/me/workOrders").json()
    mine = next(o for o in pulled["data"] if o["id"] == work_order_no)
    assert mine["customerNo"] == customer_no and mine["slot"]["day"] == slots[0]["day"]
    assert technician.get(f"/workOrders/{work_order_no}/confirmationCode").status_code == 403
    for step in ("accept", "arrive"):
        assert technician.post(f"/workOrders/{work_order_no}/{step}").status_code == 200
    done = technician.post(f"/workOrders/{work_order_no}/complete", json={
        "resultCode": "installed", "devicesInstalled": [{"kind": "smart_card", "serial": card},
                                                        {"kind": "stb", "serial": stb}],
        "signalReadings": {"rxLevelDbuv": 62.5, "mer": 34.1}, "notes": "客厅安装", "confirmationCode": code})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    synced = technician.get("/technicians/me/workOrders", params={"since": pulled["cursor"]}).json()
    assert [o["state"] for o in synced["data"] if o["id"] == work_order_no] == ["completed"]

    wait_until("the product order completed", lambda: clerk.get(f"/productOrders/{order['id']}").json()["state"]
               == "completed" or None)
    view = clerk.get(f"/customers/{customer_no}").json()
    service = next(s for s in view["services"] if s["serviceNo"] == order["serviceNo"])
    assert service["state"] == "active" and service["origin"] == "sms"
    assert {card, stb} <= {d["serial"] for d in view["devices"]}
    assert work_order_no not in {w["id"] for w in view["openWorkOrders"]}
    with suite.db("BSS_LEGACY_SMS_URL") as conn, conn.cursor() as cur:
        cur.execute("SELECT e.product_id, e.status, t.serial_no FROM entitlement e JOIN smartcard c USING (card_no) "
                    "LEFT JOIN stb t ON t.card_no = c.card_no WHERE c.card_no = %s", (card,))
        assert cur.fetchall() == [("BASIC", "A", stb)]


def test_a_supervisor_reads_who_changed_a_service_across_the_services(suite):
    customer_no, _, service_no, _ = both_systems_customer(suite)
    clerk, supervisor, admin = login(suite, "counter"), login(suite, "supervisor"), login(suite, "admin")
    for action in ("suspend", "restore"):
        r = clerk.post(f"/customers/{customer_no}/services/{service_no}/{action}", json={"reason": "trail"})
        assert r.status_code == 200, r.text
    trail = supervisor.get("/auditEntries", params={"entity": "service", "entityKey": service_no})
    assert trail.status_code == 200, trail.text
    mine = [(e["service"], e["action"], e["actor"], e["changes"]["to"]) for e in trail.json()["data"]][:2]
    assert mine == [("customer", "restore", "counter", "active"), ("customer", "suspend", "counter", "suspended")]
    assert trail.json()["unavailable"] == [] and int(trail.headers["X-Total-Count"]) == trail.json()["count"] >= 2
    # What one person did, in every service: the admin opens a staff account (the gateway's own trail).
    newcomer = f"trail-{uuid.uuid4().hex[:6]}"
    assert admin.post("/staff", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "username": newcomer, "role": "agent", "password": "新坐席第一次登录用-2026"}).status_code == 201
    done = supervisor.get("/auditEntries", params={"actor": "admin", "limit": 100}).json()
    assert ("gateway", "staff", newcomer, "created") in [(e["service"], e["entity"], e["entityKey"], e["action"])
                                                          for e in done["data"]]
    times = [e["at"] for e in done["data"]]
    assert times == sorted(times, reverse=True)
    for wrong in ({}, {"entity": "service"}, {"actor": "admin", "since": "2026-12-01T08:00:00"},
                  {"actor": "admin", "offset": 990, "limit": 20}):
        assert supervisor.get("/auditEntries", params=wrong).status_code == 422
    assert clerk.get("/auditEntries", params={"actor": "counter"}).status_code == 403


def test_a_supervisor_reads_who_opened_a_customers_personal_data(suite):
    customer_no, _, _, _ = both_systems_customer(suite)
    clerk, agent, supervisor = login(suite, "counter"), login(suite, "agent"), login(suite, "supervisor")
    assert clerk.get(f"/customers/{customer_no}").status_code == 200
    found = agent.get("/customers", params={"q": customer_no})
    assert [c["customerNo"] for c in found.json()["data"]] == [customer_no]
    expected = {("agent", "agent", "GET /api/v1/customers?q (search)"),
                ("counter", "counter", "GET /api/v1/customers/{customerNo}")}
    deadline, opened = time.monotonic() + 10, set()
    while not expected <= opened and time.monotonic() < deadline:  # written in batches, about once a second
        log = supervisor.get(f"/customers/{customer_no}/accessLog")
        assert log.status_code == 200, log.text
        opened = {(e["username"], e["role"], e["purpose"]) for e in log.json()["data"]}
        time.sleep(0.3)
    assert expected <= opened
    # The search text is not kept: it is often a phone or ID number.
    assert all(customer_no not in e["purpose"] for e in log.json()["data"])
    assert clerk.get(f"/customers/{customer_no}/accessLog").status_code == 403


def test_a_bank_account_is_shown_to_an_agent_masked_and_every_read_is_traced(suite):
    """A mandate's bank account is sensitive personal information: an agent confirms its last four digits,
    the counter and supervisors see it whole, and the customer's access log names each reader."""
    agent, clerk, supervisor = login(suite, "agent"), login(suite, "counter"), login(suite, "supervisor")
    listed = supervisor.get("/mandates", params={"state": "active", "limit": 1})
    assert listed.status_code == 200, listed.text
    [mandate] = listed.json()["data"]  # the demo signs most accounts' mandates
    whole = mandate["bankAccountNo"]
    assert whole.isdigit()
    assert clerk.get(f"/mandates/{mandate['id']}").json()["bankAccountNo"] == whole
    seen = agent.get(f"/mandates/{mandate['id']}").json()["bankAccountNo"]
    assert seen == whole[:6] + "*" * (len(whole) - 10) + whole[-4:]
    listed_to_agent = agent.get("/mandates", params={"accountNo": mandate["accountNo"]}).json()["data"]
    assert {m["bankAccountNo"] for m in listed_to_agent if m["id"] == mandate["id"]} == {seen}

    expected = {("agent", "GET /api/v1/mandates/{mandateNo}"), ("agent", "GET /api/v1/mandates"),
                ("counter", "GET /api/v1/mandates/{mandateNo}"), ("supervisor", "GET /api/v1/mandates")}
    deadline, readers = time.monotonic() + 10, set()
    while not expected <= readers and time.monotonic() < deadline:  # written about once a second
        log = supervisor.get(f"/customers/{mandate['customerNo']}/accessLog", params={"limit": 100})
        readers = {(e["username"], e["purpose"]) for e in log.json()["data"]}
        time.sleep(0.3)
    assert expected <= readers
