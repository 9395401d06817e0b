"""The gateway's security surface through HTTP: headers on every answer, Allow for OPTIONS and 405, API docs
served without the internet (and off in production), sign-in throttling with its audit trail."""
from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from gateway.app.main import create_app
from gateway.app.throttle import THRESHOLDS, Counter
from gateway.app.users import hash_password
from services.common.db import Database
from tests.integration.test_gateway import (assert_problem, bearer, billing_address, client_for,  # noqa: F401
                                            dispatch_address,
                                            free_port, gateway_db, stand_in)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gw(settings, gateway_db):  # noqa: F811
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as client:
        yield client


# --- headers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/health"), ("get", "/"), ("get", "/nothing-here"), ("get", "/docs"),
    ("get", "/api/v1/customers?q=x"), ("delete", "/api/v1/customers"), ("options", "/api/v1/customers"),
])
def test_every_answer_says_nosniff(gw, method, path):
    assert gw.request(method, path).headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_never_cached(gw):
    token = gw.post("/api/v1/auth/token", data={"username": "counter", "password": "demo"})
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    for response in (gw.get("/api/v1/customers?q=x"), gw.get("/api/v1/customers/C1", headers=bearer(gw, "admin")),
                     gw.get("/api/v1/nothing")):
        assert response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in gw.get("/docs").headers.get("Cache-Control", "")


@pytest.mark.parametrize("path, allow", [
    ("/api/v1/customers", "GET, OPTIONS, POST"),
    ("/api/v1/customers/C10000001", "GET, OPTIONS, PATCH"),
    ("/api/v1/customers/C10000001/services/S1/suspend", "OPTIONS, POST"),
    ("/api/v1/auth/token", "OPTIONS, POST"),
    ("/health", "GET, OPTIONS"),
])
def test_options_and_405_list_every_method_of_the_path(gw, path, allow):
    options = gw.options(path)
    assert options.status_code == 204 and options.headers["Allow"] == allow and not options.content
    wrong = gw.put(path, headers=bearer(gw, "admin"))
    assert_problem(wrong, 405, "method-not-allowed")
    assert wrong.headers["Allow"] == allow


def test_options_on_an_unknown_path_is_404(gw):
    assert_problem(gw.options("/api/v1/nothing-here"), 404, "not-found")


# --- API docs -----------------------------------------------------------------------------------

def test_docs_load_nothing_from_the_internet(gw):
    for page in ("/docs", "/redoc"):
        html = gw.get(page)
        assert html.status_code == 200
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.text), html.text
        for asset in re.findall(r"""(?:src|href)=["']?(/docs/assets/[^"' >]+)""", html.text):
            served = gw.get(asset)
            assert served.status_code == 200 and len(served.content) > 1000, asset
    assert "swagger-ui-bundle.js" in gw.get("/docs").text
    assert gw.get("/docs/oauth2-redirect").status_code == 200


def test_production_turns_the_docs_off_unless_asked(settings):
    # No lifespan (no `with`): production start-up would deactivate the demo users other tests sign in with.
    production = settings.model_copy(update={"mode": "production"})
    off = TestClient(create_app(production), raise_server_exceptions=False)
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"):
        assert_problem(off.get(path), 404, "not-found")
    on = TestClient(create_app(production.model_copy(update={"docs": True})), raise_server_exceptions=False)
    assert on.get("/docs").status_code == 200 and on.get("/openapi.json").status_code == 200


# --- sign-in throttling -------------------------------------------------------------------------

def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def from_address(gw: TestClient, address: str) -> TestClient:
    """Another client of the same running app (its start-up already done), signing in from `address`."""
    return TestClient(gw.app, raise_server_exceptions=False, client=(address, 50000))


def new_address() -> str:
    return f"203.0.{uuid.uuid4().int % 256}.{uuid.uuid4().int % 254 + 1}"


