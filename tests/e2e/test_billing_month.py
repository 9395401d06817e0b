"""A billing month through the running suite, in a suite of its own (its dunning reaches every unpaid
demo account, which the other end-to-end tests must not meet): a supervisor bills the month, the bill
prints, the account's bank debits it from its offer file and answers with its own return file in which
this debit failed for insufficient funds, the 360 view shows the failure and its retry, dunning reminds,
gives notice and suspends the unpaid analog service (written back to the CMS, as the customer service
does for billing's requests), a counter payment clears the arrears, and the service comes back on in the
CMS."""
from __future__ import annotations

import io
import time
import uuid
from datetime import date, timedelta

import httpx
import pytest

from services.billing.collection import OfferBatch, ReturnLine, load_layout, read_offer, write_return
from tests.e2e.suite import Suite, both_systems_customer, line_status, login
from tests.integration.collection_env import BANK_USERS, bank_account_no

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


def view_of(clerk: httpx.Client, customer_no: str) -> dict:
    """The 360 view, or a failure that says what the gateway answered instead."""
    reply = clerk.get(f"/customers/{customer_no}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def dunnable(clerk: httpx.Client, customer_no: str, service_no: str) -> bool:
    view = view_of(clerk, customer_no)
    service = next(s for s in view["services"] if s["serviceNo"] == service_no)
    return view["tier"] != "VIP" and service["monthlyFee"]["amountMinor"] > 0


def service_state(clerk: httpx.Client, customer_no: str, service_no: str) -> str:
    view = view_of(clerk, customer_no)
    return next(s["state"] for s in view["services"] if s["serviceNo"] == service_no)


def debit_fails_at_the_bank(month, clerk: httpx.Client, supervisor: httpx.Client, customer_no: str,
                            account_no: str, due: date) -> str:
    """The account pays by direct debit (the demo signed most accounts' mandates; the clerk signs one
    where there is none); the supervisor runs collection on the due date; the account's bank, as its own
    user, downloads its batch, debits every line and answers in its return layout, this account's debit
    failed for insufficient funds. The same file again changes nothing. Returns the bank's code."""
    active = [m for m in clerk.get("/mandates", params={"accountNo": account_no}).json()["data"]
              if m["state"] == "active"]
    if not active:
        signed = clerk.post("/mandates", json={"accountNo": account_no, "bankCode": "CCB", "holderName": "王小明",
                                               "bankAccountNo": bank_account_no("CCB"),
                                               "signedOn": date.today().isoformat()})
        assert signed.status_code == 201, signed.text
        active = [signed.json()]
    bank_code = active[0]["bankCode"]
    run = supervisor.post("/collectionRuns", json={"collectionDate": due.isoformat()})
    assert run.status_code == 201, run.text
    [batch] = [b for b in run.json()["batches"] if b["bankCode"] == bank_code]

    bank = login(month, BANK_USERS[bank_code])
    assert batch["id"] in {b["id"] for b in bank.get("/debitBatches", params={"limit": 100}).json()["data"]}
    other = next(code for code in BANK_USERS if code != bank_code)
    assert login(month, BANK_USERS[other]).get(f"/debitBatches/{batch['id']}").status_code == 404
    offered = bank.get(f"/debitBatches/{batch['id']}/file", params={"format": "bankLayout"})
    assert offered.status_code == 200, offered.text
    layout = load_layout(bank_code)
    no_money = next(code for code, reason in layout.reasons.items() if reason == "insufficient_funds")
    lines = [ReturnLine(line_no=0, reference=d.reference, account_number=d.account_number,
                        amount_minor=d.amount_minor, ok=d.user_number != account_no,
                        bank_code=min(layout.ok_codes) if d.user_number != account_no else no_money, reason=None,
                        message="", holder_name=d.holder_name, user_number=d.user_number)
             for d in read_offer(layout, offered.content)]
    ours = [x for x in lines if not x.ok]  # a bill each: the month billed now, and last month's when the
    assert ours, f"{account_no} has no debit in batch {batch['id']}"  # clerk signed the mandate only now
    answer = io.BytesIO()
    write_return(layout, OfferBatch(batch_no=batch["id"], created_on=date.fromisoformat(batch["createdOn"]),
                                    collection_date=due, creditor_name="广电网络有线电视"), lines, answer)
    uploaded = bank.post("/bankFiles", params={"kind": "result", "fileName": f"{batch['id']}.txt"},
                         content=answer.getvalue(), headers={"Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 201, uploaded.text
    report = uploaded.json()
    assert (report["succeeded"], report["failed"]) == (len(lines) - len(ours), len(ours))
    again = bank.post("/bankFiles", params={"kind": "result", "fileName": f"{batch['id']}.txt"},
                      content=answer.getvalue(), headers={"Content-Type": "application/octet-stream"})
    assert again.status_code == 409 and again.json()["type"].endswith("/bank-file-duplicate")
    return bank_code


def test_a_month_billed_dunned_paid_and_restored(month):
    clerk, supervisor = login(month, "counter"), login(month, "supervisor")
    # A customer who can be cut off for arrears: not a VIP (the dunning ladders exempt the tier), with an
    # analog line that costs something (the relief fee type is free: nothing of it is ever overdue).
    customer_no, _, service_no, user_no = next(c for c in (both_systems_customer(month) for _ in range(60))
                                               if dunnable(clerk, c[0], c[2]))
    account_no = next(s["accountNo"] for s in view_of(clerk, customer_no)["services"]
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

    due = max(date.fromisoformat(b["dueOn"]) for b in ours)
    bank_code = debit_fails_at_the_bank(month, clerk, supervisor, customer_no, account_no, due)
    failed = next(a for a in view_of(clerk, customer_no)["billing"]["accounts"]
                  if a["accountNo"] == account_no)["failedDebits"]
    assert [(f["bankCode"], f["reason"]) for f in failed][:1] == [(bank_code, "insufficient_funds")]
    retry_on = date.fromisoformat(failed[0]["nextAttemptOn"])
    assert retry_on > date.today()  # retried in the next window
    # The retry: collection on that day takes the bill again, and the bank answers the same.
    debit_fails_at_the_bank(month, clerk, supervisor, customer_no, account_no, max(retry_on, due))

    # Nobody pays: dunning walks the service's ladder on working days up to its suspension.
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
    eventually(lambda: service_state(clerk, customer_no, service_no) == "suspended", "the suspended service")

    # The customer pays everything at the counter: the arrears clear and the service comes back on.
    owed = next(a for a in clerk.get(f"/customers/{customer_no}/billing").json()["accounts"]
                if a["accountNo"] == account_no)["balance"]
    paid = clerk.post("/payments", headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={"accountNo": account_no, "amount": owed, "method": "cash", "counter": "C01"})
    assert paid.status_code == 201, paid.text
    assert clerk.get(f"/payments/{paid.json()['id']}/receipt.pdf").content.startswith(b"%PDF")
    eventually(lambda: line_status(month, user_no) == "1", "the restoration written back to the CMS")
    # The CMS is written first, then the customer service commits the state.
    eventually(lambda: service_state(clerk, customer_no, service_no) == "active", "the restored service")
    billing = next(a for a in clerk.get(f"/customers/{customer_no}/billing").json()["accounts"]
                   if a["accountNo"] == account_no)
    assert billing["balance"]["amountMinor"] <= 0 and billing["overdue"]["amountMinor"] == 0
