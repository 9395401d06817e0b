"""The gateway through HTTP against the real PostgreSQL and RabbitMQ: sign-in, roles, problem+json, health,
and every customer route, first against a stand-in customer service (a real gRPC server on port 0 with
canned answers, to check exactly what the gateway sends and how it translates errors), then against the
real customer service."""
from __future__ import annotations

import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from bss.customer.v1 import customer_pb2 as pb
from bss.customer.v1 import customer_pb2_grpc as pb_grpc
from bss.dispatch.v1 import dispatch_pb2 as dpb
from bss.dispatch.v1 import dispatch_pb2_grpc as dpb_grpc
from gateway.app.auth import Role, User, issue_token
from gateway.app.main import MIGRATIONS, create_app
from gateway.app.problems import PROBLEM_BASE
from gateway.app.sections import SECTION_TIMEOUT_SECONDS
from gateway.app.users import ensure_demo_users, hash_password
from services.common.db import Database
from services.common.errors import IllegalTransition, NotFound
from services.common.grpc_server import create_server
from services.common.migrate import migrate
from services.customer import grpc_server
from services.billing.service import SPEC as BILLING
from services.dispatch.service import SPEC as DISPATCH
from tests.harness import free_port, service_server
from tests.integration.customer_env import (attach_cms_line, customer_server, prepare_databases, unique_mobile,
                                            valid_id_no)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ID_NO = "110101199003071234"


# --- shared fixtures and helpers -------------------------------------------------------------------

@pytest.fixture(scope="session")
def gateway_db(settings):
    migrate(settings, "gateway", MIGRATIONS)
    db = Database(settings.service_db_url("gateway"), schema="gateway", maxconn=2)
    # A name's failed sign-ins count for an hour whatever the address: a few runs of the suite within
    # the hour on this database had the same wrong sign-ins ("nobody") throttled with a 429.
    with db.transaction() as cur:
        cur.execute("TRUNCATE login_throttle")
    yield db
    db.close()


def client_for(settings, **changes) -> TestClient:
    # Each client signs in from an address of its own, so failed sign-ins of one test (and of earlier runs
    # on the same database) never throttle another's.
    address = f"198.18.{uuid.uuid4().int % 256}.{uuid.uuid4().int % 254 + 1}"
    return TestClient(create_app(settings.model_copy(update=changes)), raise_server_exceptions=False,
                      client=(address, 50000))


