"""Dunning through the gateway and the real billing server: roles, holds with their 409s, tags, ladders,
a run with asOf, the steps an agent reads, and a write-off decided by a supervisor."""
from __future__ import annotations


import pytest

from services.billing.service import SPEC as BILLING
from tests.harness import service_server
from tests.integration.test_billing_dunning import (D, db, h, overdue_service, steps,  # noqa: F401
                                                    walk_to_suspension)
from tests.integration.test_gateway import assert_problem, bearer, client_for, gateway_db  # noqa: F401

pytestmark = pytest.mark.integration
API = "/api/v1"


@pytest.fixture(scope="module")
def api(settings, gateway_db, db):  # noqa: F811
    with service_server(BILLING, settings) as port, client_for(settings, billing_grpc=f"127.0.0.1:{port}") as client:
        yield client


@pytest.mark.parametrize("role", ["bank", "technician", "counter"])
@pytest.mark.parametrize("method, path, body", [
    ("post", "/customerBills/B1/hold", {"reason": "x"}), ("post", "/customerBills/B1/release", None),
    ("post", "/dunningRuns", {}), ("get", "/writeOffs", None), ("post", "/writeOffs/WO1/approve", None),
    ("put", "/accounts/A1/tags", {"tags": []}), ("put", "/dunningLadders", {"data": []}),
    ("get", "/dunningLadders", None),
])
def test_roles_without_the_permission_get_403(api, role, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert_problem(api.request(method, API + path, headers=bearer(api, role), **kwargs), 403, "forbidden")


def test_an_agent_holds_and_a_supervisor_releases_a_bill(api, db):  # noqa: F811
    _, _, service_no, bill_no = overdue_service(db)
    agent, supervisor = bearer(api, "agent"), bearer(api, "supervisor")
    held = api.post(f"{API}/customerBills/{bill_no}/hold", json={"reason": "complaint T9"}, headers=agent)
    assert held.status_code == 200, held.text
    assert held.json()["onHold"] is True and held.json()["holdReason"] == "complaint T9"
    assert_problem(api.post(f"{API}/customerBills/{bill_no}/hold", json={"reason": "again"}, headers=agent),
                   409, "illegal-transition")
    assert_problem(api.post(f"{API}/customerBills/{bill_no}/hold", json={"reason": ""}, headers=agent),
                   422, "validation-error")
    assert_problem(api.post(f"{API}/customerBills/B404404/hold", json={"reason": "x"}, headers=agent),
                   404, "bill-not-found")
    run = api.post(f"{API}/dunningRuns", json={"asOf": "2026-02-02"}, headers=supervisor)
    assert run.status_code == 200, run.text
    assert run.json()["asOf"] == "2026-02-02"
    assert steps(db, service_no) == []
    released = api.post(f"{API}/customerBills/{bill_no}/release", headers=supervisor)
    assert released.status_code == 200 and released.json()["onHold"] is False
    assert_problem(api.post(f"{API}/customerBills/{bill_no}/release", headers=supervisor), 409, "illegal-transition")


def test_a_run_needs_a_real_date(api):
    supervisor = bearer(api, "supervisor")
    assert_problem(api.post(f"{API}/dunningRuns", json={"asOf": "2026-02-30"}, headers=supervisor),
                   422, "validation-error")
    assert_problem(api.post(f"{API}/dunningRuns", json={"when": "today"}, headers=supervisor),
                   422, "validation-error")
    assert api.post(f"{API}/dunningRuns", headers=supervisor).status_code == 200  # today, as the worker runs it


def test_an_agent_reads_the_steps_of_an_account(api, db):  # noqa: F811
    account_no, _, service_no, bill_no = overdue_service(db)
    supervisor = bearer(api, "supervisor")
    for day in ("2026-02-02", "2026-02-13"):
        assert api.post(f"{API}/dunningRuns", json={"asOf": day}, headers=supervisor).status_code == 200
    reply = api.get(f"{API}/accounts/{account_no}/dunningSteps", headers=bearer(api, "agent"))
    assert reply.status_code == 200 and reply.headers["X-Total-Count"] == "2"
    notice = reply.json()["data"][0]
    assert notice["step"] == "notice" and notice["serviceNo"] == service_no and notice["billNos"] == [bill_no]
    assert notice["overdue"] == {"amountMinor": 2200, "currency": "CNY"} and notice["closedOn"] is None
    assert_problem(api.get(f"{API}/accounts/A0/dunningSteps", headers=bearer(api, "agent")), 404, "account-not-found")


def test_a_supervisor_tags_an_account(api, db):  # noqa: F811
    account_no, *_ = overdue_service(db)
    supervisor = bearer(api, "supervisor")
    reply = api.put(f"{API}/accounts/{account_no}/tags", json={"tags": ["public_institution"]}, headers=supervisor)
    assert reply.status_code == 200 and reply.json() == {"accountNo": account_no, "tags": ["public_institution"]}
    assert_problem(api.put(f"{API}/accounts/{account_no}/tags", json={"tags": ["No Way"]}, headers=supervisor),
                   422, "validation-error")


def test_an_admin_reads_and_replaces_the_ladders(api):
    admin = bearer(api, "admin")
    ladders = api.get(f"{API}/dunningLadders", headers=admin).json()["data"]
    assert ladders[0]["appliesTo"] == "default"
    body = {"data": [{k: v for k, v in x.items() if k not in ("updatedBy", "updatedAt")} for x in ladders]}
    reply = api.put(f"{API}/dunningLadders", json=body, headers=admin)
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"][0]["updatedBy"] == "admin"
    assert_problem(api.put(f"{API}/dunningLadders", json={"data": body["data"][1:]}, headers=admin),
                   422, "invalid-ladder")
    assert_problem(api.put(f"{API}/dunningLadders", json={"data": [dict(body["data"][0], exemptSteps=["nap"])]},
                           headers=admin), 422, "validation-error")
    assert_problem(api.put(f"{API}/dunningLadders", json={"data": [dict(body["data"][0], noticeAfterDays=0)]},
                           headers=admin), 422, "invalid-ladder")


def test_a_supervisor_approves_a_write_off(api, db, h):  # noqa: F811
    account_no, _, service_no, _ = overdue_service(db)
    walk_to_suspension(h)
    h.run(D(2026, 8, 24), "test")
    supervisor = bearer(api, "supervisor")
    proposed = api.get(f"{API}/writeOffs?state=proposed&limit=100", headers=supervisor).json()["data"]
    mine = next(w for w in proposed if w["accountNo"] == account_no)
    assert mine["serviceNos"] == [service_no] and mine["writtenOff"] is None
    done = api.post(f"{API}/writeOffs/{mine['id']}/approve", json={"note": "uncollectable"}, headers=supervisor)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved" and done.json()["writtenOff"]["amountMinor"] == 2200
    assert_problem(api.post(f"{API}/writeOffs/{mine['id']}/reject", headers=supervisor), 409, "illegal-transition")
    assert_problem(api.post(f"{API}/writeOffs/{mine['id']}/maybe", headers=supervisor), 422, "validation-error")
    assert_problem(api.get(f"{API}/writeOffs?state=maybe", headers=supervisor), 422, "validation-error")
    assert_problem(api.post(f"{API}/writeOffs/WO0/approve", headers=supervisor), 404, "write-off-not-found")
