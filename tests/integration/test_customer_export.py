"""ExportCustomers through the real gRPC server: every customer with accounts, premises and services, a
page at a time from one snapshot, with the outbox position it reflects; an event emitted after the
export comes with a greater position, so a copy built from the export knows which events to apply."""
from __future__ import annotations

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as pb

from services.common.relay import OutboxRelay
from tests.integration.customer_env import (attach_cms_line, autocommit, customer_client,
                                            unique_mobile, valid_id_no)

pytestmark = pytest.mark.integration
ACTOR = pb.Actor(username="clerk-t", role="counter")


@pytest.fixture(scope="module")
def client(settings):
    with customer_client(settings) as stub:
        yield stub


def create(client) -> pb.CustomerView:
    return client.CreateCustomer(pb.CreateCustomerRequest(
        name="王小明", id_no=valid_id_no(), phone=unique_mobile(), address="文三路100号1幢2单元301室",
        area_code="0101", actor=ACTOR))


def publish_everything(settings) -> None:
    with OutboxRelay("customer", settings) as relay:
        relay.publish_all()


def position_of(settings, customer_no: str) -> int:
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("SELECT position FROM customer.outbox WHERE event_type = 'customer_created' "
                    "AND payload->'data'->>'customerNo' = %s", (customer_no,))
        return cur.fetchone()[0]


def test_the_export_streams_every_customer_with_the_position_it_reflects(settings, client):
    customer = create(client)
    create(client), create(client)  # three customers at least: a fresh database still exports two pages
    _, service_no = attach_cms_line(settings, customer.customer_no)
    publish_everything(settings)  # the customer's creation now has a position the export must reflect

    pages = list(client.ExportCustomers(pb.ExportCustomersRequest(page_size=2)))
    positions = {p.position for p in pages}
    assert len(positions) == 1
    position = positions.pop()
    assert position >= position_of(settings, customer.customer_no) > 0
    assert all(len(p.customers) <= 2 for p in pages) and len(pages) > 1
    exported = {c.customer_no: c for p in pages for c in p.customers}
    assert len(exported) == sum(len(p.customers) for p in pages)  # each customer once
    mine = exported[customer.customer_no]
    assert (mine.name, mine.status, mine.tier) == ("王小明", "active", "regular")
    assert [a.account_no for a in mine.accounts] == [a.account_no for a in customer.accounts]
    assert mine.premises[0].address == "文三路100号1幢2单元301室" and mine.premises[0].station_code == "ST01"
    assert [(s.service_no, s.origin, s.state, s.kind) for s in mine.services] == [
        (service_no, "cms", "active", "analog_tv")]

    later = create(client)  # emitted after the snapshot
    publish_everything(settings)
    assert later.customer_no not in exported
    assert position_of(settings, later.customer_no) > position


def test_an_invalid_page_size_ends_the_stream_with_its_status(client):
    for size in (-1, 2001):
        with pytest.raises(grpc.RpcError) as err:
            list(client.ExportCustomers(pb.ExportCustomersRequest(page_size=size)))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(err.value.trailing_metadata())["bss-reason"] == "invalid-page"
