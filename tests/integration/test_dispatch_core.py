"""Work orders made and read: a product order on the broker becomes one work order (once, however often
it comes), a fault call through the gateway opens an idempotent repair visit routed to the customer's
station, each role sees what it may, and cancel/reopen follow the state machine."""
from __future__ import annotations

import uuid

import grpc
import psycopg2
import pytest
from bss.dispatch.v1 import dispatch_pb2 as dpb
from bss.dispatch.v1 import dispatch_pb2_grpc as dpb_grpc

from services.common.inputrules import BATCH_MAX
from services.common.outbox import envelope
from services.dispatch import store
from tests.harness import publish_as_relay
from tests.integration.dispatch_env import (bearer, customer, customer_db, customer_with_line, db, dispatch,  # noqa: F401
                                            gateway_db,
                                            gw, service_ordered, worker)
from tests.integration.test_gateway import assert_problem
from tests.integration.test_outbox_inbox import wait_for

pytestmark = pytest.mark.integration


def orders_of(db, product_order_no: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT work_order_no, type, state, station_code FROM work_order WHERE product_order_no = %s",
                    (product_order_no,))
        return cur.fetchall()


def outbox_types(db, work_order_no: str) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT event_type FROM outbox WHERE payload->'data'->>'workOrderNo' = %s ORDER BY id",
                    (work_order_no,))
        return [r["event_type"] for r in cur.fetchall()]


def test_a_product_order_becomes_one_work_order(settings, db, worker):
    event = service_ordered("digital_conversion", station="ST02")
    publish_as_relay(settings, event)
    publish_as_relay(settings, event)  # redelivered: changes nothing
    order_no = event["data"]["orderNo"]
    wait_for(lambda: orders_of(db, order_no), what="the work order of the product order")
    [order] = orders_of(db, order_no)
    assert (order["type"], order["state"], order["station_code"]) == ("digital_conversion", "open", "ST02")
    assert outbox_types(db, order["work_order_no"]) == ["work_order_created"]
    # The same product order in a new event (the customer service republished it) still makes one.
    publish_as_relay(settings, envelope("customer", "service_ordered", event["data"]))
    malformed = service_ordered(orderType="teleport")
    publish_as_relay(settings, malformed)
    marker = service_ordered()
    publish_as_relay(settings, marker)
    wait_for(lambda: orders_of(db, marker["data"]["orderNo"]), what="the order after the bad ones")
    assert len(orders_of(db, order_no)) == 1 and orders_of(db, malformed["data"]["orderNo"]) == []


def test_a_fault_call_opens_a_repair_visit_once(settings, gw, customer_db):
    customer_no, service_no = customer_with_line(settings, customer_db, area_code="0201")
    agent = {**bearer(gw, "agent"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"customerNo": customer_no.lower(), "serviceNo": service_no, "description": "没有图像，满屏雪花"}
    first = gw.post("/api/v1/workOrders", json=body, headers=agent)
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["type"] == "repair" and order["state"] == "open" and order["customerNo"] == customer_no
    assert order["premises"]["stationCode"] == "ST02" and order["dueAt"], "a repair is due within 24 hours"
    assert first.headers["Location"].endswith(order["id"])
    again = gw.post("/api/v1/workOrders", json=body, headers=agent)
    assert again.json()["id"] == order["id"]
    seen = gw.get(f"/api/v1/workOrders/{order['id']}", headers=bearer(gw, "counter")).json()
    assert [t["action"] for t in seen["history"]] == ["create"]
    listed = gw.get("/api/v1/workOrders", params={"customerNo": customer_no, "open": "true"},
                    headers=bearer(gw, "supervisor"))
    assert [o["id"] for o in listed.json()["data"]] == [order["id"]] and listed.headers["X-Total-Count"] == "1"
    # The 360 view lists it among the customer's open orders, for the roles that see it.
    view = gw.get(f"/api/v1/customers/{customer_no}", headers=bearer(gw, "counter")).json()
    assert [(w["id"], w["type"], w["state"]) for w in view["openWorkOrders"]] == [(order["id"], "repair", "open")]
    assert "workOrders" not in view["unavailable"]
    other_station = gw.get(f"/api/v1/customers/{customer_no}", headers=bearer(gw, "dispatcher")).json()
    assert other_station["openWorkOrders"] == [], "a dispatcher sees their own station's orders only"


def test_bad_fault_calls_are_refused_clearly(settings, gw, customer_db):
    customer_no, service_no = customer_with_line(settings, customer_db)
    agent = {**bearer(gw, "agent"), "Idempotency-Key": str(uuid.uuid4())}
    assert_problem(gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": "S1",
                                                       "description": "x"}, headers=agent), 422, "unknown-service")
    agent["Idempotency-Key"] = str(uuid.uuid4())
    assert_problem(gw.post("/api/v1/workOrders", json={"customerNo": "C999999999", "serviceNo": service_no,
                                                       "description": "x"}, headers=agent), 404, "customer-not-found")
    assert gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": service_no,
                                               "description": ""}, headers=agent).status_code == 422
    agent["Idempotency-Key"] = str(uuid.uuid4())
    assert_problem(gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": service_no,
                                                       "description": "x", "reference": "T1\x00"}, headers=agent),
                   422, "invalid-text")
    missing_key = {k: v for k, v in agent.items() if k != "Idempotency-Key"}
    assert_problem(gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": service_no,
                                                       "description": "x"}, headers=missing_key),
                   400, "idempotency-key-required")


