"""Product orders end to end through the real PostgreSQL and RabbitMQ: placed through the gateway
(idempotent, refused with problem+json when wrong, 409 for a second open order), `service_ordered` on the
broker, and dispatch's work order events, published on dispatch.events as its relay would, carried out by
the customer worker in the legacy SMS and CMS. A conversion completed in a world of its own is then
synchronised from the legacy systems without a duplicate."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pika
import pytest

from services.common.errors import IllegalTransition
from services.common.outbox import envelope
from services.common.relay import OutboxRelay, exchange_name
from services.customer.handlers import Actor, CreateCustomer
from services.customer.importer.sync import run_sync
from services.customer.orders.handlers import OrderHandlers, PlaceOrder
from services.customer.subscriptions import DISPATCH
from tests.databases import execute
from tests.integration.customer_env import (ROOT, attach_cms_line, autocommit, customer_server, prepare_databases,
                                            unique_mobile, valid_id_no)
from tests.integration.legacy_world import imported
from tests.integration.test_gateway import assert_problem, bearer, client_for, gateway_db  # noqa: F401
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration
CATALOGUES = (("legacy_cms_url", "INSERT INTO sflx VALUES ('01', '城镇标准', 2200) ON CONFLICT DO NOTHING"),
              ("legacy_sms_url", "INSERT INTO product VALUES ('BASIC', '基本包', 'BASIC', 2500), "
                                 "('BB50', '宽带50M', 'BB', 5000) ON CONFLICT DO NOTHING"))


@pytest.fixture(scope="module")
def gw(settings, gateway_db):  # noqa: F811
    prepare_databases(settings)  # provisioning declares customer.dispatch, bound to dispatch's events
    for url, sql in CATALOGUES:
        execute(getattr(settings, url), sql)
    with customer_server(settings) as port, client_for(settings, customer_grpc=f"127.0.0.1:{port}") as client:
        yield client


@pytest.fixture
def clerk(gw):
    return bearer(gw, "counter")


def new_customer(gw, clerk) -> str:
    body = {"name": "赵六", "idNo": valid_id_no(), "phone": unique_mobile(), "address": f"文三路{uuid.uuid4().int % 999}号",
            "areaCode": "0101"}
    response = gw.post("/api/v1/customers", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    return response.json()["customerNo"]


def order(gw, clerk, key: str | None = None, **body):
    headers = {**clerk, **({"Idempotency-Key": key} if key else {})}
    return gw.post("/api/v1/productOrders", json=body, headers=headers)


def test_an_order_is_placed_once_and_refused_when_wrong(gw, clerk, settings):
    customer_no = new_customer(gw, clerk)
    body = {"customerNo": customer_no.lower(), "orderType": "install", "kind": "digital_tv", "productCode": "BASIC",
            "appointment": {"day": "2026-12-07", "slot": "AM"}, "note": "call before"}
    key = str(uuid.uuid4())
    first = order(gw, clerk, key, **body)
    assert first.status_code == 201, first.text
    placed = first.json()
    assert placed["id"].startswith("O") and placed["state"] == "acknowledged"
    assert placed["customerNo"] == customer_no and placed["productName"] == "基本包"
    assert placed["premises"]["station"] == {"code": "ST01", "name": "城东站"}
    assert placed["appointment"] == {"day": "2026-12-07", "slot": "AM"}
    again = order(gw, clerk, key, **body)
    assert again.json() == placed and again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Location"] == f"/api/v1/productOrders/{placed['id']}"
    assert gw.get(first.headers["Location"], headers=clerk).json() == placed
    listed = gw.get("/api/v1/productOrders", params={"customerNo": customer_no.lower()}, headers=clerk).json()
    assert listed["count"] == 1 and listed["data"] == [placed]
    service = gw.get(f"/api/v1/customers/{customer_no}/services", headers=clerk).json()["data"]
    assert [(s["serviceNo"], s["state"], s["origin"], s["legacyRef"]) for s in service] == [
        (placed["serviceNo"], "pending", "sms", None)]

    assert_problem(order(gw, clerk, None, **body), 400, "idempotency-key-required")
    for bad, status, reason in (
            ({**body, "orderType": "repair"}, 422, "validation-error"),
            ({**body, "productCode": "NOPE"}, 422, "unknown-product"),
            ({**body, "productCode": "BB50"}, 422, "wrong-product-kind"),
            ({**body, "kind": None}, 422, "invalid-kind"),
            ({**body, "customerNo": "C1"}, 404, "customer-not-found"),
            ({**body, "premises": {"address": "新路1号", "areaCode": "9999"}}, 422, "unknown-area"),
            ({**body, "premisesId": 1, "premises": {"address": "新路1号", "areaCode": "0101"}}, 422, "validation-error"),
            ({**body, "kind": "analog_tv", "productCode": "99"}, 422, "unknown-product"),
            ({**body, "orderType": "disconnect", "kind": None, "productCode": None, "serviceNo": "S1"}, 404,
             "service-not-found"),
            ({**body, "appointment": {"day": "2026-13-01", "slot": "AM"}}, 422, "validation-error"),
    ):
        assert_problem(order(gw, clerk, str(uuid.uuid4()), **bad), status, reason)


def test_a_second_open_order_on_a_service_is_409(gw, clerk, settings):
    customer_no = new_customer(gw, clerk)
    _, service_no = attach_cms_line(settings, customer_no)
    conversion = {"customerNo": customer_no, "orderType": "digital_conversion", "serviceNo": service_no,
                  "productCode": "BASIC"}
    assert order(gw, clerk, str(uuid.uuid4()), **conversion).status_code == 201
    assert_problem(order(gw, clerk, str(uuid.uuid4()), **conversion), 409, "open-order-exists")
    disconnect = {"customerNo": customer_no, "orderType": "disconnect", "serviceNo": service_no}
    assert_problem(order(gw, clerk, str(uuid.uuid4()), **disconnect), 409, "open-order-exists")
    swap = {"customerNo": customer_no, "orderType": "equipment_swap", "serviceNo": service_no}
    assert_problem(order(gw, clerk, str(uuid.uuid4()), **swap), 409, "service-kind-not-allowed")


# --- dispatch's events, through the broker and the customer worker ---------------------------------

def publish(settings, event: dict) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange_name("dispatch"), event["type"], json.dumps(event).encode(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2), mandatory=True)
    finally:
        conn.close()


@pytest.fixture
def worker(gw, settings):
    env = {**os.environ, "BSS_LEGACY_SYNC_SECONDS": "3600"}  # the sync is not under test here
    proc = subprocess.Popen([sys.executable, "-m", "services.common.worker", "customer"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    proc.wait(15)


def placed_event(settings, order_no: str) -> dict:
    """service_ordered as the customer relay publishes it, from a queue of the test's own."""
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.exchange_declare(exchange_name("customer"), "topic", durable=True)
        channel.queue_bind(queue, exchange_name("customer"), "service_ordered")
        with OutboxRelay("customer", settings) as relay:
            relay.publish_all()
        while True:
            _, _, body = channel.basic_get(queue, auto_ack=True)
            assert body is not None, f"no service_ordered for {order_no}"
            event = json.loads(body)
            if event["data"]["orderNo"] == order_no:
                return event
    finally:
        conn.close()


