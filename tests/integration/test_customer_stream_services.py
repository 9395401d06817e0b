"""StreamServices through the real gRPC server: the services of a kind and state in some areas, as pages of
columns with what a visit needs (who, phone, account, where, which station); other kinds, states and
areas are left out, an area without any gives one empty page, and bad requests are INVALID_ARGUMENT."""
from __future__ import annotations

import uuid

import grpc
import pytest
from bss.customer.v1 import customer_pb2 as pb

from services.common.errors import REASON_METADATA_KEY
from tests.integration.customer_env import attach_cms_line, autocommit, customer_client, unique_mobile, valid_id_no

pytestmark = pytest.mark.integration
ACTOR = pb.Actor(username="clerk-t", role="counter")


@pytest.fixture(scope="module")
def client(settings):
    with customer_client(settings) as stub:
        yield stub


def home(settings, client, area_code: str, state: str = "active") -> tuple[pb.CustomerView, str]:
    """A customer living in the area (one no station covers, as imported premises may be) with an analog
    line in `state`, on those premises."""
    customer = client.CreateCustomer(pb.CreateCustomerRequest(
        name="赵小燕", id_no=valid_id_no(), phone=unique_mobile(), address=f"{area_code} 号楼", area_code="0102",
        actor=ACTOR))
    _, service_no = attach_cms_line(settings, customer.customer_no)
    with autocommit(settings.service_db_url("customer")) as conn, conn.cursor() as cur:
        cur.execute("""UPDATE customer.service s SET premises_id = p.id, state = %s FROM customer.premises p
                       WHERE s.service_no = %s AND p.customer_id = s.customer_id""", (state, service_no))
        cur.execute("UPDATE customer.premises SET area_code = %s WHERE customer_id = (SELECT id FROM "
                    "customer.customer WHERE customer_no = %s)", (area_code, customer.customer_no))
    return customer, service_no


def rows(pages) -> list[dict]:
    fields = [f.name for f in pb.ServicePage.DESCRIPTOR.fields]
    return [dict(zip(fields, values)) for page in pages for values in zip(*(getattr(page, f) for f in fields))]


def test_the_services_of_a_kind_and_state_in_the_areas_come_as_columns(settings, client):
    area = f"8{uuid.uuid4().int % 10**6:06d}"  # no station covers it
    active, service_no = home(settings, client, area)
    home(settings, client, area, state="suspended")
    _, elsewhere = home(settings, client, "0102")

    pages = list(client.StreamServices(pb.StreamServicesRequest(area_codes=[area, "0102"], kind="analog_tv",
                                                                state="active", page_size=1)))
    found = {r["service_no"]: r for r in rows(pages)}
    assert all(len(p.service_no) <= 1 for p in pages)
    assert found[service_no] == {
        "customer_no": active.customer_no, "customer_name": "赵小燕", "primary_phone": active.phones[0].number,
        "account_no": "", "service_no": service_no, "premises_id": active.premises[0].premises_id,
        "address": f"{area} 号楼", "area_code": area, "station_code": "", "station_name": ""}
    assert (found[elsewhere]["station_code"], found[elsewhere]["station_name"]) == ("ST01", "城东站")
    assert {r["area_code"] for r in found.values()} <= {area, "0102"}
    assert len([r for r in found.values() if r["area_code"] == area]) == 1  # not the suspended one

    empty = list(client.StreamServices(pb.StreamServicesRequest(area_codes=["7654321"], kind="analog_tv",
                                                                state="active")))
    assert len(empty) == 1 and len(empty[0].service_no) == 0


@pytest.mark.parametrize("request_, reason", [
    (pb.StreamServicesRequest(area_codes=[], kind="analog_tv", state="active"), "invalid-area-codes"),
    (pb.StreamServicesRequest(area_codes=["01 01"], kind="analog_tv", state="active"), "invalid-area-codes"),
    (pb.StreamServicesRequest(area_codes=["0101"], kind="radio", state="active"), "invalid-kind"),
    (pb.StreamServicesRequest(area_codes=["0101"], kind="analog_tv", state="asleep"), "invalid-state"),
    (pb.StreamServicesRequest(area_codes=["0101"], kind="analog_tv", state="active", page_size=10001),
     "invalid-page"),
])
def test_bad_requests_are_invalid_arguments(client, request_, reason):
    with pytest.raises(grpc.RpcError) as refused:
        list(client.StreamServices(request_))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())[REASON_METADATA_KEY] == reason
