"""Wire schemas: camelCase in and out, strict input, translation to and from the customer messages."""
import json

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bss.customer.v1 import customer_pb2 as pb
from gateway.app.auth import Role, User
from gateway.app.correlation import CorrelationMiddleware, pick
from gateway.app.fields import TOTAL_COUNT_HEADER, page, parse_fields, selected
from gateway.app.problems import Problem
from gateway.app.schemas.customers import (ContactUpdate, CustomerCreate, CustomerPublic, CustomersPublic,
                                           CustomerSummaryPublic, ServiceChangePublic, ServiceStateChange)
from gateway.app.schemas.matches import MatchPublic

CLERK = User("clerk1", Role.COUNTER)
ID_NO = "110101199003071234"


def view() -> pb.CustomerView:
    return pb.CustomerView(
        customer_no="C10000001", name="王小明", id_type="CN_ID", id_no=ID_NO, tier="VIP", status="active",
        phones=[pb.Phone(number="13812345678", kind="mobile", primary=True, source="cms")],
        premises=[pb.Premises(premises_id="7", address="文三路100号", area_code="0101", station_code="ST01",
                              station_name="城东站"), pb.Premises(premises_id="8", address="无站点")],
        services=[pb.Service(service_no="S30000001", kind="analog_tv", origin="cms", legacy_ref="010100000001",
                             product_code="01", product_name="城镇标准", monthly_fee_minor=2200, currency="CNY",
                             state="active", started_at="2020-01-01T00:00:00+00:00")],
        links=[pb.LegacyLink(system="cms", legacy_key="010100000001", method="id_no", score=1.0)],
        created_at="2024-01-01T00:00:00+00:00")


def test_create_accepts_camel_case_and_fills_the_request():
    body = CustomerCreate.model_validate({"name": " 王小明 ", "idNo": ID_NO, "phone": "13812345678",
                                          "address": "文三路100号", "areaCode": "0101"})
    req = body.to_proto(CLERK)
    assert (req.name, req.id_no, req.area_code, req.tier, req.email) == ("王小明", ID_NO, "0101", "regular", "")
    assert (req.actor.username, req.actor.role) == ("clerk1", "counter")


@pytest.mark.parametrize("body", [
    {"phone": "13812345678", "address": "x"},                                      # no name
    {"name": "a", "phone": "13812345678", "address": "x", "nmae": "typo"},          # unknown field
    {"name": "a", "phone": "13812345678", "address": "x", "idNo": "12345"},         # not an ID number shape
    {"name": "a", "phone": "not a phone", "address": "x"},
    {"name": "a", "phone": "13812345678", "address": "x", "tier": "gold"},
    {"name": "a", "phone": "13812345678", "address": "x", "email": "no-at-sign"},
    {"name": "王" * 61, "phone": "13812345678", "address": "x"},                    # longer than the service takes
])
def test_create_refuses_bad_input(body):
    with pytest.raises(ValidationError):
        CustomerCreate.model_validate(body)


def test_contact_update_sends_only_the_fields_given():
    req = ContactUpdate.model_validate({"areaCode": "0202", "email": None}).to_proto("C1", CLERK)
    assert req.HasField("area_code") and req.area_code == "0202"
    assert not any(req.HasField(f) for f in ("phone", "email", "address", "tier"))


def test_contact_update_needs_something_to_change():
    with pytest.raises(ValidationError):
        ContactUpdate.model_validate({})


def test_state_change_reason_is_optional():
    req = ServiceStateChange().to_proto("C1", "S1", "suspend", CLERK)
    assert (req.action, req.reason, req.actor.role) == ("suspend", "", "counter")


def test_360_view_in_camel_case_with_money_stations_and_nulls():
    out = CustomerPublic.from_proto(view(), "counter").model_dump(mode="json", by_alias=True)
    assert out["customerNo"] == "C10000001" and out["idNo"] == ID_NO
    assert out["services"][0]["monthlyFee"] == {"amountMinor": 2200, "currency": "CNY"}
    assert out["premises"][0]["station"] == {"code": "ST01", "name": "城东站"}
    assert out["premises"][1]["station"] is None and out["premises"][1]["areaCode"] is None
    assert out["services"][0]["endedAt"] is None and out["mergedInto"] is None
    assert out["links"][0]["method"] == "id_no"