def try_sign_in(client: TestClient, username: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


@pytest.fixture
def clerk(gateway_db):  # noqa: F811
    """A real user of its own, password `right`."""
    name = unique("clerk")
    with gateway_db.transaction() as cur:
        cur.execute("INSERT INTO users (username, role, password_hash) VALUES (%s, 'counter', %s)",
                    (name, hash_password("right")))
    return name


def fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        assert_problem(try_sign_in(client, username, "wrong"), 401, "invalid-credentials")


def assert_throttled(response) -> int:
    assert_problem(response, 429, "login-throttled")
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def end_blocks(gateway_db, *keys: str) -> None:  # noqa: F811
    """Let blocks run out now instead of waiting for them (the failure counts stay)."""
    with gateway_db.transaction() as cur:
        cur.execute("UPDATE login_throttle SET blocked_until = now() WHERE key = ANY(%s)", (list(keys),))


def test_failures_on_a_name_throttle_it_with_growing_delays(gw, gateway_db, clerk):  # noqa: F811
    desk = from_address(gw, new_address())
    fail(desk, clerk, THRESHOLDS[Counter.NAME])
    first = assert_throttled(try_sign_in(desk, clerk, "right"))  # refused before the password is checked
    end_blocks(gateway_db, f"name:{clerk}")
    fail(desk, clerk, 1)
    second = assert_throttled(try_sign_in(desk, clerk, "wrong"))
    assert second > first
    # Another name from the same address is not held up by this one's storm.
    assert try_sign_in(desk, "counter", "demo").status_code == 200


def test_unknown_names_are_throttled_like_real_ones(gw):
    desk = from_address(gw, new_address())
    probe = unique("nobody")
    fail(desk, probe, THRESHOLDS[Counter.NAME])
    assert_throttled(try_sign_in(desk, probe.upper(), "guess"))  # the same name in other letters


def test_a_success_resets_the_accounts_counter(gw, clerk):
    desk = from_address(gw, new_address())
    fail(desk, clerk, THRESHOLDS[Counter.NAME] - 1)
    assert try_sign_in(desk, clerk, "right").status_code == 200
    fail(desk, clerk, THRESHOLDS[Counter.NAME] - 1)
    assert try_sign_in(desk, clerk, "right").status_code == 200


def test_one_address_trying_many_names_is_throttled_by_address(gw, clerk):
    usual_desk = new_address()
    assert try_sign_in(from_address(gw, usual_desk), clerk, "right").status_code == 200
    storm = from_address(gw, usual_desk)  # e.g. a machine behind the same NAT as the clerk's desk
    for _ in range(THRESHOLDS[Counter.ADDRESS]):
        fail(storm, unique("guess"), 1)
    assert_throttled(try_sign_in(storm, unique("guess"), "x"))
    assert_throttled(try_sign_in(storm, "counter", "demo"))  # a name never used from here waits too
    assert try_sign_in(storm, clerk, "right").status_code == 200  # the clerk who works here does not
    assert try_sign_in(from_address(gw, new_address()), "counter", "demo").status_code == 200


def test_one_name_attacked_from_many_addresses_keeps_its_user_at_their_desk(gw, clerk):
    desk = from_address(gw, new_address())
    assert try_sign_in(desk, clerk, "right").status_code == 200
    for _ in range(THRESHOLDS[Counter.NAME]):
        fail(from_address(gw, new_address()), clerk, 1)
    assert_throttled(try_sign_in(from_address(gw, new_address()), clerk, "right"))
    assert try_sign_in(desk, clerk, "right").status_code == 200
    # Guessing from the clerk's own desk is throttled by that desk's own counter.
    fail(desk, clerk, THRESHOLDS[Counter.PAIR])
    assert_throttled(try_sign_in(desk, clerk, "right"))


def test_every_attempt_is_audited_with_who_where_and_outcome(gw, gateway_db, clerk):  # noqa: F811
    address = new_address()
    desk = from_address(gw, address)
    fail(desk, clerk, THRESHOLDS[Counter.NAME])
    assert_throttled(try_sign_in(desk, clerk, "right"))
    with gateway_db.transaction() as cur:
        cur.execute("SELECT username, address, outcome, detail, correlation_id FROM auth_event "
                    "WHERE username = %s ORDER BY id", (clerk,))
        events = cur.fetchall()
    assert [e["outcome"] for e in events] == ["failure"] * THRESHOLDS[Counter.NAME] + ["throttled"]
    assert {e["address"] for e in events} == {address}
    assert events[-1]["detail"] == "name" and all(e["correlation_id"] for e in events)


# --- health: liveness and readiness -------------------------------------------------------------

def test_a_peer_down_leaves_the_gateway_live_but_not_ready(gw):
    assert gw.get("/health/live").json() == {"status": "ok"}
    ready = gw.get("/health/ready")
    assert ready.status_code == 503 and ready.json()["status"] == "not-ready"
    assert ready.json()["checks"]["customer"] == {"status": "down"}


@pytest.fixture(scope="module")
def served(settings, gateway_db, stand_in, billing_address, dispatch_address):  # noqa: F811
    with client_for(settings, customer_grpc=f"127.0.0.1:{stand_in[1]}", billing_grpc=billing_address,
                    dispatch_grpc=dispatch_address) as client:
        yield client


def test_ready_when_everything_answers(served):
    ready = served.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "checks": {
        "customer": {"status": "ok"}, "billing": {"status": "ok"}, "dispatch": {"status": "ok"},
        "database": {"status": "ok"}, "broker": {"status": "ok"}}}


def test_a_broker_outage_degrades_readiness_without_taking_the_api_out(settings, gateway_db, stand_in,  # noqa: F811
                                                                        billing_address, dispatch_address):  # noqa: F811
    no_broker = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    with client_for(settings, customer_grpc=f"127.0.0.1:{stand_in[1]}", amqp_uri=no_broker,
                    billing_grpc=billing_address, dispatch_grpc=dispatch_address) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["broker"] == {"status": "down"}
        assert client.get("/health").status_code == 503  # the overall report still says what is down
        assert client.get("/api/v1/customers?q=138", headers=bearer(client, "counter")).status_code == 200


def test_a_database_outage_makes_the_gateway_not_ready(served, settings):
    closed = Database(settings.service_db_url("gateway"), schema="gateway", maxconn=1)
    closed.close()
    working, served.app.state.db = served.app.state.db, closed
    try:
        ready = served.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == {"status": "down"}
        assert served.get("/health/live").status_code == 200
    finally:
        served.app.state.db = working
