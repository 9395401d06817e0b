"""The customer service through its real gRPC server (port 0) against the real PostgreSQL and the
legacy databases: create, search, 360 view, state changes written back, errors as status codes."""
from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import psycopg2
import pytest
from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.migrate import migrate
from services.common.provision import ensure_database
from services.customer import grpc_server

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ACTOR = pb.Actor(username="clerk-t", role="counter")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id_no() -> str:
    first17 = f"33010619850101{uuid.uuid4().int % 1000:03d}"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def unique_mobile() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def legacy(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def stub(settings):
    migrate(settings, "customer", ROOT / "services/customer/migrations")
    for url, ddl in ((settings.legacy_cms_url, "cms.sql"), (settings.legacy_sms_url, "sms.sql")):
        ensure_database(url)
        with legacy(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(42)")
            cur.execute((ROOT / "services/legacy_sim" / ddl).read_text())
            cur.execute("SELECT pg_advisory_unlock(42)")
    server, port, readiness, db = grpc_server.build(settings, address="127.0.0.1:0")
    server.start()
    readiness.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield pb_grpc.CustomerServiceStub(channel), channel
    channel.close()
    server.stop(0)
    db.close()


@pytest.fixture
def customer(stub):
    client, _ = stub
    return client.CreateCustomer(pb.CreateCustomerRequest(
        name="王小明", id_no=valid_id_no(), phone=unique_mobile(), address="文三路100号1幢2单元301室",
        area_code="0101", actor=ACTOR))


def attach_cms_line(settings, customer_no: str) -> tuple[str, str]:
    """A CMS user number in the legacy database and its analog service on the golden customer."""
    user_no = f"0101{uuid.uuid4().int % 10**8:08d}"
    with legacy(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO yhxx (yhbh, yhxm, qydm, xlzt, khrq, sflxdm) VALUES (%s, '王小明', '0101', '1', "
                    "'20200101', '01')", (user_no,))
    with legacy(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO customer.service (customer_id, kind, origin, legacy_ref, product_code,
                                                     product_name, monthly_fee_minor, state)
                       SELECT id, 'analog_tv', 'cms', %s, '01', '城镇标准', 2200, 'active'
                         FROM customer.customer WHERE customer_no = %s RETURNING service_no""",
                    (user_no, customer_no))
        return user_no, cur.fetchone()[0]


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
    with legacy(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
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
        with legacy(settings.legacy_cms_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT xlzt FROM yhxx WHERE yhbh = %s", (user_no,))
            return cur.fetchone()[0]

    reply = change("suspend")
    assert (reply.service.state, reply.write_back.outcome, xlzt()) == ("suspended", "ok", "2")
    with pytest.raises(grpc.RpcError) as err:
        change("suspend")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert change("restore").service.state == "active" and xlzt() == "1"
    assert change("disconnect").service.state == "disconnected" and xlzt() == "3"
    with legacy(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""SELECT array_agg(event_type ORDER BY id) FROM customer.outbox
                        WHERE payload->'data'->>'serviceNo' = %s""", (service_no,))
        assert cur.fetchone()[0] == ["service_suspended", "service_restored", "service_disconnected"]


def test_refused_write_back_is_recorded_and_changes_nothing(stub, customer, settings):
    client, _ = stub
    user_no, service_no = attach_cms_line(settings, customer.customer_no)
    with legacy(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM yhxx WHERE yhbh = %s", (user_no,))  # the CMS no longer knows the line
    with pytest.raises(grpc.RpcError) as err:
        client.ChangeServiceState(pb.ChangeServiceStateRequest(
            customer_no=customer.customer_no, service_no=service_no, action="suspend", actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with legacy(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""SELECT s.state, w.outcome FROM customer.service s JOIN customer.write_back w
                         ON w.service_id = s.id WHERE s.service_no = %s""", (service_no,))
        assert cur.fetchall() == [("active", "failed")]
