"""Idempotency-Key through HTTP: a retried POST answers the first result without calling the service again,
against a stand-in customer service (to count the calls) and the real one."""
from __future__ import annotations

import json
import uuid

import pytest

from gateway.app.idempotency import REPLAYED_HEADER, fingerprint
from tests.integration.customer_env import unique_mobile, valid_id_no
from tests.integration.test_gateway import (ID_NO, assert_problem, bearer, client_for, free_port,  # noqa: F401
                                            gateway_db, real, stand_in)

pytestmark = pytest.mark.integration
CREATE = {"name": "王小明", "idNo": ID_NO, "phone": "13812345678", "address": "文三路100号"}
CONTACT = {"channel": "phone", "kind": "inquiry", "summary": "asked about fees"}


@pytest.fixture(scope="module")
def api(settings, gateway_db, stand_in):  # noqa: F811
    with client_for(settings, customer_grpc=f"127.0.0.1:{stand_in[1]}") as client:
        yield client


def calls(stand_in, method: str) -> int:  # noqa: F811
    return sum(1 for name, _, _ in stand_in[0].calls if name == method)


def keyed(api, role: str, key: str | None = None) -> dict[str, str]:
    return {**bearer(api, role), "Idempotency-Key": key or str(uuid.uuid4())}


@pytest.mark.parametrize("method, path, body", [
    ("CreateCustomer", "/api/v1/customers", CREATE),
    ("RecordContact", "/api/v1/customers/C10000001/contacts", CONTACT),
    ("EntitleSmartCard", "/api/v1/customers/C10000001/smartCards/8001000000000001/entitlements",
     {"productCode": "HD01"}),
])
def test_the_same_key_and_body_answer_the_first_result_once(api, stand_in, method, path, body):  # noqa: F811
    headers = keyed(api, "counter")
    before = calls(stand_in, method)
    first = api.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = api.post(path, json=dict(reversed(body.items())), headers=headers)  # same content, other order
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
    assert calls(stand_in, method) == before + 1


def test_the_same_key_with_another_body_is_422(api):
    headers = keyed(api, "counter")
    assert api.post("/api/v1/customers", json=CREATE, headers=headers).status_code == 201
    assert_problem(api.post("/api/v1/customers", json={**CREATE, "name": "王大明"}, headers=headers),
                   422, "idempotency-key-reused")
    assert_problem(api.post("/api/v1/customers/C10000001/contacts", json=CONTACT, headers=headers),
                   422, "idempotency-key-reused")


def test_keys_belong_to_their_user(api, stand_in):  # noqa: F811
    key = str(uuid.uuid4())
    before = calls(stand_in, "CreateCustomer")
    assert api.post("/api/v1/customers", json=CREATE, headers=keyed(api, "counter", key)).status_code == 201
    other = api.post("/api/v1/customers", json=CREATE, headers=keyed(api, "agent", key))
    assert other.status_code == 201 and REPLAYED_HEADER not in other.headers
    assert calls(stand_in, "CreateCustomer") == before + 2


def test_a_key_still_in_flight_is_409_and_an_expired_one_runs_again(api, stand_in, gateway_db):  # noqa: F811
    key = str(uuid.uuid4())
    same_request = fingerprint("POST", "/api/v1/customers", json.dumps(CREATE).encode())
    with gateway_db.transaction() as cur:  # as a first request that is still running leaves it
        cur.execute("INSERT INTO idempotency_key (username, key, method, path, request_hash) "
                    "VALUES ('counter', %s, 'POST', '/api/v1/customers', %s)", (key, same_request))
    response = api.post("/api/v1/customers", json=CREATE, headers=keyed(api, "counter", key))
    assert_problem(response, 409, "idempotency-key-in-flight")
    assert response.headers["Retry-After"] == "1"
    with gateway_db.transaction() as cur:
        cur.execute("UPDATE idempotency_key SET created_at = now() - interval '25 hours', status_code = 201, "
                    "response_body = '{}' WHERE username = 'counter' AND key = %s", (key,))
    before = calls(stand_in, "CreateCustomer")
    fresh = api.post("/api/v1/customers", json=CREATE, headers=keyed(api, "counter", key))
    assert fresh.status_code == 201 and fresh.json()["customerNo"] == "C10000001"
    assert calls(stand_in, "CreateCustomer") == before + 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ключ".encode()])
def test_a_malformed_key_is_422(api, key):
    headers = {**bearer(api, "counter"), "Idempotency-Key": key}
    assert_problem(api.post("/api/v1/customers", json=CREATE, headers=headers), 422, "validation-error")


def test_a_failed_request_releases_its_key(settings, gateway_db):  # noqa: F811
    with client_for(settings, customer_grpc=f"127.0.0.1:{free_port()}") as lone:
        key = str(uuid.uuid4())
        for _ in range(2):  # the retry runs again (and fails again) instead of being refused as in flight
            assert_problem(lone.post("/api/v1/customers", json=CREATE, headers=keyed(lone, "counter", key)),
                           503, "unavailable")
    with gateway_db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM idempotency_key WHERE key = %s", (key,))
        assert cur.fetchone()["n"] == 0


def test_a_retried_create_makes_one_customer_in_the_real_service(real):  # noqa: F811
    headers = keyed(real, "counter")
    body = {"name": "赵六", "idNo": valid_id_no(), "phone": unique_mobile(), "address": "文三路300号"}
    first = real.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = real.post("/api/v1/customers", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["customerNo"] == first.json()["customerNo"]
    assert_problem(real.post("/api/v1/customers", json=body, headers=bearer(real, "counter")),
                   409, "duplicate-customer")