def sign_in(client: TestClient, username: str, password: str = "demo"):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer(client: TestClient, role: str) -> dict[str, str]:
    response = sign_in(client, role)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_problem(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + reason
    assert body["status"] == status and body["title"] and body["detail"] and body["instance"]
    return body


# --- the gateway on its own: no customer service is listening ------------------------------------

@pytest.fixture(scope="module")
def lone(settings, gateway_db):
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as client:
        yield client


def test_sign_in_returns_a_bearer_token_with_the_role(lone):
    response = sign_in(lone, "supervisor")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "supervisor"
    assert body["expires_in"] == 480 * 60 and body["access_token"].count(".") == 2


@pytest.mark.parametrize("username, password", [("counter", "wrong"), ("nobody", "demo"), ("counter", ""),
                                                ("counter\x00", "demo")])
def test_wrong_credentials_are_401(lone, username, password):
    response = sign_in(lone, username, password)
    if password:
        assert_problem(response, 401, "invalid-credentials")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    else:
        assert_problem(response, 422, "validation-error")


def test_tokens_are_required_and_checked(lone, settings):
    assert_problem(lone.get("/api/v1/customers?q=x"), 401, "missing-token")
    garbage = {"Authorization": "Bearer not.a.token"}
    assert_problem(lone.get("/api/v1/customers?q=x", headers=garbage), 401, "invalid-token")
    expired = issue_token(User("counter", Role.COUNTER), settings.jwt_secret, timedelta(minutes=5),
                          now=datetime.now(timezone.utc) - timedelta(hours=9))
    assert_problem(lone.get("/api/v1/customers?q=x", headers={"Authorization": f"Bearer {expired}"}),
                   401, "token-expired")


@pytest.mark.parametrize("role, method, path", [
    ("bank", "get", "/api/v1/customers?q=x"),
    ("bank", "get", "/api/v1/customers/C10000001"),
    ("technician", "post", "/api/v1/customers/C10000001/contacts"),
    ("technician", "patch", "/api/v1/customers/C10000001"),
    ("counter", "get", "/api/v1/customerMatches"),
    ("agent", "post", "/api/v1/customerMatches/1/accept"),
    ("agent", "get", "/api/v1/importRuns/latest"),
])
def test_roles_without_the_permission_get_403(lone, role, method, path):
    assert_problem(getattr(lone, method)(path, headers=bearer(lone, role)), 403, "forbidden")


@pytest.mark.parametrize("path", [
    "/api/v1/customers?q=x&limit=-1", "/api/v1/customers?q=x&limit=100000", "/api/v1/customers?q=x&offset=abc",
    "/api/v1/customers?q=x&offset=99999999999", "/api/v1/customers?q=", "/api/v1/customers?tier=gold",
    "/api/v1/customers/C1%20OR%201=1", "/api/v1/customerMatches?status=maybe",
    "/api/v1/customerMatches?limit=0", "/api/v1/importRuns/-3", "/api/v1/importRuns/99999999999999999999",
])
def test_bad_query_and_path_input_is_422(lone, path):
    body = assert_problem(lone.get(path, headers=bearer(lone, "admin")), 422, "validation-error")
    assert body["errors"]


@pytest.mark.parametrize("method, path, kwargs", [
    ("post", "/api/v1/customers", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ("post", "/api/v1/customers", {"json": []}),
    ("post", "/api/v1/customers", {"json": {"name": "x", "phone": "13800000000", "address": "y", "extra": 1}}),
    ("patch", "/api/v1/customers/C10000001", {"json": {}}),
    ("post", "/api/v1/customers/C10000001/services/S1/explode", {}),
    ("post", "/api/v1/customers/C10000001/services/S1/suspend", {"json": {"reason": "x" * 501}}),
    ("post", "/api/v1/customers/C10000001/smartCards/8001/entitlements", {"json": {}}),
    ("post", "/api/v1/customers/C10000001/contacts", {"json": {"channel": "pigeon", "kind": "x", "summary": "y"}}),
    ("post", "/api/v1/customerMatches/99999999999999999999/accept", {}),
])
def test_bad_bodies_are_422_not_500(lone, method, path, kwargs):
    headers = {**bearer(lone, "admin"), **kwargs.pop("headers", {})}
    assert_problem(getattr(lone, method)(path, headers=headers, **kwargs), 422, "validation-error")


def test_unknown_routes_and_methods_are_problems(lone):
    assert_problem(lone.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(lone.delete("/api/v1/customers/C1", headers=bearer(lone, "admin")), 405, "method-not-allowed")


def test_peer_down_is_503_and_health_says_which(lone):
    response = lone.get("/api/v1/customers?q=x", headers=bearer(lone, "counter"))
    body = assert_problem(response, 503, "unavailable")
    assert "127.0.0.1" not in body["detail"]
    health = lone.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "degraded", "checks": {
        "customer": {"status": "down"}, "billing": {"status": "down"}, "dispatch": {"status": "down"},
        "database": {"status": "ok"}, "broker": {"status": "ok"}}}


def test_docs_and_console(lone):
    assert lone.get("/docs").status_code == 200
    paths = lone.get("/openapi.json").json()["paths"]
    assert "/api/v1/customers/{customerNo}/services/{serviceNo}/{action}" in paths
    console = lone.get("/")
    assert console.status_code == 200 and 'href="/docs"' in console.text


def test_request_id_is_echoed_or_made(lone):
    assert lone.get("/health", headers={"X-Request-ID": "abc-1"}).headers["X-Request-ID"] == "abc-1"
    body = lone.get("/nothing").json()
    assert body["correlationId"] and len(body["correlationId"]) == 36


def refused_within(client: TestClient, seconds: float, headers: dict) -> dict:
    """The token-revoked problem, once it comes (the gateway keeps an account's state a few seconds)."""
    deadline = time.monotonic() + seconds
    while (response := client.get("/api/v1/customerMatches", headers=headers)).status_code != 401:
        assert time.monotonic() < deadline, f"still answered {response.status_code} after {seconds} s"
        time.sleep(0.05)
    return assert_problem(response, 401, "token-revoked")


def test_token_of_a_deactivated_or_demoted_account_is_refused(gateway_db, lone, monkeypatch):
    # Shortened from ACCOUNT_CHECK_SECONDS so the test is quick; the unit tests hold the cache to it.
    check = lone.app.state.account_check
    monkeypatch.setattr(check, "ttl", 0.5)
    name = f"clerk-{uuid.uuid4().hex[:8]}"
    with gateway_db.transaction() as cur:
        cur.execute("INSERT INTO users (username, role, password_hash) VALUES (%s, 'supervisor', %s)",
                    (name, hash_password("pass")))
    token = {"Authorization": f"Bearer {sign_in(lone, name, 'pass').json()['access_token']}"}
    assert lone.get("/api/v1/customerMatches", headers=token).status_code != 401
    with gateway_db.transaction() as cur:
        cur.execute("UPDATE users SET role = 'counter' WHERE username = %s", (name,))
    refused_within(lone, check.ttl + 1, token)
    with gateway_db.transaction() as cur:
        cur.execute("UPDATE users SET role = 'supervisor', active = false WHERE username = %s", (name,))
    refused_within(lone, check.ttl + 1, token)


def test_production_mode_disables_demo_users_but_not_real_ones(settings, gateway_db, lone):
    real = f"clerk-{uuid.uuid4().hex[:8]}"
    with gateway_db.transaction() as cur:
        cur.execute("INSERT INTO users (username, role, password_hash) VALUES (%s, 'counter', %s)",
                    (real, hash_password("real-pass")))
    production = settings.model_copy(update={"mode": "production"})
    try:
        ensure_demo_users(production)
        assert_problem(sign_in(lone, "admin"), 401, "invalid-credentials")
        assert sign_in(lone, real, "real-pass").status_code == 200
    finally:
        ensure_demo_users(settings)
    assert sign_in(lone, "admin").status_code == 200


# --- against a stand-in customer service ---------------------------------------------------------

VIEW = pb.CustomerView(
    customer_no="C10000001", name="王小明", id_type="CN_ID", id_no=ID_NO, tier="regular", status="active",
    phones=[pb.Phone(number="13812345678", kind="mobile", primary=True, source="cms")],
    premises=[pb.Premises(premises_id="7", address="文三路100号", area_code="0101", station_code="ST01",
                          station_name="城东站")],
    services=[pb.Service(service_no="S30000001", kind="analog_tv", origin="cms", legacy_ref="010100000001",
                         product_code="01", product_name="城镇标准", monthly_fee_minor=2200, currency="CNY",
                         state="active")],
    devices=[pb.Device(kind="smart_card", serial="8001000000000001", status="active", origin="sms")],
    links=[pb.LegacyLink(system="cms", legacy_key="010100000001", method="id_no", score=1.0)],
    recent_contacts=[pb.Contact(id=1, channel="counter", kind="note", summary="hi", actor="counter", at="t")])
SIDE = pb.MatchSide(customer_no="C10000002", name="王小明", id_no=ID_NO, phone="13812345678", origins=["sms"])


class StandInCustomerService(pb_grpc.CustomerServiceServicer):
    """Canned answers; remembers each request with its metadata so tests can see what the gateway sent."""

    def __init__(self):
        self.calls: list[tuple[str, object, dict]] = []

    def _seen(self, name, request, context):
        self.calls.append((name, request, dict(context.invocation_metadata())))

    def GetCustomer(self, request, context):
        self._seen("GetCustomer", request, context)
        if request.customer_no != VIEW.customer_no:
            raise NotFound(f"no customer {request.customer_no}", reason="customer-not-found")
        return VIEW

    def GetCustomers(self, request, context):
        self._seen("GetCustomers", request, context)
        return pb.CustomerViews(customers=[VIEW] if VIEW.customer_no in request.customer_nos else [])

    def SearchCustomers(self, request, context):
        self._seen("SearchCustomers", request, context)
        return pb.SearchCustomersResponse(total=41, customers=[pb.CustomerSummary(
            customer_no=VIEW.customer_no, name=VIEW.name, id_no=ID_NO, primary_phone="13812345678",
            tier="regular", status="active", origins=["cms"], matched_on="phone")])

    def BrowseCustomers(self, request, context):
        self._seen("BrowseCustomers", request, context)
        return pb.BrowseCustomersResponse(total=240, total_capped=True, customers=[pb.CustomerSummary(
            customer_no=VIEW.customer_no, name=VIEW.name, tier="household", status="active", origins=["cms"])])

    def CreateCustomer(self, request, context):
        self._seen("CreateCustomer", request, context)
        return VIEW

    def UpdateContact(self, request, context):
        self._seen("UpdateContact", request, context)
        return VIEW

    def ListServices(self, request, context):
        self._seen("ListServices", request, context)
        return pb.ListServicesResponse(services=VIEW.services)

    def ChangeServiceState(self, request, context):
        self._seen("ChangeServiceState", request, context)
        if request.action == "restore":
            raise IllegalTransition("service S30000001 is active", reason="illegal-transition")
        service = pb.Service(service_no=request.service_no, state="suspended", monthly_fee_minor=2200,
                             currency="CNY")
        return pb.ChangeServiceStateResponse(service=service, write_back=pb.WriteBack(
            system="cms", outcome="ok", detail="czrz 1: TJ accepted", at="2026-01-01T00:00:00+00:00"))

    def EntitleSmartCard(self, request, context):
        self._seen("EntitleSmartCard", request, context)
        return pb.ChangeServiceStateResponse(
            service=pb.Service(service_no="S30000002", origin="sms", product_code=request.product_code,
                               state="active"),
            write_back=pb.WriteBack(system="sms", outcome="ok"))

    def RecordContact(self, request, context):
        self._seen("RecordContact", request, context)
        return pb.Contact(id=5, channel=request.channel, kind=request.kind, summary=request.summary,
                          actor=request.actor.username, at="2026-01-01T00:00:00+00:00")

    def ListMatches(self, request, context):
        self._seen("ListMatches", request, context)
        return pb.ListMatchesResponse(total=1, matches=[pb.Match(id=3, left=SIDE, right=SIDE, score=0.8,
                                                                 reasons=["name", "phone"], status=request.status)])

    def AcceptMatch(self, request, context):
        self._seen("AcceptMatch", request, context)
        return pb.Match(id=request.match_id, left=SIDE, right=SIDE, status="accepted",
                        decided_by=request.actor.username)

    def RejectMatch(self, request, context):
        self._seen("RejectMatch", request, context)
        return pb.Match(id=request.match_id, left=SIDE, right=SIDE, status="rejected",
                        decided_by=request.actor.username)

    def GetImportRun(self, request, context):
        self._seen("GetImportRun", request, context)
        return pb.ImportRun(run_id=request.run_id or 9, kind="bulk", status="completed", counts={"imported": 10})


@contextlib.contextmanager
def serving(service: StandInCustomerService) -> Iterator[int]:
    """A gRPC server answering as `service`; yields its port."""
    def register(server):
        pb_grpc.add_CustomerServiceServicer_to_server(service, server)
        return [grpc_server.SERVICE_NAME]

    server, port, readiness = create_server(register, check=lambda: True)
    server.start()
    readiness.start()
    try:
        yield port
    finally:
        readiness.stop()
        server.stop(0)


@pytest.fixture(scope="module")
def stand_in():
    service = StandInCustomerService()
    with serving(service) as port:
        yield service, port


@pytest.fixture(scope="session")
def billing_address(settings):
    """A real billing server, for the screens and health reports that ask it too."""
    with service_server(BILLING, settings) as port:
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def dispatch_address(settings):
    """A real dispatch server, for the screens and health reports that ask it too."""
    with service_server(DISPATCH, settings) as port:
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
def api(settings, gateway_db, stand_in, billing_address, dispatch_address):
    with client_for(settings, customer_grpc=f"127.0.0.1:{stand_in[1]}", billing_grpc=billing_address,
                    dispatch_grpc=dispatch_address) as client:
        yield client


def last_call(stand_in, name: str):
    return next((request, meta) for method, request, meta in reversed(stand_in[0].calls) if method == name)


def test_health_is_ok_when_everything_answers(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "customer": {"status": "ok"}, "billing": {"status": "ok"}, "dispatch": {"status": "ok"},
        "database": {"status": "ok"},
        "broker": {"status": "ok"}}}


def test_search_pages_with_total_count_and_fields(api, stand_in):
    response = api.get("/api/v1/customers", params={"q": "138", "offset": 20, "limit": 10},
                       headers=bearer(api, "counter"))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "41"
    body = response.json()
    assert body["count"] == 41 and body["data"][0]["customerNo"] == "C10000001"
    request, _ = last_call(stand_in, "SearchCustomers")
    assert (request.q, request.offset, request.limit) == ("138", 20, 10)
    selected = api.get("/api/v1/customers?q=138&fields=customerNo,matchedOn", headers=bearer(api, "counter"))
    assert selected.json() == {"data": [{"customerNo": "C10000001", "matchedOn": "phone"}], "count": 41,
                               "countCapped": False}
    assert_problem(api.get("/api/v1/customers?q=138&fields=password", headers=bearer(api, "counter")),
                   422, "unknown-field")


def test_a_query_parameter_the_route_does_not_take_is_refused_not_ignored(api, stand_in):
    misspelt = api.get("/api/v1/customers?q=138&limt=5", headers=bearer(api, "counter"))
    body = assert_problem(misspelt, 422, "unknown-parameter")
    assert "limt" in body["detail"] and "fields, limit, offset" in body["detail"]
    assert api.get("/api/v1/customers?q=138&limit=5&fields=customerNo", headers=bearer(api, "counter")).status_code == 200
    assert_problem(api.get("/api/v1/customers/C10000001?view=full", headers=bearer(api, "counter")),
                   422, "unknown-parameter")


def test_360_view_masks_by_role_and_selects_fields(api, stand_in):
    full = api.get("/api/v1/customers/C10000001", headers=bearer(api, "counter")).json()
    assert full["idNo"] == ID_NO and full["phones"][0]["number"] == "13812345678"
    assert full["services"][0]["monthlyFee"] == {"amountMinor": 2200, "currency": "CNY"}
    assert full["premises"][0]["station"] == {"code": "ST01", "name": "城东站"}
    assert full["devices"][0]["kind"] == "smart_card" and full["links"][0]["system"] == "cms"
    assert full["recentContacts"][0]["summary"] == "hi"
    for role in ("agent", "technician"):
        masked = api.get("/api/v1/customers/C10000001", headers=bearer(api, role)).json()
        assert masked["idNo"] == "110101********1234" and masked["phones"][0]["number"] == "13812345678"
    some = api.get("/api/v1/customers/C10000001?fields=name,tier", headers={**bearer(api, "counter"),
                                                                             "X-Request-ID": "req-360"})
    assert some.json() == {"name": "王小明", "tier": "regular"}
    # The view's read went in a batch (of one, here) that carries the request's id, by its canonical number.
    request, meta = last_call(stand_in, "GetCustomers")
    assert list(request.customer_nos) == ["C10000001"] and meta["x-correlation-id"] == "req-360"


class SlowWorkOrders(dpb_grpc.WorkOrderServiceServicer):
    """A dispatch service that answers the 360 view's question after the section's deadline."""

    def ListOpenWorkOrdersOfCustomers(self, request, context):
        time.sleep(SECTION_TIMEOUT_SECONDS + 1)
        return dpb.OpenWorkOrdersOfCustomers(answers=[dpb.ListOpenWorkOrdersResponse() for _ in request.requests])


def test_360_view_leaves_out_a_section_whose_service_is_down_or_slow(settings, gateway_db, stand_in):
    def register(server):
        dpb_grpc.add_WorkOrderServiceServicer_to_server(SlowWorkOrders(), server)
        return ["bss.dispatch.v1.WorkOrderService"]

    slow, port, _ = create_server(register, check=lambda: True)
    slow.start()
    try:
        with client_for(settings, customer_grpc=f"127.0.0.1:{stand_in[1]}", billing_grpc=f"127.0.0.1:{free_port()}",
                        dispatch_grpc=f"127.0.0.1:{port}") as client:
            started = time.monotonic()
            response = client.get("/api/v1/customers/C10000001", headers=bearer(client, "counter"))
            waited = time.monotonic() - started
    finally:
        slow.stop(0)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["customerNo"] == "C10000001" and view["services"]
    assert sorted(view["unavailable"]) == ["billing", "workOrders"]
    assert view["billing"] is None and view["openWorkOrders"] is None
    # The slow section is cut at its deadline, not waited for.
    assert waited < SECTION_TIMEOUT_SECONDS + 1


class SlowCustomers(StandInCustomerService):
    """Takes a while over each batch of views, so that requests pile up behind a call in flight."""

    def GetCustomers(self, request, context):
        time.sleep(0.3)
        return super().GetCustomers(request, context)


def test_views_asked_together_reach_the_customer_service_in_fewer_calls(settings, gateway_db, billing_address,
                                                                        dispatch_address):
    slow = SlowCustomers()
    numbers = ["C10000001"] + [f"C4040000{n}" for n in range(7)]
    with serving(slow) as port, client_for(settings, customer_grpc=f"127.0.0.1:{port}", billing_grpc=billing_address,
                                           dispatch_grpc=dispatch_address) as client:
        headers = bearer(client, "counter")
        with ThreadPoolExecutor(len(numbers)) as pool:
            answers = list(pool.map(lambda no: client.get(f"/api/v1/customers/{no.lower()}", headers=headers),
                                    numbers))
    assert [a.status_code for a in answers] == [200] + [404] * 7
    assert answers[0].json()["customerNo"] == "C10000001"
    batches = [list(request.customer_nos) for name, request, _ in slow.calls if name == "GetCustomers"]
    assert sorted(n for batch in batches for n in batch) == sorted(numbers), "each view asked once"
    assert len(batches) < len(numbers), batches


def test_unknown_customer_is_404_and_peer_errors_keep_their_reason(api):
    body = assert_problem(api.get("/api/v1/customers/C404", headers=bearer(api, "counter")),
                          404, "customer-not-found")
    assert body["detail"] == "customer C404 not found" and body["instance"] == "/api/v1/customers/C404"
    assert_problem(api.post("/api/v1/customers/C10000001/services/S30000001/restore",
                            headers=bearer(api, "counter")), 409, "illegal-transition")


def test_create_sends_the_actor_and_correlation_id(api, stand_in):
    body = {"name": "王小明", "idNo": ID_NO, "phone": "13812345678", "address": "文三路100号", "areaCode": "0101"}
    response = api.post("/api/v1/customers", json=body, headers={**bearer(api, "agent"), "X-Request-ID": "req-7"})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/customers/C10000001"
    assert response.headers["X-Request-ID"] == "req-7"
    assert response.json()["idNo"] == "110101********1234"
    request, meta = last_call(stand_in, "CreateCustomer")
    assert (request.actor.username, request.actor.role, request.area_code) == ("agent", "agent", "0101")
    assert meta["x-correlation-id"] == "req-7"


def test_contact_update_sends_only_what_changed(api, stand_in):
    response = api.patch("/api/v1/customers/C10000001", json={"tier": "VIP"}, headers=bearer(api, "counter"))
    assert response.status_code == 200
    request, _ = last_call(stand_in, "UpdateContact")
    assert request.HasField("tier") and not request.HasField("phone")
    assert request.customer_no == "C10000001" and request.actor.username == "counter"


def test_services_list(api):
    response = api.get("/api/v1/customers/C10000001/services", headers=bearer(api, "technician"))
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "1"
    assert response.json()["data"][0]["serviceNo"] == "S30000001"


def test_suspend_returns_the_service_and_write_back(api, stand_in):
    response = api.post("/api/v1/customers/C10000001/services/S30000001/suspend", json={"reason": "away"},
                        headers=bearer(api, "counter"))
    assert response.status_code == 200
    assert response.json()["service"]["state"] == "suspended"
    assert response.json()["writeBack"] == {"system": "cms", "outcome": "ok", "detail": "czrz 1: TJ accepted",
                                            "at": "2026-01-01T00:00:00+00:00"}
    request, _ = last_call(stand_in, "ChangeServiceState")
    assert (request.action, request.reason, request.actor.role) == ("suspend", "away", "counter")
    no_body = api.post("/api/v1/customers/C10000001/services/S30000001/disconnect", headers=bearer(api, "admin"))
    assert no_body.status_code == 200
    assert last_call(stand_in, "ChangeServiceState")[0].action == "disconnect"


def test_entitle_and_record_contact(api, stand_in):
    entitled = api.post("/api/v1/customers/C10000001/smartCards/8001000000000001/entitlements",
                        json={"productCode": "HD01"}, headers=bearer(api, "agent"))
    assert entitled.status_code == 201 and entitled.json()["service"]["productCode"] == "HD01"
    assert last_call(stand_in, "EntitleSmartCard")[0].card_no == "8001000000000001"
    contact = api.post("/api/v1/customers/C10000001/contacts",
                       json={"channel": "phone", "kind": "inquiry", "summary": "asked about fees"},
                       headers=bearer(api, "agent"))
    assert contact.status_code == 201
    assert contact.json() == {"id": 5, "channel": "phone", "kind": "inquiry", "summary": "asked about fees",
                              "actor": "agent", "at": "2026-01-01T00:00:00+00:00"}


def test_match_review_and_import_runs(api, stand_in):
    supervisor = bearer(api, "supervisor")
    listed = api.get("/api/v1/customerMatches", headers=supervisor)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    assert listed.json()["data"][0]["left"]["idNo"] == ID_NO
    assert last_call(stand_in, "ListMatches")[0].status == "pending"
    accepted = api.post("/api/v1/customerMatches/3/accept", headers=supervisor)
    assert accepted.json()["status"] == "accepted" and accepted.json()["decidedBy"] == "supervisor"
    assert api.post("/api/v1/customerMatches/3/reject", headers=supervisor).json()["status"] == "rejected"
    assert api.get("/api/v1/importRuns/latest", headers=supervisor).json()["runId"] == 9
    run = api.get("/api/v1/importRuns/4", headers=bearer(api, "admin")).json()
    assert run == {"runId": 4, "kind": "bulk", "status": "completed", "startedAt": None, "finishedAt": None,
                   "counts": {"imported": 10}}


# --- against the real customer service ----------------------------------------------------------

@pytest.fixture(scope="module")
def real(settings, gateway_db):
    prepare_databases(settings)
    with customer_server(settings) as port, client_for(settings, customer_grpc=f"127.0.0.1:{port}") as client:
        yield client


def test_counter_clerk_round_trip(real, settings):
    clerk = bearer(real, "counter")
    phone, id_no = unique_mobile(), valid_id_no()
    body = {"name": "李四", "idNo": id_no, "phone": phone, "address": "文三路200号3幢1单元101室", "areaCode": "0101"}
    created = real.post("/api/v1/customers", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    customer_no = created.json()["customerNo"]
    assert created.headers["Location"] == f"/api/v1/customers/{customer_no}"
    assert_problem(real.post("/api/v1/customers", json=body, headers=clerk), 409, "duplicate-customer")

    found = real.get("/api/v1/customers", params={"q": phone}, headers=clerk)
    assert customer_no in [c["customerNo"] for c in found.json()["data"]]
    assert int(found.headers["X-Total-Count"]) >= 1

    view = real.get(f"/api/v1/customers/{customer_no}", headers=bearer(real, "agent")).json()
    assert view["idNo"] == id_no[:6] + "********" + id_no[-4:]
    assert view["premises"][0]["station"]["code"] == "ST01"

    updated = real.patch(f"/api/v1/customers/{customer_no}", json={"tier": "VIP"}, headers=clerk)
    assert updated.json()["tier"] == "VIP" and updated.json()["updatedBy"] == "counter"

    user_no, service_no = attach_cms_line(settings, customer_no)
    suspend = f"/api/v1/customers/{customer_no}/services/{service_no}/suspend"
    suspended = real.post(suspend, json={"reason": "travelling"}, headers=clerk)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["service"]["state"] == "suspended" and suspended.json()["writeBack"]["outcome"] == "ok"
    assert real.post(suspend, headers=clerk).status_code == 409

    contact = real.post(f"/api/v1/customers/{customer_no}/contacts",
                        json={"channel": "counter", "kind": "note", "summary": "came in person"}, headers=clerk)
    assert contact.status_code == 201 and contact.json()["actor"] == "counter"


def test_real_service_errors_become_problems(real):
    clerk = bearer(real, "counter")
    assert_problem(real.get("/api/v1/customers/C99999999999", headers=clerk), 404, "customer-not-found")
    bad_checksum = {"name": "张三", "idNo": "330106198501010000", "phone": unique_mobile(), "address": "x路1号"}
    assert_problem(real.post("/api/v1/customers", json=bad_checksum, headers=clerk), 422, "invalid-id-number")
    # NUL cannot be stored in PostgreSQL; it used to come back as 502 from a crashed call.
    assert_problem(real.get("/api/v1/customers", params={"q": "138\x00"}, headers=clerk), 422, "invalid-text")
    nul_name = {"name": "张\x00三", "phone": unique_mobile(), "address": "x路1号"}
    assert_problem(real.post("/api/v1/customers", json=nul_name, headers=clerk), 422, "invalid-text")
