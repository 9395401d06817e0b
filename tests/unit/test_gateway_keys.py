"""Every parameter and body field naming a record, a station or a staff member follows the one rule of
gateway/app/keys.py: a route written with its own copy of a rule (another length, another alphabet) fails
here, read from the OpenAPI document the routes themselves declare."""
import re

import pytest

from gateway.app.keys import KEY_RULE, PRODUCT_CODE_RULE, STATION_CODE, USERNAME_RULE
from gateway.app.main import create_app
from gateway.app.settings import gateway_settings

# Numbers of a fixed form (R… for a billing run, K… for a campaign) may be held to that form instead.
PREFIXED_NUMBER = re.compile(r"^\^\[([A-Z])([a-z])\]\[0-9\]\+\$$")
# The bank's account number keeps the bank's own rules (collection/accounts.py), an ID card number the
# domain's (services/common/inputrules.py); sign-in takes any name and answers every wrong one alike.
NOT_OURS = {"bankAccountNo", "idNo"}
SIGN_IN = "Body_issue_access_token_api_v1_auth_token_post"
STATIONS = {"stationCode", "station", "counter", "area"}
STAFF = {"username", "technician"}
PRODUCT_CODES = {"productCode", "legacyCode", "code"}


def _rule(name: str) -> dict | None:
    if name in NOT_OURS:
        return None
    if name.endswith("No") or name in {"id", "batch"}:
        return KEY_RULE
    if name in STATIONS:
        return {"pattern": STATION_CODE}
    if name in STAFF:
        return USERNAME_RULE
    if name in PRODUCT_CODES:
        return PRODUCT_CODE_RULE
    return None


def _named_inputs():
    doc = create_app(gateway_settings()).openapi()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                yield f"{method.upper()} {path} {p['in']} {p['name']}", p["name"], p["schema"]
    components = doc["components"]["schemas"]
    for model in sorted(_taken(doc, components) - {SIGN_IN}):
        for name, field in components[model].get("properties", {}).items():
            yield f"{model}.{name}", name, field


def _taken(doc: dict, components: dict) -> set[str]:
    """The models a request body holds, nested ones too (not what the gateway answers)."""
    def refs(node) -> list[str]:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            return ([ref.rsplit("/", 1)[-1]] if ref else []) + [r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []
    todo = refs([op.get("requestBody", {}) for item in doc["paths"].values() for op in item.values()])
    seen: set[str] = set()
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.add(model)
            todo.extend(refs(components[model]))
    return seen


INPUTS = [(where, name, schema) for where, name, schema in _named_inputs() if _rule(name) is not None]


def test_the_routes_take_record_numbers_stations_and_staff():
    names = {name for _, name, _ in INPUTS}
    assert {"customerNo", "accountNo", "workOrderNo", "stationCode", "username", "technician", "productCode"} <= names


@pytest.mark.parametrize("where,name,schema", INPUTS, ids=[where for where, _, _ in INPUTS])
def test_each_follows_the_one_rule(where, name, schema):
    schema = next((s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"), schema)
    rule = _rule(name)
    prefixed = PREFIXED_NUMBER.match(schema.get("pattern", ""))
    if rule is KEY_RULE and prefixed and prefixed.group(1).lower() == prefixed.group(2):
        return
    assert schema.get("pattern") == rule["pattern"], where
    if "max_length" in rule:
        assert schema.get("maxLength") == rule["max_length"], where
