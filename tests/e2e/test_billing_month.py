"""A billing month through the running suite, in a suite of its own (its dunning reaches every unpaid
demo account, which the other end-to-end tests must not meet): a supervisor bills the month, the bill
prints, dunning reminds, gives notice and suspends an unpaid analog service (written back to the CMS, as
the customer service does for billing's requests), a counter payment clears the arrears, and the service
comes back on in the CMS."""
from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import httpx
import pytest

from tests.e2e.suite import Suite, both_systems_customer, line_status, login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def month():
    s = Suite("month", households=60)
    s.start()
    yield s
    assert s.stop() == 0, f"the suite did not stop cleanly on Ctrl-C; see {s.log.name}"


def eventually(check, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def months_ago(n: int) -> str:
    first = date.today().replace(day=1)
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
    return f"{first:%Y-%m}"


def service_state(clerk: httpx.Client, customer_no: str, service_no: str) -> str:
    view = clerk.get(f"/customers/{customer_no}").json()
    return next(s["state"] for s in view["services"] if s["serviceNo"] == service_no)


def test_a_month_billed_dunned_paid_and_restored(month):
    customer_no, _, service_no, user_no = both_systems_customer(month)
    clerk, supervisor = login(month, "counter"), login(month, "supervisor")
    account_no = next(s["accountNo"] for s in clerk.get(f"/customers/{customer_no}").json()["services"]
                      if s["serviceNo"] == service_no)
    # The demo bills last month once billing has copied the customers; the 360 view then shows it.
    eventually(lambda: [a for a in clerk.get(f"/customers/{customer_no}/billing").json()["accounts"]
                        if a["accountNo"] == account_no and a["lastBills"]], "the demo's bills")

    # The supervisor bills the month before; the same request again adds nothing and says so.
    started = supervisor.post("/billRuns", json={"period": months_ago(2), "cycle": 1})
    assert started.status_code in (201, 202), started.text
    run_no = started.json()["id"]
    eventually(lambda: supervisor.get(f"/billRuns/{run_no}").json()["state"] == "completed", "the billing run")
    again = supervisor.post("/billRuns", json={"period": months_ago(2), "cycle": 1})
    assert again.status_code == 200 and again.json()["alreadyBilled"] is True
    assert again.json()["counts"]["bills"] > 0

    bills = clerk.get(f"/customers/{customer_no}/customerBills").json()["data"]
    ours = [b for b in bills if b["accountNo"] == account_no]
    assert {b["periodStart"][:7] for b in ours} >= {months_ago(1), months_ago(2)}
    printed = clerk.get(f"/customerBills/{ours[0]['id']}.pdf")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")

    # Nobody pays: dunning walks the service's ladder on working days up to its suspension.
    due = max(date.fromisoformat(b["dueOn"]) for b in ours)
    day = due
    while "suspend" not in {s["step"] for s in supervisor.get(f"/accounts/{account_no}/dunningSteps").json()["data"]
                            if s["serviceNo"] == service_no}:
        day += timedelta(days=3)
        assert day < due + timedelta(days=120), "dunning should reach the suspension within its ladder"
        assert supervisor.post("/dunningRuns", json={"asOf": day.isoformat()}).status_code == 200
    steps = [s["step"] for s in supervisor.get(f"/accounts/{account_no}/dunningSteps").json()["data"]
             if s["serviceNo"] == service_no]
    assert {"reminder", "notice", "suspend"} <= set(steps)
    eventually(lambda: line_status(month, user_no) == "2", "the suspension written back to the CMS")
    assert service_state(clerk, customer_no, service_no) == "suspended"

    # The customer pays everything at the counter: the arrears clear and the service comes back on.
    owed = next(a for a in clerk.get(f"/customers/{customer_no}/billing").json()["accounts"]
                if a["accountNo"] == account_no)["balance"]
    paid = clerk.post("/payments", headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={"accountNo": account_no, "amount": owed, "method": "cash", "counter": "C01"})
    assert paid.status_code == 201, paid.text
    assert clerk.get(f"/payments/{paid.json()['id']}/receipt.pdf").content.startswith(b"%PDF")
    eventually(lambda: line_status(month, user_no) == "1", "the restoration written back to the CMS")
    assert service_state(clerk, customer_no, service_no) == "active"
    billing = next(a for a in clerk.get(f"/customers/{customer_no}/billing").json()["accounts"]
                   if a["accountNo"] == account_no)
    assert billing["balance"]["amountMinor"] <= 0 and billing["overdue"]["amountMinor"] == 0
