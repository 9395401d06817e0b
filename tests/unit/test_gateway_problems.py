"""The one mapping from errors to problem+json, exercised through a bare app (no database, no peers)."""
import grpc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import problems
from gateway.app.correlation import CorrelationMiddleware
from gateway.app.problems import PROBLEM_BASE, Problem, grpc_problem, reason_of_status, title_of


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details="", trailing=()):
        self._code, self._details, self._trailing = code, details, trailing

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing


@pytest.mark.parametrize("code, status", [
    (grpc.StatusCode.NOT_FOUND, 404), (grpc.StatusCode.ALREADY_EXISTS, 409),
    (grpc.StatusCode.INVALID_ARGUMENT, 422), (grpc.StatusCode.FAILED_PRECONDITION, 409),
    (grpc.StatusCode.UNAVAILABLE, 503), (grpc.StatusCode.DEADLINE_EXCEEDED, 503),
    (grpc.StatusCode.PERMISSION_DENIED, 403), (grpc.StatusCode.INTERNAL, 502), (grpc.StatusCode.UNKNOWN, 502),
    (grpc.StatusCode.UNIMPLEMENTED, 502), (None, 502),
])
def test_grpc_status_to_http_status(code, status):
    assert grpc_problem(code, "x", ())[0] == status


def test_reason_slug_comes_from_trailing_metadata():
    status, reason, detail = grpc_problem(grpc.StatusCode.FAILED_PRECONDITION, "service S1 is disconnected",
                                          (("bss-reason", "illegal-transition"),))
    assert (status, reason, detail) == (409, "illegal-transition", "service S1 is disconnected")


def test_without_trailing_reason_the_status_code_names_the_problem():
    assert grpc_problem(grpc.StatusCode.NOT_FOUND, "", ())[1:] == ("not-found", "Not found")


def test_server_side_failures_do_not_leak_peer_details():
    _, _, detail = grpc_problem(grpc.StatusCode.UNAVAILABLE, "failed to connect to 10.0.0.7:50051", ())
    assert "10.0.0.7" not in detail
    _, _, detail = grpc_problem(grpc.StatusCode.INTERNAL, "KeyError: 'x' in store.py", ())
    assert "store.py" not in detail


def test_titles_and_status_slugs_are_stable():
    assert title_of("customer-not-found") == "Customer not found"
    assert reason_of_status(404) == "not-found"
    assert reason_of_status(405) == "method-not-allowed"


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    problems.install(app)
    app.add_middleware(CorrelationMiddleware)

    @app.get("/grpc")
    async def fails_in_peer():
        raise FakeRpcError(grpc.StatusCode.NOT_FOUND, "no customer C1", (("bss-reason", "customer-not-found"),))

    @app.get("/problem")
    async def fails_here():
        raise Problem(403, "forbidden", "not for you")

    @app.get("/items/{n}")
    async def typed(n: int):
        return {"n": n}

    @app.get("/bug")
    async def bug():
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_problem(response, status, reason):
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + reason
    assert body["status"] == status
    assert {"title", "detail", "instance"} <= body.keys()
    return body


def test_grpc_error_becomes_problem(client):
    body = assert_problem(client.get("/grpc", headers={"X-Request-ID": "req-1"}), 404, "customer-not-found")
    assert body["detail"] == "no customer C1"
    assert body["instance"] == "/grpc"
    assert body["correlationId"] == "req-1"


def test_gateway_problem(client):
    assert_problem(client.get("/problem"), 403, "forbidden")


def test_validation_error_is_422_without_echoing_input(client):
    body = assert_problem(client.get("/items/not-a-number"), 422, "validation-error")
    assert body["errors"] == [{"loc": "path.n", "msg": body["errors"][0]["msg"], "type": "int_parsing"}]
    assert "not-a-number" not in str(body["errors"])


def test_unknown_route_and_method(client):
    assert_problem(client.get("/nowhere"), 404, "not-found")
    assert_problem(client.post("/problem"), 405, "method-not-allowed")


def test_unexpected_error_is_a_problem_too(client):
    body = assert_problem(client.get("/bug"), 500, "internal-error")
    assert "a bug" not in body["detail"]


def test_openapi_declares_every_api_error_as_problem_json():
    # It declared only FastAPI's application/json 422, so clients and contract tests met undocumented
    # 401/403/404/409/502/503 answers and an undocumented content type.
    from gateway.app.deps import API_PREFIX
    from gateway.app.main import create_app
    from gateway.app.settings import gateway_settings

    doc = create_app(gateway_settings()).openapi()
    operations = [op for path, item in doc["paths"].items() if path.startswith(API_PREFIX) for op in item.values()]
    assert operations
    for op in operations:
        for status in problems.API_PROBLEM_STATUSES:
            assert list(op["responses"][str(status)]["content"]) == [problems.MEDIA_TYPE], op["operationId"]
    update = doc["components"]["schemas"]["ContactUpdate"]
    assert update["minProperties"] == 1  # as its validator demands