def sms_rows(settings, card: str) -> list[tuple]:
    return execute(settings.legacy_sms_url, "SELECT e.entitlement_id::text, e.product_id, e.status, c.subscriber_id::text,"
                                            " t.serial_no FROM entitlement e JOIN smartcard c USING (card_no)"
                                            " LEFT JOIN stb t ON t.card_no = c.card_no WHERE c.card_no = %s", (card,))


def test_a_digital_install_is_activated_when_its_work_order_completes(gw, clerk, settings, worker):
    customer_no = new_customer(gw, clerk)
    placed = order(gw, clerk, str(uuid.uuid4()), customerNo=customer_no, orderType="install", kind="digital_tv",
                   productCode="BASIC").json()
    event = placed_event(settings, placed["id"])
    data = event["data"]
    assert event["source"] == "customer" and data["orderType"] == "install" and data["customerName"] == "赵六"
    assert data["serviceNo"] == placed["serviceNo"] and data["fromServiceNo"] is None
    assert data["premises"]["stationCode"] == "ST01" and data["productName"] == "基本包"
    assert data["appointment"] is None and data["orderedBy"] == "counter" and data["accountNo"].startswith("A")

    work_order_no = f"W{uuid.uuid4().int % 10**9}"
    publish(settings, envelope("dispatch", "work_order_created", {
        "workOrderNo": work_order_no, "type": "install", "source": "product_order", "productOrderNo": placed["id"],
        "campaignNo": None, "customerNo": customer_no, "accountNo": data["accountNo"],
        "serviceNo": placed["serviceNo"], "stationCode": "ST01", "dueAt": None}))
    url = f"/api/v1/productOrders/{placed['id']}"
    wait_for(lambda: gw.get(url, headers=clerk).json()["state"] == "inProgress" or worker.poll() is not None,
             what="the order in progress")
    card, stb = f"8{uuid.uuid4().int % 10**15:015d}", f"STB{uuid.uuid4().int % 10**12:012d}"
    completed = envelope("dispatch", "work_order_completed", {
        "workOrderNo": work_order_no, "type": "install", "productOrderNo": placed["id"], "customerNo": customer_no,
        "accountNo": data["accountNo"], "serviceNo": placed["serviceNo"], "completedAt": "2026-12-07T10:15:00+08:00",
        "technician": "tech-st01-1", "stationCode": "ST01", "resultCode": "OK", "onTime": True,
        "devicesInstalled": [{"kind": "smart_card", "serial": card}, {"kind": "stb", "serial": stb, "model": "HS-3100"}],
        "devicesRemoved": [], "notes": ""})
    publish(settings, completed)
    publish(settings, completed)  # redelivered: changes nothing
    wait_for(lambda: gw.get(url, headers=clerk).json()["state"] != "inProgress" or worker.poll() is not None,
             what="the order carried out")
    assert worker.poll() is None, worker.stdout.read().decode()
    done = gw.get(url, headers=clerk).json()
    assert done["state"] == "completed" and done["workOrderNo"] == work_order_no, done

    view = gw.get(f"/api/v1/customers/{customer_no}", headers=clerk).json()
    (svc,) = view["services"]
    (row,) = sms_rows(settings, card)
    assert svc["state"] == "active" and svc["legacyRef"] == row[0] and svc["deviceSerial"] == card
    assert row[1:3] == ("BASIC", "A") and row[4] == stb  # the SMS holds the entitled card, paired
    assert {(d["kind"], d["serial"], d["pairedSerial"]) for d in view["devices"]} == {
        ("smart_card", card, stb), ("stb", stb, card)}
    assert [link["system"] for link in view["links"]] == ["sms"] and view["links"][0]["legacyKey"] == row[3]
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("SELECT action, outcome FROM customer.write_back w JOIN customer.service s ON s.id = w.service_id"
                    " WHERE s.service_no = %s", (svc["serviceNo"],))
        assert cur.fetchall() == [("install", "ok")]
        cur.execute("SELECT payload->'data' FROM customer.outbox WHERE event_type = 'service_activated'"
                    " AND payload->'data'->>'serviceNo' = %s", (svc["serviceNo"],))
        (activated,), = cur.fetchall()
    assert activated == {"customerNo": customer_no, "serviceNo": svc["serviceNo"], "kind": "digital_tv",
                         "origin": "sms", "productCode": "BASIC", "monthlyFeeMinor": 2500, "currency": "CNY",
                         "orderNo": placed["id"]}
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:
        assert conn.channel().queue_declare(DISPATCH.dead_letter_queue_name, passive=True).method.message_count == 0
    finally:
        conn.close()


