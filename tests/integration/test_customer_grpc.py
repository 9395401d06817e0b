"""The customer service through its real gRPC server (port 0) against the real PostgreSQL and the
legacy databases: create, search, 360 view, state changes written back, errors as status codes."""
from __future__ import annotations

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.customer import grpc_server
from tests.integration.customer_env import (attach_cms_line, autocommit, customer_server, prepare_databases,
                                            unique_mobile, valid_id_no)

pytestmark = pytest.mark.integration
ACTOR = pb.Actor(username="clerk-t", role="counter")


@pytest.fixture(scope="module")
def stub(settings):
    prepare_databases(settings)
    with customer_server(settings) as port:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield pb_grpc.CustomerServiceStub(channel), channel
        channel.close()


@pytest.fixture
def customer(stub):
    client, _ = stub
    return client.CreateCustomer(pb.CreateCustomerRequest(
        name="王小明", id_no=valid_id_no(), phone=unique_mobile(), address="文三路100号1幢2单元301室",
        area_code="0101", actor=ACTOR))


def test_health_is_serving(stub):
    _, channel = stub
    reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=grpc_server.SERVICE_NAME))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_create_then_find_by_each_key(stub, customer):
    client, _ = stub
    assert customer.customer_no.startswith("C")
    assert customer.premises[0].station_code == "ST01"
    assert customer.recent_contacts[0].kind == "customer_created"
    for q in (customer.phones[0].number, customer.id_no, customer.customer_no):
        found = client.SearchCustomers(pb.SearchCustomersRequest(q=q, limit=10))
        assert customer.customer_no in [c.customer_no for c in found.customers], q


def test_duplicate_and_invalid_inputs_are_clear_errors(stub, customer):
    client, _ = stub
    with pytest.raises(grpc.RpcError) as err:
        client.CreateCustomer(pb.CreateCustomerRequest(name="王小明", id_no=customer.id_no, actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    for bad in (dict(name="张三", id_no="330106198501010000"), dict(name="张三", phone="12345"),
                dict(name=""), dict(name="张三", tier="gold")):
        with pytest.raises(grpc.RpcError) as err:
            client.CreateCustomer(pb.CreateCustomerRequest(actor=ACTOR, **bad))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
        assert dict(err.value.trailing_metadata())["bss-reason"].startswith("invalid-")
    with pytest.raises(grpc.RpcError) as err:
        client.GetCustomer(pb.GetCustomerRequest(customer_no="C0"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_update_contact_is_audited(stub, customer, settings):
    client, _ = stub
    phone = unique_mobile()
    view = client.UpdateContact(pb.UpdateContactRequest(customer_no=customer.customer_no, phone=phone,
                                                        tier="VIP", actor=ACTOR))
    assert view.tier == "VIP" and view.updated_by == "clerk-t"
    assert [p.number for p in view.phones if p.primary] == [phone]
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("SELECT actor FROM customer.audit_log WHERE entity_key = %s AND action = 'update_contact'",
                    (customer.customer_no,))
        assert cur.fetchone()[0] == "clerk-t"


def test_suspend_restore_disconnect_written_back_to_cms(stub, customer, settings):
    client, _ = stub
    user_no, service_no = attach_cms_line(settings, customer.customer_no)

    def change(action):
        return client.ChangeServiceState(pb.ChangeServiceStateRequest(
            customer_no=customer.customer_no, service_no=service_no, action=action, actor=ACTOR))

    def xlzt():
        with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,))
            return cur.fetchone()[0]

    reply = change("suspend")
    assert (reply.service.state, reply.write_back.outcome, xlzt()) == ("suspended", "ok", "2")
    with pytest.raises(grpc.RpcError) as err:
        change("suspend")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert change("restore").service.state == "active" and xlzt() == "1"
    assert change("disconnect").service.state == "disconnected" and xlzt() == "3"
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""SELECT array_agg(event_type ORDER BY id) FROM customer.outbox
                        WHERE payload->'data'->>'serviceNo' = %s""", (service_no,))
        assert cur.fetchone()[0] == ["service_suspended", "service_restored", "service_disconnected"]


def test_refused_write_back_is_recorded_and_changes_nothing(stub, customer, settings):
    client, _ = stub
    user_no, service_no = attach_cms_line(settings, customer.customer_no)
    with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM yhxx WHERE yhbh = %s", (user_no,))  # the CMS no longer knows the line
    with pytest.raises(grpc.RpcError) as err:
        client.ChangeServiceState(pb.ChangeServiceStateRequest(
            customer_no=customer.customer_no, service_no=service_no, action="suspend", actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""SELECT s.state, w.outcome FROM customer.service s JOIN customer.write_back w
                         ON w.service_id = s.id WHERE s.service_no = %s""", (service_no,))
        assert cur.fetchall() == [("active", "failed")]