def test_each_role_sees_what_it_may(settings, gw, customer_db):
    customer_no, service_no = customer_with_line(settings, customer_db, area_code="0301")  # station ST03
    order = gw.post("/api/v1/workOrders", json={"customerNo": customer_no, "serviceNo": service_no,
                                                "description": "信号时有时无"},
                    headers={**bearer(gw, "counter"), "Idempotency-Key": str(uuid.uuid4())}).json()
    # The `dispatcher` works ST01 and the `technician` has no order: neither sees it, as if it did not exist.
    for role in ("dispatcher", "technician"):
        assert_problem(gw.get(f"/api/v1/workOrders/{order['id']}", headers=bearer(gw, role)), 404,
                       "work-order-not-found")
    st03 = bearer(gw, "dispatcher-st03")
    assert gw.get(f"/api/v1/workOrders/{order['id']}", headers=st03).status_code == 200
    listed = gw.get("/api/v1/workOrders", params={"stationCode": "ST03", "customerNo": customer_no},
                    headers=bearer(gw, "dispatcher")).json()
    assert listed["count"] == 0, "a dispatcher's list is their own station's, whatever they ask"
    # Cancel needs a reason; a cancelled order cannot be cancelled again; reopening is for completed ones.
    assert gw.post(f"/api/v1/workOrders/{order['id']}/cancel", json={}, headers=st03).status_code == 422
    cancelled = gw.post(f"/api/v1/workOrders/{order['id']}/cancel", json={"reason": "客户自行恢复"}, headers=st03)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert_problem(gw.post(f"/api/v1/workOrders/{order['id']}/cancel", json={"reason": "again"}, headers=st03),
                   409, "illegal-transition")
    assert_problem(gw.post(f"/api/v1/workOrders/{order['id']}/reopen", json={"reason": "x"},
                           headers=bearer(gw, "supervisor")), 409, "illegal-transition")
    assert gw.post(f"/api/v1/workOrders/{order['id']}/cancel", json={"reason": "x"},
                   headers=bearer(gw, "technician")).status_code == 403


def test_an_order_of_an_unknown_station_is_refused_and_a_used_station_kept(db):
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="unknown station ST99"):
        with db.transaction() as cur:
            cur.execute("INSERT INTO work_order (type, source, customer_no, station_code, created_by, updated_by) "
                        "VALUES ('repair', 'fault', 'C1', 'ST99', 't', 't')")
    with db.transaction() as cur:
        store.ensure_station(cur, "ST98", "测试站")
        cur.execute("INSERT INTO work_order (type, source, customer_no, station_code, created_by, updated_by) "
                    "VALUES ('repair', 'fault', 'C1', 'ST98', 't', 't') RETURNING work_order_no")
        no = cur.fetchone()["work_order_no"]
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="moved to unknown station"):
        with db.transaction() as cur:
            cur.execute("UPDATE work_order SET station_code = 'ST99' WHERE work_order_no = %s", (no,))
    with pytest.raises(psycopg2.errors.ForeignKeyViolation, match="still has work orders"):
        with db.transaction() as cur:
            cur.execute("DELETE FROM station WHERE station_code = 'ST98'")


def test_open_orders_of_several_customers_in_one_call_each_narrowed_by_who_asks(settings, gw, customer_db,
                                                                                 dispatch):
    agent = bearer(gw, "agent")
    customers = [customer_with_line(settings, customer_db, area_code="0201") for _ in range(2)]
    orders = {}
    for customer_no, service_no in customers:
        for description in ("没有图像", "没有声音"):
            made = gw.post("/api/v1/workOrders", headers={**agent, "Idempotency-Key": str(uuid.uuid4())},
                           json={"customerNo": customer_no, "serviceNo": service_no, "description": description})
            assert made.status_code == 201, made.text
            orders.setdefault(customer_no, []).append(made.json()["id"])
    (first, _), (second, _) = customers
    counter = dpb.Actor(username="counter", role="counter")
    elsewhere = dpb.Actor(username="dispatcher", role="dispatcher", scope="ST01")
    asked = [dpb.ListOpenWorkOrdersRequest(customer_no=first, limit=10, actor=counter),
             dpb.ListOpenWorkOrdersRequest(customer_no=second.lower(), limit=1, actor=counter),
             dpb.ListOpenWorkOrdersRequest(customer_no=first, limit=10, actor=elsewhere),
             dpb.ListOpenWorkOrdersRequest(customer_no="C0", limit=10, actor=counter),
             dpb.ListOpenWorkOrdersRequest(customer_no="C\u0661", limit=10, actor=counter)]
    with grpc.insecure_channel(f"127.0.0.1:{dispatch}") as channel:
        stub = dpb_grpc.WorkOrderServiceStub(channel)
        reply = stub.ListOpenWorkOrdersOfCustomers(dpb.ListOpenWorkOrdersOfCustomersRequest(requests=asked))
        alone = stub.ListOpenWorkOrders(asked[0])
        with pytest.raises(grpc.RpcError) as too_many:
            stub.ListOpenWorkOrdersOfCustomers(dpb.ListOpenWorkOrdersOfCustomersRequest(
                requests=asked * (BATCH_MAX // len(asked) + 1)))
    mine, limited, not_my_station, unknown, malformed = ([w.work_order_no for w in a.work_orders]
                                                         for a in reply.answers)
    assert sorted(mine) == sorted(orders[first]) and mine == [w.work_order_no for w in alone.work_orders]
    assert len(limited) == 1 and limited[0] in orders[second]
    assert not_my_station == [] and unknown == [] and malformed == []
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
