"""The gateway's security surface through HTTP: headers on every answer, Allow for OPTIONS and 405, API docs
served without the internet (and off in production), sign-in throttling with its audit trail."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from gateway.app.main import create_app
from tests.integration.test_gateway import assert_problem, bearer, client_for, free_port, gateway_db  # noqa: F401

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
