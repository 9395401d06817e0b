"""Every route of the running suite, generated from its own OpenAPI document, with what careless and hostile
clients send: NUL, a pasted page, direction overrides, digits of another script, numbers no column holds,
the wrong JSON types, broken JSON. Each is the sender's mistake and must be answered as one (4xx), never
with a crash (5xx). A route added later is probed the day it is added.

Each operation is first called with a well-formed request (real numbers found as a clerk finds them, and a
body made from its schema, or below where a schema cannot say what is real) by the first role it lets in,
so that the hostile values reach the services' own rules and their SQL, not only the gateway's schemas."""
from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.suite import both_systems_customer, login

pytestmark = pytest.mark.e2e

ROLES = ("admin", "supervisor", "counter", "agent", "dispatcher", "technician", "bank")
TEXTS = ("nul\x00inside", "长" * 5000, "\u202etxet", "٣٤٥", " ")
VALUES = (*TEXTS, 10 ** 30, -1, 1.5, True, None, [], {}, [TEXTS[0]], [TEXTS[1]])
BROKEN_JSON = (b"not json", b"[]", b"null", b'{"a":', b"1e999999")
# Answers that are the server's fault. 503 is not among them: it says a peer is down, and is checked apart.
CRASHES = (500, 502, 504)
PASSWORD = "探针测试用的口令-2026"


def schema_of(spec: dict, schema: dict) -> dict:
    while "$ref" in schema or "anyOf" in schema or "allOf" in schema:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
        else:
            schema = schema["allOf"][0]
    return schema


def first_id(page: httpx.Response, default: str) -> str:
    return next((item["id"] for item in page.json()["data"]), default)


class World:
    """Real numbers of the demo data, as the roles that work with them find them."""

    def __init__(self, suite):
        self.suite = suite
        self.clients = {role: login(suite, role) for role in ROLES}
        customer_no, _, analog_service, _ = both_systems_customer(suite)
        clerk, supervisor = self.clients["counter"], self.clients["supervisor"]
        view = clerk.get(f"/customers/{customer_no}").json()
        # Whatever this customer lacks is probed with a number that finds nothing (a 404 is an answer too).
        service_no = next((s["serviceNo"] for s in view["services"] if s["origin"] == "sms"), analog_service)
        card = next((d["serial"] for d in view["devices"] if d["kind"] == "smart_card"), "X1")
        billing = (clerk.get(f"/customers/{customer_no}/billing").json()["accounts"] or [{"accountNo": "A1",
                                                                                         "lastBills": []}])[0]
        account_no = billing["accountNo"]
        payment = clerk.post("/payments", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
            "accountNo": account_no, "amount": {"amountMinor": 100, "currency": "CNY"}, "method": "cash",
            "counter": "C01"}).json()
        own_orders = self.clients["technician"].get("/technicians/me/workOrders").json()["data"]
        self.values = {
            "customerNo": customer_no, "serviceNo": service_no, "cardNo": card, "accountNo": account_no,
            "billNo": billing["lastBills"][0]["id"] if billing["lastBills"] else "B1",
            "paymentNo": payment.get("id", "P1"), "stationCode": "ST01", "username": "tech-st01-2", "technician": "tech-st01-2",
            "mandateNo": first_id(supervisor.get("/mandates", params={"limit": 1}), "M1"),
            "batchNo": first_id(supervisor.get("/debitBatches", params={"limit": 1}), "D1"),
            "workOrderNo": own_orders[0]["id"] if own_orders else "W1",
            "runNo": "R1", "campaignNo": "K1", "fileNo": "F1", "writeOffNo": "WO1", "matchId": 1, "exceptionId": 1,
            "runId": 1, "id": "O1", "year": 2026, "day": "2026-12-01", "period": "2026-11", "code": "DTV-HD",
            "productCode": "DTV-HD", "counter": "C01", "bank": "ICBC", "bankCode": "ICBC", "currency": "CNY",
            "amount": {"amountMinor": 100, "currency": "CNY"}, "method": "cash", "phone": "13900001111",
            "name": "探针", "reason": "probe", "note": "probe", "notes": "probe", "description": "probe",
            "summary": "probe", "address": "广东省广州市天河区体育西路1号", "area": "0101", "areaCode": "0101"}
        # Bodies a schema cannot make real by itself: a valid bank account, a visit in progress, a new user...
        self.bodies = {
            ("POST", "/api/v1/customers"): {"name": "探针", "phone": "13900001112", "address": "广东省广州市天河区体育西路2号"},
            ("POST", "/api/v1/workOrders"): {"customerNo": customer_no, "serviceNo": service_no,
                                             "description": "无信号", "reference": "T1"},
            ("POST", "/api/v1/staff"): {"username": f"probe-{uuid.uuid4().hex[:6]}", "role": "counter",
                                        "password": PASSWORD},
            ("POST", "/api/v1/auth/password"): {"username": "nobody", "password": PASSWORD, "newPassword": PASSWORD},
            ("POST", "/api/v1/discounts"): {"code": f"P{uuid.uuid4().hex[:6]}", "name": "探针", "kind": "percent",
                                            "value": 5, "eligibility": "all", "products": ["DTV-HD"],
                                            "validFrom": "2030-01-01"},
            ("POST", "/api/v1/products/{code}/prices"): {"validFrom": "2031-01-01",
                                                         "amount": {"amountMinor": 2500, "currency": "CNY"}},
            ("POST", "/api/v1/counterClosings"): {"counter": "C09", "day": "2026-12-01", "declared": {
                "cash": {"amountMinor": 0, "currency": "CNY"}}},
            ("POST", "/api/v1/payments/{paymentNo}/refund"): {"amount": {"amountMinor": 1, "currency": "CNY"},
                                                             "reason": "probe"},
            ("PUT", "/api/v1/accounts/{accountNo}/tags"): {"tags": ["public_institution"]},
            ("POST", "/api/v1/workOrders/{workOrderNo}/complete"): {
                "resultCode": "fixed", "notes": "probe", "devicesInstalled": [{"kind": "stb", "serial": "STB-X-0001"}]},
            ("POST", "/api/v1/workOrders/{workOrderNo}/returnUnfinished"): {"reason": "customer_absent"},
        }

    def path(self, template: str, params: list[dict], override: dict | None = None) -> str:
        values = {p["name"]: (p["schema"].get("enum") or [self.values.get(p["name"], "X1")])[0]
                  for p in params if p["in"] == "path"}
        values.update(override or {})
        return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})

    def body(self, spec: dict, method: str, path: str, schema: dict | None):
        if (method, path) in self.bodies:
            return self.bodies[(method, path)]
        return self.sample(spec, schema, 0) if schema else None

    def sample(self, spec: dict, schema: dict, depth: int):
        s = schema_of(spec, schema)
        if "enum" in s:
            return s["enum"][0]
        kind = s.get("type")
        if kind == "object" or "properties" in s:
            return {k: self.values[k] if k in self.values else self.sample(spec, v, depth + 1)
                    for k, v in s.get("properties", {}).items()} if depth < 4 else {}
        if kind == "array":
            return [self.sample(spec, s.get("items", {}), depth + 1)] if depth < 4 else []
        return {"integer": 1, "number": 1.0, "boolean": False}.get(kind, "2026-12-01" if s.get("format") == "date"
                                                                   else "X1")


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()
            if path.startswith("/api/")]


