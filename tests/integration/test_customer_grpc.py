"""The customer service through its real gRPC server (port 0) against the real PostgreSQL and the
legacy databases: create, search, 360 view, state changes written back, errors as status codes."""
from __future__ import annotations

import uuid

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.inputrules import BATCH_MAX
from services.customer import grpc_server
from tests.integration.customer_env import (attach_cms_line, autocommit, customer_server, prepare_databases,
                                            unique_mobile, valid_id_no)

pytestmark = pytest.mark.integration
ACTOR = pb.Actor(username="clerk-t", role="counter")
GIVEN = "娜婷伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞"


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
    assert customer.accounts[0].premises_id == customer.premises[0].premises_id
    assert customer.recent_contacts[0].kind == "customer_created"
    for q in (customer.phones[0].number, customer.id_no, customer.customer_no):
        found = client.SearchCustomers(pb.SearchCustomersRequest(q=q, limit=10))
        assert customer.customer_no in [c.customer_no for c in found.customers], q



def test_several_views_in_one_call_as_one_view_each(stub, customer):
    client, _ = stub
    other = client.CreateCustomer(pb.CreateCustomerRequest(
        name="李小红", id_no=valid_id_no(), phone=unique_mobile(), address="文三路102号", area_code="0101",
        actor=ACTOR))
    # Any case, unknown numbers and text that is no number at all: those found come back, each once.
    asked = [customer.customer_no.lower(), "C0", "C\u0661", other.customer_no, customer.customer_no]
    reply = client.GetCustomers(pb.GetCustomersRequest(customer_nos=asked, recent_contacts=1))
    views = {v.customer_no: v for v in reply.customers}
    assert len(reply.customers) == 2 and set(views) == {customer.customer_no, other.customer_no}
    single = client.GetCustomer(pb.GetCustomerRequest(customer_no=customer.customer_no, recent_contacts=1))
    assert views[customer.customer_no] == single
    assert client.GetCustomers(pb.GetCustomersRequest()).customers == []
    with pytest.raises(grpc.RpcError) as err:
        client.GetCustomers(pb.GetCustomersRequest(customer_nos=["C0"] * (BATCH_MAX + 1)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_like_wildcards_in_a_search_are_plain_characters(stub, customer):
    # They used to be wildcards: q=% matched (and counted) every customer.
    client, _ = stub
    for q in ("%", "_", "%路%"):
        assert client.SearchCustomers(pb.SearchCustomersRequest(q=q, limit=10)).total == 0, q

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



def test_nul_in_a_reason_is_refused_before_the_cms_is_told(stub, customer, settings):
    # PostgreSQL cannot record a NUL: the CMS line used to be suspended, then the recording failed.
    client, _ = stub
    user_no, service_no = attach_cms_line(settings, customer.customer_no)
    with pytest.raises(grpc.RpcError) as err:
        client.ChangeServiceState(pb.ChangeServiceStateRequest(
            customer_no=customer.customer_no, service_no=service_no, action="suspend", reason="a\x00b",
            actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(err.value.trailing_metadata())["bss-reason"] == "invalid-text"
    with autocommit(settings.legacy_cms_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT xlzt, (SELECT count(*) FROM czrz WHERE yhbh = %s) FROM yhxx WHERE yhbh = %s",
                    (user_no, user_no))
        assert cur.fetchone() == ("1", 0)
    for call, request in ((client.SearchCustomers, pb.SearchCustomersRequest(q="\x00")),
                          (client.GetCustomer, pb.GetCustomerRequest(customer_no="C1\x00")),
                          (client.CreateCustomer, pb.CreateCustomerRequest(name="王\x00明", actor=ACTOR))):
        with pytest.raises(grpc.RpcError) as err:
            call(request)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request


def pending_match(settings, left: pb.CustomerView, right: pb.CustomerView) -> int:
    """A review-queue pair as the importer leaves it for two customers that may be one person."""
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO customer.match_candidate (customer_a, customer_b, score, reasons)
                       SELECT least(a.id, b.id), greatest(a.id, b.id), 0.75, '{name_exact,address_equal}'
                         FROM customer.customer a, customer.customer b
                        WHERE a.customer_no = %s AND b.customer_no = %s RETURNING id""",
                    (left.customer_no, right.customer_no))
        return cur.fetchone()[0]


def test_accepting_a_match_merges_into_the_older_customer(stub, settings):
    client, _ = stub
    older = client.CreateCustomer(pb.CreateCustomerRequest(name="李娜", phone=unique_mobile(), actor=ACTOR,
                                                           address="解放路1号", area_code="0201"))
    newer = client.CreateCustomer(pb.CreateCustomerRequest(name="李娜", id_no=valid_id_no(), phone=unique_mobile(),
                                                           address="解放路1号", actor=ACTOR))
    match_id = pending_match(settings, older, newer)
    assert client.ListMatches(pb.ListMatchesRequest(status="pending", limit=1)).total >= 1

    decided = client.AcceptMatch(pb.DecideMatchRequest(match_id=match_id, actor=ACTOR))
    assert (decided.status, decided.decided_by) == ("accepted", "clerk-t")
    survivor = client.GetCustomer(pb.GetCustomerRequest(customer_no=older.customer_no))
    assert survivor.id_no == newer.id_no  # the survivor takes the ID number it lacked
    assert {p.number for p in survivor.phones} == {older.phones[0].number, newer.phones[0].number}
    assert len(survivor.premises) == 1  # the same normalized address is one premises
    assert len(survivor.accounts) == 2
    merged = client.GetCustomer(pb.GetCustomerRequest(customer_no=newer.customer_no))
    assert (merged.status, merged.merged_into, merged.id_no) == ("merged", older.customer_no, "")

    with pytest.raises(grpc.RpcError) as err:
        client.RejectMatch(pb.DecideMatchRequest(match_id=match_id, actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as err:
        client.UpdateContact(pb.UpdateContactRequest(customer_no=newer.customer_no, email="a@b.cn", actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_rejecting_a_match_keeps_both(stub, settings):
    client, _ = stub
    a = client.CreateCustomer(pb.CreateCustomerRequest(name="赵强", phone=unique_mobile(), actor=ACTOR))
    b = client.CreateCustomer(pb.CreateCustomerRequest(name="赵强", phone=unique_mobile(), actor=ACTOR))
    decided = client.RejectMatch(pb.DecideMatchRequest(match_id=pending_match(settings, a, b), actor=ACTOR))
    assert decided.status == "rejected"
    for c in (a, b):
        assert client.GetCustomer(pb.GetCustomerRequest(customer_no=c.customer_no)).status == "active"
    with pytest.raises(grpc.RpcError) as err:
        client.AcceptMatch(pb.DecideMatchRequest(match_id=10**12, actor=ACTOR))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_search_by_smart_card_name_and_address(stub, settings):
    client, _ = stub
    street = f"测试路{uuid.uuid4().int % 10**6}号"
    n = uuid.uuid4().int
    name = "欧阳" + "".join(GIVEN[n // 20**i % 20] for i in range(3))  # rare enough for a shared database
    c = client.CreateCustomer(pb.CreateCustomerRequest(name=name, phone=unique_mobile(), actor=ACTOR,
                                                       address=f"{street}3栋2单元501室", area_code="0301"))
    card_no = f"8{uuid.uuid4().int % 10**15:015d}"
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO customer.device (customer_id, kind, serial, origin)
                       SELECT id, 'smart_card', %s, 'sms' FROM customer.customer WHERE customer_no = %s""",
                    (card_no, c.customer_no))

    def found(q):
        reply = client.SearchCustomers(pb.SearchCustomersRequest(q=q, limit=200))
        return {x.customer_no: x.matched_on for x in reply.customers}

    assert found(card_no) == {c.customer_no: "smart_card"}
    assert found(f"{street}3幢2单元501").get(c.customer_no) == "address"  # written differently, same place
    assert found(name).get(c.customer_no) == "name"


def test_landline_found_without_its_area_code(stub):
    client, _ = stub
    local = f"8{uuid.uuid4().int % 10**7:07d}"
    c = client.CreateCustomer(pb.CreateCustomerRequest(name="钱多多", phone=f"0571-{local}", actor=ACTOR))
    reply = client.SearchCustomers(pb.SearchCustomersRequest(q=f"{local[:4]} {local[4:]}", limit=50))
    assert c.customer_no in [x.customer_no for x in reply.customers]
    assert {x.matched_on for x in reply.customers} == {"local_phone"}