@pytest.mark.parametrize("role, id_no, phone", [
    ("counter", ID_NO, "13812345678"), ("agent", "110101********1234", "13812345678"),
    ("technician", "110101********1234", "13812345678"), ("bank", "110101********1234", "138****5678"),
])
def test_personal_data_is_masked_by_role(role, id_no, phone):
    full = CustomerPublic.from_proto(view(), role)
    assert (full.id_no, full.phones[0].number) == (id_no, phone)
    summary = CustomerSummaryPublic.from_proto(
        pb.CustomerSummary(customer_no="C1", id_no=ID_NO, primary_phone="13812345678"), role)
    assert (summary.id_no, summary.primary_phone) == (id_no, phone)
    match = MatchPublic.from_proto(pb.Match(id=1, left=pb.MatchSide(id_no=ID_NO, phone="13812345678")), role)
    assert (match.left.id_no, match.left.phone) == (id_no, phone)


def test_service_change_without_write_back():
    out = ServiceChangePublic.from_proto(pb.ChangeServiceStateResponse(service=view().services[0]))
    assert out.write_back is None and out.service.state == "active"


def test_fields_are_camel_case_names_of_the_model():
    assert parse_fields("customerNo, name,", CustomerSummaryPublic) == {"customer_no", "name"}
    assert parse_fields(None, CustomerSummaryPublic) is None
    assert parse_fields(" , ", CustomerSummaryPublic) is None
    with pytest.raises(Problem) as err:
        parse_fields("customerNo,customer_no,password", CustomerSummaryPublic)
    assert (err.value.status, err.value.reason) == (422, "unknown-field")
    assert "customer_no, password" in err.value.detail


def test_selected_and_page_responses():
    one = json.loads(selected(CustomerPublic.from_proto(view(), "counter"), {"customer_no", "tier"}).body)
    assert one == {"customerNo": "C10000001", "tier": "VIP"}
    result = CustomersPublic.from_proto(pb.SearchCustomersResponse(
        customers=[pb.CustomerSummary(customer_no="C1", name="a")], total=41), "counter")
    response = page(result, {"name"})
    assert json.loads(response.body) == {"data": [{"name": "a"}], "count": 41, "countCapped": False}
    assert response.headers[TOTAL_COUNT_HEADER] == "41"


@pytest.mark.parametrize("role", ["counter", "agent"])
def test_responses_are_the_documents_json_response_made_of_the_dumped_model(role):
    # Written by pydantic now; byte for byte what JSONResponse(model_dump()) sent before.
    full = CustomerPublic.from_proto(view(), role)
    assert selected(full).body == JSONResponse(full.model_dump(mode="json", by_alias=True)).body
    assert "王小明".encode() in selected(full).body and selected(full).media_type == "application/json"
    listed = CustomersPublic.from_proto(pb.SearchCustomersResponse(
        customers=[pb.CustomerSummary(customer_no="C1", name="王", origins=["cms"])], total=3), role)
    assert page(listed).body == JSONResponse(listed.model_dump(mode="json", by_alias=True)).body


@pytest.mark.parametrize("given, kept", [("abc-123", True), ("a" * 128, True), ("a" * 129, False),
                                         ("x\r\nSet-Cookie: y", False), ("", False), (None, False)])
def test_correlation_id_from_the_caller_only_when_sane(given, kept):
    assert (pick(given) == given) is kept


def test_correlation_id_is_echoed():
    app = FastAPI()
    app.add_middleware(CorrelationMiddleware)

    @app.get("/")
    async def root():
        return {}

    with TestClient(app) as client:
        assert client.get("/", headers={"X-Request-ID": "r-42"}).headers["X-Request-ID"] == "r-42"
        assert len(client.get("/").headers["X-Request-ID"]) == 36