@pytest.fixture(scope="module")
def world(suite):
    return World(suite)


def test_every_route_answers_hostile_input_as_the_senders_mistake(suite, world):
    spec = httpx.get(f"{suite.url}/openapi.json").json()
    crashes: list[str] = []
    probed = 0

    def send(client: httpx.Client, method: str, path: str, **kwargs) -> httpx.Response:
        nonlocal probed
        probed += 1
        headers = {"Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        # The client's base is /api/v1: paths from the document are sent whole.
        response = client.request(method, f"{suite.url}{path}", headers=headers, **kwargs)
        if response.status_code in CRASHES:
            crashes.append(f"{method} {path} {str(kwargs)[:160]} -> {response.status_code} {response.text[:200]}")
        return response

    for method, template, op in operations(spec):
        params = op.get("parameters", [])
        content = op.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        body = world.body(spec, method, template, schema)
        path = world.path(template, params)
        client = None
        for role in ROLES:
            first = send(world.clients[role], method, path, **({"json": body} if body is not None else {}))
            if first.status_code not in (401, 403):
                client = world.clients[role]
                break
        if client is None:
            continue
        for p in params:
            if p["in"] == "path":
                for value in TEXTS[:4]:
                    send(client, method, world.path(template, params, {p["name"]: value}),
                         **({"json": body} if body is not None else {}))
            elif p["in"] == "query":
                for value in (*TEXTS[:4], str(10 ** 30), "-1"):
                    send(client, method, path, params={p["name"]: value},
                         **({"json": body} if body is not None else {}))
        if "application/json" in content:
            for raw in BROKEN_JSON:
                send(client, method, path, content=raw, headers={"Content-Type": "application/json"})
        if isinstance(body, dict):
            for field, good in body.items():
                for value in VALUES:
                    send(client, method, path, json={**body, field: value})
                for inner in good if isinstance(good, dict) else ():
                    for value in VALUES:
                        send(client, method, path, json={**body, field: {**good, inner: value}})
                if isinstance(good, list) and good and isinstance(good[0], dict):
                    for inner in good[0]:
                        for value in VALUES:
                            send(client, method, path, json={**body, field: [{**good[0], inner: value}]})
    assert probed > 2500, f"only {probed} requests: the probe lost its routes"
    assert crashes == [], "\n".join(crashes)
