"""Many clerks creating the same person at once, through the real gRPC server: exactly one customer is
made and every other request is told which customer the person already is (never a server error)."""
from __future__ import annotations

import threading
import uuid

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as pb

from tests.integration.customer_env import autocommit, customer_client, unique_mobile, valid_id_no

pytestmark = pytest.mark.integration
ACTOR = pb.Actor(username="clerk-t", role="counter")
CLERKS = 12


@pytest.fixture(scope="module")
def client(settings):
    with customer_client(settings) as stub:
        yield stub


def create_at_once(client, requests: list[pb.CreateCustomerRequest]) -> tuple[list, list]:
    """Send every request at the same moment, each from its own thread; (views, errors)."""
    start = threading.Barrier(len(requests))
    views, errors = [], []

    def clerk(request):
        start.wait()
        try:
            views.append(client.CreateCustomer(request, timeout=60))
        except grpc.RpcError as e:
            errors.append(e)

    threads = [threading.Thread(target=clerk, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return views, errors


def assert_one_customer_and_the_rest_told_which(views, errors):
    assert len(views) == 1, [e.details() for e in errors]
    number = views[0].customer_no
    assert [e.code() for e in errors] == [grpc.StatusCode.ALREADY_EXISTS] * (CLERKS - 1), \
        [(e.code(), e.details()) for e in errors]
    for e in errors:
        assert number in e.details() and dict(e.trailing_metadata())["bss-reason"] == "duplicate-customer"


def customers_named(settings, name: str) -> int:
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM customer.customer WHERE name = %s", (name,))
        return cur.fetchone()[0]


def unique_name() -> str:
    given = "娜婷伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞"
    n = uuid.uuid4().int
    return "欧阳" + given[n % 20] + given[n // 20 % 20] + given[n // 400 % 20]


def test_same_id_number_at_once_makes_one_customer(client, settings):
    id_no, name = valid_id_no(), unique_name()
    # Spelled as different clerks type it: full-width, lower-case x, spaces; all one number.
    spellings = [id_no, id_no.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")), f" {id_no} "]
    views, errors = create_at_once(client, [
        pb.CreateCustomerRequest(name=name, id_no=spellings[i % 3], phone=unique_mobile(), actor=ACTOR)
        for i in range(CLERKS)])
    assert_one_customer_and_the_rest_told_which(views, errors)
    assert customers_named(settings, name) == 1


def test_same_name_and_phone_without_id_at_once_makes_one_customer(client, settings):
    name, mobile = unique_name(), unique_mobile()
    views, errors = create_at_once(client, [
        pb.CreateCustomerRequest(name=name if i % 2 else f" {name} ", phone=mobile, actor=ACTOR)
        for i in range(CLERKS)])
    assert_one_customer_and_the_rest_told_which(views, errors)
    assert customers_named(settings, name) == 1


def test_an_id_number_taken_meanwhile_by_the_legacy_sync_is_a_duplicate_not_a_failure(client, settings):
    """The sync does not take the clerks' identity locks; the unique ID number catches it, and the clerk
    is told which customer holds the number."""
    id_no, name = valid_id_no(), unique_name()
    sync = autocommit(settings.service_db_url("customer"))
    try:
        with sync.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO customer.customer (name, name_norm, id_no) VALUES (%s, %s, %s) "
                        "RETURNING customer_no", (name, name, id_no))
            number = cur.fetchone()[0]
            result = []
            clerk = threading.Thread(target=lambda: result.extend(create_at_once(client, [
                pb.CreateCustomerRequest(name=name, id_no=id_no, actor=ACTOR)])))
            clerk.start()
            clerk.join(1.0)  # the clerk's insert now waits for the uncommitted number
            cur.execute("COMMIT")
        clerk.join()
    finally:
        sync.close()
    views, errors = result
    assert views == [] and [e.code() for e in errors] == [grpc.StatusCode.ALREADY_EXISTS]
    assert number in errors[0].details()