# --- a conversion in a world of its own, then the legacy sync ----------------------------------------

def test_a_conversion_cuts_the_line_and_the_sync_duplicates_nothing(settings):
    with imported(settings) as (env, customer_handlers):
        execute(env.legacy_sms_url, "INSERT INTO product VALUES ('HD', '高清包', 'PACK', 1000)")
        orders = OrderHandlers(customer_handlers.db, customer_handlers.cms, customer_handlers.sms)
        (customer_no, analog_no, user_no), = execute(
            env.service_db_url("customer"), "SELECT c.customer_no, s.service_no, s.legacy_ref FROM service s "
            "JOIN customer c ON c.id = s.customer_id WHERE s.origin = 'cms'", schema="customer")
        placed = orders.place(PlaceOrder(customer_no=customer_no, order_type="digital_conversion", service_no=analog_no,
                                         product_code="BASIC", request_id="r1", actor=Actor("clerk-t", "counter")))
        assert orders.place(PlaceOrder(customer_no=customer_no, order_type="digital_conversion",
                                       service_no=analog_no, product_code="BASIC", request_id="r1",
                                       actor=Actor("clerk-t", "counter")))["order_no"] == placed["order_no"]
        devices = [{"kind": "smart_card", "serial": "CONV-CARD"}, {"kind": "stb", "serial": "CONV-STB"}]
        done = orders.work_order_completed(placed["order_no"], "W1", devices, [])
        assert done["state"] == "completed", done["state_detail"]
        assert execute(env.legacy_cms_url, "SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,)) == [("3",)]
        (row,) = sms_rows(env, "CONV-CARD")
        assert row[1:3] == ("BASIC", "A")

        def picture():
            return execute(env.service_db_url("customer"), """
                SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM premises),
                       (SELECT count(*) FROM legacy_link), (SELECT count(*) FROM device),
                       (SELECT array_agg(origin || ':' || state || ':' || coalesce(legacy_ref, '-') ORDER BY id)
                          FROM service)""", schema="customer")[0]
        before = picture()
        assert sorted(before[4]) == sorted([f"cms:disconnected:{user_no}", "sms:active:1", f"sms:active:{row[0]}"])
        counts = run_sync(env)
        assert picture() == before, counts
        assert counts["customers_created"] == 0 and counts["review_pairs"] == 0
        # The same order done again (the event redelivered without its inbox) finds it no longer open.
        with pytest.raises(IllegalTransition, match="completed"):
            orders.work_order_completed(placed["order_no"], "W1", devices, [])


def test_a_campaign_conversion_is_ordered_and_carried_out_when_its_visit_completes(settings):
    with imported(settings) as (env, customer_handlers):
        orders = OrderHandlers(customer_handlers.db, customer_handlers.cms, customer_handlers.sms)
        (customer_no, analog_no, user_no), = execute(
            env.service_db_url("customer"), "SELECT c.customer_no, s.service_no, s.legacy_ref FROM service s "
            "JOIN customer c ON c.id = s.customer_id WHERE s.origin = 'cms'", schema="customer")
        devices = [{"kind": "smart_card", "serial": "CAMP-CARD"}, {"kind": "stb", "serial": "CAMP-STB"}]
        done = orders.campaign_conversion_completed(customer_no.lower(), analog_no, "W77", devices, [], "BASIC")
        assert (done["state"], done["order_type"], done["work_order_no"]) == ("completed", "digital_conversion", "W77")
        assert execute(env.legacy_cms_url, "SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,)) == [("3",)]
        assert sms_rows(env, "CAMP-CARD")[0][1:3] == ("BASIC", "A")
        assert execute(env.service_db_url("customer"), "SELECT count(*) FROM outbox WHERE event_type = "
                       "'service_ordered'", schema="customer") == [(0,)], "dispatch already has the visit"
        with pytest.raises(IllegalTransition, match="completed"):  # the same visit again changes nothing
            orders.campaign_conversion_completed(customer_no, analog_no, "W77", devices, [], "BASIC")


def test_a_swap_a_relocation_and_a_disconnect_are_carried_out_in_the_sms_and_the_cms(settings):
    """张伟's smart card C1 is swapped for a new card (his entitlement follows the card), then his
    service moves house; 王芳's analog line is cut by a disconnect order."""
    clerk = Actor("clerk-t", "counter")
    with imported(settings) as (env, customer_handlers):
        orders = OrderHandlers(customer_handlers.db, customer_handlers.cms, customer_handlers.sms)
        rows = execute(env.service_db_url("customer"), "SELECT c.customer_no, s.service_no, s.origin FROM service s "
                       "JOIN customer c ON c.id = s.customer_id ORDER BY s.origin", schema="customer")
        (analog_customer, analog_no, _), (digital_customer, digital_no, _) = rows

        swap = orders.place(PlaceOrder(customer_no=digital_customer, order_type="equipment_swap",
                                       service_no=digital_no, request_id="swap", actor=clerk))
        done = orders.work_order_completed(swap["order_no"], "W-SWAP", [{"kind": "smart_card", "serial": "SWAP-CARD"}],
                                           [{"kind": "smart_card", "serial": "C1"}])  # like for like
        assert done["state"] == "completed", done["state_detail"]
        assert [r[1:3] for r in sms_rows(env, "SWAP-CARD")] == [("BASIC", "A")], "the entitlement follows the card"
        assert all(r[2] != "A" for r in sms_rows(env, "C1"))

        moved = orders.place(PlaceOrder(customer_no=digital_customer, order_type="relocation", service_no=digital_no,
                                        address="西湖区天目山路 88 号 1 单元 502", area_code="0201", request_id="move",
                                        actor=clerk))
        done = orders.work_order_completed(moved["order_no"], "W-MOVE", [], [])
        assert done["state"] == "completed", done["state_detail"]
        (address,), = execute(env.legacy_sms_url, "SELECT addr FROM subscriber WHERE subscriber_id = 1001")
        assert "天目山路" in address
        (area,), = execute(env.service_db_url("customer"), "SELECT p.area_code FROM service s JOIN premises p "
                           "ON p.id = s.premises_id WHERE s.service_no = %s", (digital_no,), schema="customer")
        assert area == "0201"

        cut = orders.place(PlaceOrder(customer_no=analog_customer, order_type="disconnect", service_no=analog_no,
                                      request_id="cut", actor=clerk))
        done = orders.work_order_completed(cut["order_no"], "W-CUT", [], [])
        assert done["state"] == "completed", done["state_detail"]
        assert execute(env.legacy_cms_url, "SELECT xlzt FROM yhxx WHERE yhbh = 'U04'") == [("3",)]
        (state,), = execute(env.service_db_url("customer"), "SELECT state FROM service WHERE service_no = %s",
                            (analog_no,), schema="customer")
        assert state == "disconnected"
