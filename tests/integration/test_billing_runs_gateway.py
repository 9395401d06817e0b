"""Billing runs, bill documents and the catalog through the gateway, against the real billing service."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import date, timedelta

import pytest

from services.billing.service import SPEC
from tests.harness import service_server
from tests.integration.test_billing_runs import World, db  # noqa: F401 -- the billing database fixture
from tests.integration.test_gateway import assert_problem, bearer, client_for, gateway_db  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gw(settings, gateway_db, db):  # noqa: F811
    with service_server(SPEC, settings) as port, client_for(settings, billing_grpc=f"127.0.0.1:{port}") as client:
        yield client


@pytest.fixture(scope="module")
def supervisor(gw):
    return bearer(gw, "supervisor")


@pytest.fixture(scope="module")
def admin(gw):
    return bearer(gw, "admin")


def test_a_run_through_the_gateway_then_its_rerun_and_the_bill_documents(gw, db, supervisor):  # noqa: F811
    world = World(db)
    basic = world.product("BASIC", 2500)
    account = world.account()
    world.service(account, basic, (world.day(1), "active"))

    preview = gw.post("/api/v1/billRuns", headers=supervisor,
                      json={"period": world.period, "cycle": world.cycle, "dryRun": True, "accountNo": account})
    assert preview.status_code == 200, preview.text
    assert preview.json()["outcome"] == "dry-run" and preview.json()["id"] is None
    assert preview.json()["preview"]["amount"] == {"amountMinor": 2500, "currency": "CNY"}

    started = gw.post("/api/v1/billRuns", headers=supervisor, json={"period": world.period, "cycle": world.cycle})
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["outcome"] == "started" and run["state"] == "completed" and not run["alreadyBilled"]
    assert run["counts"]["bills"] >= 1 and started.headers["Location"] == f"/api/v1/billRuns/{run['id']}"

    again = gw.post("/api/v1/billRuns", headers=supervisor, json={"period": world.period, "cycle": world.cycle})
    assert again.status_code == 200 and again.json()["alreadyBilled"] and again.json()["id"] == run["id"]
    assert again.json()["counts"] == run["counts"]
    got = gw.get(f"/api/v1/billRuns/{run['id']}", headers=supervisor)
    assert got.status_code == 200 and got.json()["state"] == "completed"

    [bill] = world.bills(account)
    counter = bearer(gw, "counter")
    page = gw.get(f"/api/v1/customerBills/{bill['bill_no']}.html", headers=counter)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "测试BASIC" in page.text and "缴费截止日" in page.text and "¥25.00" in page.text
    pdf = gw.get(f"/api/v1/customerBills/{bill['bill_no']}.pdf", headers=counter)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"%%EOF" in pdf.content[-32:]
    # The Chinese font travels with the file (a TrueType subset) or is named for the reader (CID font).
    assert b"/FontFile2" in pdf.content or b"STSong-Light" in pdf.content
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        assert "测试BASIC" in text.decode() and bill["bill_no"] in text.decode()
    assert_problem(gw.get("/api/v1/customerBills/B1.pdf", headers=counter), 404, "bill-not-found")
    assert gw.get(f"/api/v1/customerBills/{bill['bill_no']}.doc", headers=counter).status_code == 422


@pytest.mark.parametrize("body, reason", [
    ({"period": "2026-13", "cycle": 1}, "invalid-period"), ({"period": "11/2026", "cycle": 1}, "invalid-period"),
    ({"period": "2026-11", "cycle": 0}, "invalid-cycle"), ({"period": "2026-11", "cycle": 99}, "invalid-cycle"),
    ({"period": "2026-11", "cycle": "one"}, "validation-error"), ({"cycle": 1}, "validation-error"),
    ({"period": "2026-11", "cycle": 1, "extra": 1}, "validation-error")])
def test_bad_runs_are_clear_problems(gw, supervisor, body, reason):
    assert_problem(gw.post("/api/v1/billRuns", headers=supervisor, json=body), 422, reason)


def test_unknown_run_is_404(gw, supervisor):
    assert_problem(gw.get("/api/v1/billRuns/R999999999", headers=supervisor), 404, "bill-run-not-found")


@pytest.mark.parametrize("role", ["bank", "technician", "counter", "agent"])
def test_only_supervisors_and_admins_run_billing(gw, role):
    headers = bearer(gw, role)
    assert_problem(gw.post("/api/v1/billRuns", headers=headers, json={"period": "2999-01", "cycle": 1}), 403, "forbidden")
    assert_problem(gw.get("/api/v1/billRuns/R1", headers=headers), 403, "forbidden")


@pytest.mark.parametrize("role", ["bank", "technician"])
def test_bank_and_technician_see_no_bill_documents_or_catalog(gw, role):
    headers = bearer(gw, role)
    assert_problem(gw.get("/api/v1/customerBills/B1.pdf", headers=headers), 403, "forbidden")
    assert_problem(gw.get("/api/v1/products", headers=headers), 403, "forbidden")


def test_catalog_admin(gw, db, admin, supervisor):  # noqa: F811
    world = World(db)
    code = world.product("BB", 5000)
    products = gw.get("/api/v1/products", headers=supervisor).json()
    [mine] = [p for p in products["data"] if p["code"] == code]
    assert mine["prices"] == [{"validFrom": "2000-01-01", "amount": {"amountMinor": 5000, "currency": "CNY"},
                               "createdBy": "system"}]
    when = str(date.today() + timedelta(days=30))
    body = {"validFrom": when, "amount": {"amountMinor": 5500, "currency": "CNY"}}
    assert_problem(gw.post(f"/api/v1/products/{code}/prices", headers=supervisor, json=body), 403, "forbidden")
    added = gw.post(f"/api/v1/products/{code}/prices", headers=admin, json=body)
    assert added.status_code == 201, added.text
    assert [p["amount"]["amountMinor"] for p in added.json()["prices"]] == [5000, 5500]
    assert_problem(gw.post(f"/api/v1/products/{code}/prices", headers=admin, json=body), 409, "price-exists")
    past = {**body, "validFrom": "2020-01-01"}
    assert_problem(gw.post(f"/api/v1/products/{code}/prices", headers=admin, json=past), 422, "price-in-the-past")
    assert_problem(gw.post("/api/v1/products/NOPE-X/prices", headers=admin, json=body), 404, "product-not-found")

    legacy = f"L{uuid.uuid4().int % 10**9}"
    put = gw.put("/api/v1/legacyProductMappings", headers=admin,
                 json={"data": [{"system": "sms", "legacyCode": legacy, "productCode": code}]})
    assert put.status_code == 200, put.text
    assert {"system": "sms", "legacyCode": legacy, "productCode": code} in [
        {k: m[k] for k in ("system", "legacyCode", "productCode")} for m in put.json()["data"]]
    assert_problem(gw.put("/api/v1/legacyProductMappings", headers=admin,
                          json={"data": [{"system": "sms", "legacyCode": legacy, "productCode": "NOPE-X"}]}),
                   404, "product-not-found")
    assert_problem(gw.put("/api/v1/legacyProductMappings", headers=supervisor,
                          json={"data": [{"system": "sms", "legacyCode": legacy, "productCode": code}]}), 403, "forbidden")
    with db.transaction() as cur:
        cur.execute("SELECT action, changes, actor FROM audit_log WHERE entity = 'legacy_product_map' AND entity_key = %s",
                    (f"sms:{legacy}",))
        [entry] = cur.fetchall()
        assert entry["actor"] == "admin" and entry["changes"] == {"productCode": [None, code]}

    discount = {"code": f"{world.tag}-D", "name": "宽带九折", "kind": "percent", "value": 10, "eligibility": "vip",
                "products": [code], "validFrom": "2030-01-01", "validTo": "2030-12-31"}
    made = gw.post("/api/v1/discounts", headers=admin, json=discount)
    assert made.status_code == 201, made.text
    assert made.json()["products"] == [code] and made.json()["validTo"] == "2030-12-31"
    assert_problem(gw.post("/api/v1/discounts", headers=admin, json=discount), 409, "discount-exists")
    for wrong in ({"value": 150}, {"validTo": "2029-01-01"}, {"eligibility": "promotion"}, {"products": ["NOPE-X"]}):
        assert_problem(gw.post("/api/v1/discounts", headers=admin, json={**discount, "code": f"{world.tag}-E", **wrong}),
                       422, "invalid-discount")
    # Text PostgreSQL cannot hold, and a pasted page where a code belongs, are the sender's mistakes too.
    for wrong, reason in (({"name": "九折\x00"}, "invalid-text"), ({"products": ["BB\x00"]}, "invalid-code"),
                          ({"eligibility": "promotion", "promotionCode": "P\x00"}, "invalid-code"),
                          ({"products": ["X" * 20000]}, "invalid-code")):
        body = assert_problem(gw.post("/api/v1/discounts", headers=admin,
                                      json={**discount, "code": f"{world.tag}-F", **wrong}), 422, reason)
        assert len(body["detail"]) <= 500
    listed = gw.get("/api/v1/discounts", headers=supervisor).json()
    assert discount["code"] in [d["code"] for d in listed["data"]]
    assert f"{world.tag}-F" not in [d["code"] for d in listed["data"]]


def test_a_clerk_signs_an_account_up_to_a_promotion_and_its_discount_is_billed(gw, db, supervisor, admin):  # noqa: F811
    world = World(db)
    basic = world.product("BASIC", 3000)
    account = world.account()
    world.service(account, basic, (world.day(1), "active"))
    code = f"{world.tag}-SPRING"
    made = gw.post("/api/v1/discounts", headers=admin, json={
        "code": f"{world.tag}-P", "name": "春季促销立减", "kind": "fixed", "value": 500, "eligibility": "promotion",
        "promotionCode": code, "products": [basic], "validFrom": world.day(1).isoformat(),
        "validTo": world.day(10).isoformat()})  # ends on the 10th
    assert made.status_code == 201, made.text
    clerk = bearer(gw, "counter")

    signed = gw.put(f"/api/v1/accounts/{account.lower()}/promotions", headers=clerk, json={"promotionCodes": [code]})
    assert signed.status_code == 200, signed.text
    assert signed.json() == {"accountNo": account, "promotionCodes": [code]}
    assert_problem(gw.put(f"/api/v1/accounts/{account}/promotions", headers=clerk,
                          json={"promotionCodes": ["NO-SUCH-PROMO"]}), 422, "unknown-promotion")
    assert_problem(gw.put("/api/v1/accounts/A0/promotions", headers=clerk, json={"promotionCodes": []}),
                   404, "account-not-found")
    assert_problem(gw.put(f"/api/v1/accounts/{account}/promotions", headers=bearer(gw, "technician"),
                          json={"promotionCodes": []}), 403, "forbidden")

    assert gw.post("/api/v1/billRuns", headers=supervisor,
                   json={"period": world.period, "cycle": world.cycle}).status_code == 201
    [bill] = world.bills(account)
    # 500 fen a month off, for the ten days of the month the promotion ran.
    off = (500 * 10 * 2 + world.days) // (2 * world.days)
    assert [(x["kind"], x["amount_minor"]) for x in bill["lines"]] == [("charge", 3000), ("discount", -off)]
    with db.transaction() as cur:
        cur.execute("SELECT changes, actor FROM audit_log WHERE entity = 'account' AND entity_key = %s "
                    "AND action = 'promotions'", (account,))
        assert [(r["changes"], r["actor"]) for r in cur.fetchall()] == [({"promotions": [code], "before": []},
                                                                         "counter")]
