"""Counter payments end to end: through the gateway (TestClient) to the real billing gRPC server and
PostgreSQL: paying, credit, idempotency (also under concurrency), receipts, closings, corrections, roles."""
from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import grpc
import pytest

from bss.billing.v1 import billing_pb2
from bss.billing.v1 import payments_pb2 as pb
from bss.billing.v1 import payments_pb2_grpc as pb_grpc
from services.billing.payments import store as payments_store
from tests.integration.billing_env import billing, db, gw, insert_bill  # noqa: F401 -- fixtures
from tests.integration.test_gateway import assert_problem, bearer, gateway_db  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def counter(gw):
    return bearer(gw, "counter")


@pytest.fixture(scope="module")
def supervisor(gw):
    return bearer(gw, "supervisor")


def new_account(db, currency: str = "CNY") -> str:
    account_no = f"A{uuid.uuid4().int % 10**12}"
    with db.transaction() as cur:
        cur.execute("INSERT INTO account (account_no, customer_no, name, currency) VALUES (%s, %s, '张三', %s)",
                    (account_no, f"C{uuid.uuid4().int % 10**9}", currency))
    return account_no


def new_counter() -> str:
    return f"W{uuid.uuid4().hex[:12]}"


def bill(db, account_no: str, amount_minor: int, service_no: str = "S1") -> str:
    """An issued bill of one service share, charged to the ledger."""
    start = date(2100 + uuid.uuid4().int % 800, 1 + uuid.uuid4().int % 12, 1)
    with db.transaction() as cur:
        row = insert_bill(cur, account_no, start, start + timedelta(days=15), {service_no: amount_minor})
        cur.execute("""INSERT INTO ledger_entry (account_no, kind, amount_minor, bill_id, created_by)
                       VALUES (%s, 'charge', %s, %s, 'test')""", (account_no, amount_minor, row["id"]))
    return row["bill_no"]


def pay(gw, headers, account_no, amount_minor, *, method="cash", counter=None, key=None, currency="CNY", **extra):
    # A counter of its own unless the test names one: other tests (and earlier runs) close theirs.
    body = {"accountNo": account_no, "amount": {"amountMinor": amount_minor, "currency": currency},
            "method": method, "counter": counter or new_counter(), **extra}
    return gw.post("/api/v1/payments", json=body,
                   headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def ledger_rows(db, account_no: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT kind, amount_minor, payment_id, note FROM ledger_entry WHERE account_no = %s ORDER BY id",
                    (account_no,))
        return cur.fetchall()


def entries(db, account_no: str) -> list[tuple[str, int]]:
    return [(r["kind"], r["amount_minor"]) for r in ledger_rows(db, account_no)]


def open_of(db, bill_no: str) -> tuple[int, str]:
    with db.transaction() as cur:
        cur.execute("SELECT open_minor, state FROM bill WHERE bill_no = %s", (bill_no,))
        row = cur.fetchone()
        return row["open_minor"], row["state"]


def events_of(db, payment_no: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT payload FROM outbox WHERE event_type = 'payment_received' "
                    "AND payload->'data'->>'paymentNo' = %s", (payment_no,))
        return [r["payload"]["data"] for r in cur.fetchall()]


# --- paying -------------------------------------------------------------------------------------------

def test_a_payment_posts_to_the_ledger_settles_and_emits(gw, counter, db):
    account_no, window = new_account(db), new_counter()
    bill_no = bill(db, account_no, 12800)
    response = pay(gw, counter, account_no, 5000, method="card", counter=window.lower(), reference="POS-778")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("P") and response.headers["Location"] == f"/api/v1/payments/{body['id']}"
    assert body["amount"] == {"amountMinor": 5000, "currency": "CNY"} and body["method"] == "card"
    assert body["counter"] == window.upper() and body["receivedBy"] == "counter" and body["reference"] == "POS-778"
    assert body["balanceAfter"] == {"amountMinor": 7800, "currency": "CNY"}
    assert entries(db, account_no) == [("charge", 12800), ("payment", -5000)]
    assert open_of(db, bill_no) == (7800, "partially_paid")
    with db.transaction() as cur:
        cur.execute("SELECT customer_no FROM account WHERE account_no = %s", (account_no,))
        customer_no = cur.fetchone()["customer_no"]
    assert events_of(db, body["id"]) == [{"paymentNo": body["id"], "accountNo": account_no,
                                          "customerNo": customer_no, "amountMinor": 5000, "currency": "CNY",
                                          "method": "card"}]
    assert gw.get(f"/api/v1/payments/{body['id']}", headers=counter).json() == body
    listed = gw.get("/api/v1/payments", params={"accountNo": account_no}, headers=counter)
    assert listed.json() == {"data": [body], "count": 1} and listed.headers["X-Total-Count"] == "1"


def test_an_accounts_payments_are_listed_newest_first_and_paged(gw, counter, db):
    account_no, other = new_account(db), new_account(db)
    first = pay(gw, counter, account_no, 1000).json()["id"]
    pay(gw, counter, other, 500)
    second = pay(gw, counter, account_no, 2000, method="card").json()["id"]
    listed = gw.get("/api/v1/payments", params={"accountNo": account_no.lower()}, headers=counter)
    assert [p["id"] for p in listed.json()["data"]] == [second, first]
    assert listed.json()["count"] == 2 and listed.headers["X-Total-Count"] == "2"
    page = gw.get("/api/v1/payments", params={"accountNo": account_no, "offset": 1, "limit": 1}, headers=counter)
    assert [p["id"] for p in page.json()["data"]] == [first] and page.json()["count"] == 2


def test_overpayment_becomes_credit_that_a_later_bill_consumes(gw, counter, db):
    account_no = new_account(db)
    first = bill(db, account_no, 3000)
    response = pay(gw, counter, account_no, 10000)
    assert response.status_code == 201, response.text
    assert response.json()["balanceAfter"]["amountMinor"] == -7000
    assert open_of(db, first) == (0, "paid")
    later = bill(db, account_no, 5000)
    # A billing run settles after charging; here the next payment does.
    assert pay(gw, counter, account_no, 1).status_code == 201
    assert open_of(db, later) == (0, "paid")


def test_the_same_key_posts_once_and_replays_the_answer(gw, counter, db):
    account_no, window, key = new_account(db), new_counter(), str(uuid.uuid4())
    first = pay(gw, counter, account_no, 2000, key=key, counter=window)
    again = pay(gw, counter, account_no, 2000, key=key, counter=window)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(ledger_rows(db, account_no)) == 1
    assert_problem(pay(gw, counter, account_no, 3000, key=key, counter=window), 422, "idempotency-key-reused")


def test_a_payment_without_an_idempotency_key_is_refused(gw, counter, db):
    account_no = new_account(db)
    response = gw.post("/api/v1/payments", headers=counter, json={
        "accountNo": account_no, "amount": {"amountMinor": 100, "currency": "CNY"}, "method": "cash", "counter": "W1"})
    assert_problem(response, 400, "idempotency-key-required")
    assert ledger_rows(db, account_no) == []


def test_concurrent_requests_with_one_request_id_post_once(billing, db):
    """Two gateways racing with the same key reach billing with the same request id: one payment."""
    account_no = new_account(db)
    request_id = f"counter:{uuid.uuid4()}"
    barrier, answers, errors = threading.Barrier(8), [], []

    def call():
        with grpc.insecure_channel(f"127.0.0.1:{billing}") as channel:
            stub = pb_grpc.PaymentServiceStub(channel)
            barrier.wait()
            try:
                answers.append(stub.RecordPayment(pb.RecordPaymentRequest(
                    account_no=account_no, amount=billing_pb2.Money(amount_minor=4200, currency="CNY"),
                    method="cash", counter=new_counter(), request_id=request_id,
                    actor=billing_pb2.Actor(username="counter", role="counter")), timeout=10))
            except grpc.RpcError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(answers) == 8
    assert len({a.payment_no for a in answers}) == 1
    assert entries(db, account_no) == [("payment", -4200)]
    assert len(events_of(db, answers[0].payment_no)) == 1
    with grpc.insecure_channel(f"127.0.0.1:{billing}") as channel, pytest.raises(grpc.RpcError) as caught:
        pb_grpc.PaymentServiceStub(channel).RecordPayment(pb.RecordPaymentRequest(
            account_no=account_no, amount=billing_pb2.Money(amount_minor=4300, currency="CNY"), method="cash",
            counter="W1", request_id=request_id, actor=billing_pb2.Actor(username="counter")), timeout=10)
    assert dict(caught.value.trailing_metadata())["bss-reason"] == "idempotency-key-reused"


def test_concurrent_double_click_through_the_gateway_posts_once(gw, counter, db):
    account_no, window, key = new_account(db), new_counter(), str(uuid.uuid4())
    barrier, statuses = threading.Barrier(6), []

    def click():
        barrier.wait()
        statuses.append(pay(gw, counter, account_no, 999, key=key, counter=window).status_code)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert entries(db, account_no) == [("payment", -999)]


@pytest.mark.parametrize("amount, currency, status, reason", [
    (0, "CNY", 422, "invalid-amount"),
    (-500, "CNY", 422, "invalid-amount"),
    (10**12, "CNY", 422, "invalid-amount"),
    (500, "USD", 422, "currency-mismatch"),
    (12.5, "CNY", 422, "validation-error"),
    ("500", "CNY", 422, "validation-error"),
    (2**70, "CNY", 422, "validation-error"),
])
def test_bad_amounts_are_refused_and_nothing_is_posted(gw, counter, db, amount, currency, status, reason):
    account_no = new_account(db)
    assert_problem(pay(gw, counter, account_no, amount, currency=currency), status, reason)
    assert ledger_rows(db, account_no) == []


@pytest.mark.parametrize("change, reason", [
    ({"method": "cheque"}, "validation-error"),
    ({"counter": ""}, "validation-error"),
    ({"counter": "窗口1"}, "validation-error"),
    ({"unknown": 1}, "validation-error"),
])
def test_bad_fields_are_refused(gw, counter, db, change, reason):
    account_no = new_account(db)
    body = {"accountNo": account_no, "amount": {"amountMinor": 100, "currency": "CNY"}, "method": "cash",
            "counter": "W1", **change}
    response = gw.post("/api/v1/payments", json=body, headers={**counter, "Idempotency-Key": str(uuid.uuid4())})
    assert_problem(response, 422, reason)
    assert ledger_rows(db, account_no) == []


def test_an_unknown_account_or_payment_is_404(gw, counter):
    assert_problem(pay(gw, counter, "A0000000000001", 100), 404, "account-not-found")
    assert_problem(gw.get("/api/v1/payments/P1", headers=counter), 404, "payment-not-found")
    assert_problem(gw.get("/api/v1/payments", params={"accountNo": "A0000000000001"}, headers=counter),
                   404, "account-not-found")


# --- receipts -----------------------------------------------------------------------------------------

def test_receipts_print_in_chinese_as_html_and_pdf(gw, counter, db):
    account_no = new_account(db)
    payment_no = pay(gw, counter, account_no, 12345, counter="W3").json()["id"]
    page = gw.get(f"/api/v1/payments/{payment_no}/receipt.html", headers=counter)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "收款收据" in page.text and payment_no in page.text and "¥123.45" in page.text and "张三" in page.text
    pdf = gw.get(f"/api/v1/payments/{payment_no}/receipt.pdf", headers=counter)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and payment_no in pdf.headers["Content-Disposition"]
    assert_problem(gw.get(f"/api/v1/payments/{payment_no}/receipt.doc", headers=counter), 422, "validation-error")


# --- closings -----------------------------------------------------------------------------------------

def today(gw, headers, db) -> str:
    """The operator's day as billing sees it (a payment's counterDay)."""
    return pay(gw, headers, new_account(db), 1, counter=new_counter()).json()["counterDay"]


def test_a_closing_totals_the_ledger_by_method_and_closes_the_day(gw, counter, supervisor, db):
    account_no, window = new_account(db), new_counter()
    for amount, method in ((1000, "cash"), (2500, "cash"), (4000, "card")):
        assert pay(gw, counter, account_no, amount, method=method, counter=window).status_code == 201
    # Another clerk's takings at the same counter are theirs to close.
    assert pay(gw, supervisor, account_no, 700, counter=window).status_code == 201
    day = today(gw, counter, db)
    response = gw.post("/api/v1/counterClosings", headers=counter, json={
        "counter": window, "day": day,
        "declared": {"cash": {"amountMinor": 3500, "currency": "CNY"},
                     "card": {"amountMinor": 4000, "currency": "CNY"}}})
    assert response.status_code == 201, response.text
    closing = response.json()
    assert closing["cash"] == {"count": 2, "amount": {"amountMinor": 3500, "currency": "CNY"}}
    assert closing["card"] == {"count": 1, "amount": {"amountMinor": 4000, "currency": "CNY"}}
    assert closing["balanced"] is True and closing["clerk"] == "counter" and closing["day"] == day
    assert closing["difference"] == {"cash": {"amountMinor": 0, "currency": "CNY"},
                                     "card": {"amountMinor": 0, "currency": "CNY"}}
    # The totals are the ledger's.
    with db.transaction() as cur:
        cur.execute("""SELECT p.method, -sum(l.amount_minor) AS total FROM ledger_entry l JOIN payment p
                       ON p.id = l.payment_id WHERE p.counter = %s AND p.received_by = 'counter'
                       AND l.kind = 'payment' GROUP BY p.method""", (window.upper(),))
        assert {r["method"]: r["total"] for r in cur.fetchall()} == {"cash": 3500, "card": 4000}

    assert_problem(pay(gw, counter, account_no, 100, counter=window), 409, "counter-day-closed")
    assert_problem(gw.post("/api/v1/counterClosings", headers=counter, json={"counter": window, "day": day,
                                                                            "declared": {}}),
                   409, "counter-day-already-closed")
    # The supervisor's own takings at that counter are still open.
    assert pay(gw, supervisor, account_no, 100, counter=window).status_code == 201
    listed = gw.get("/api/v1/counterClosings", params={"day": day, "counter": window}, headers=supervisor).json()
    assert listed["count"] == 1 and listed["data"] == [closing]


def test_a_mismatch_is_recorded_as_a_discrepancy(gw, counter, db):
    window = new_counter()
    assert pay(gw, counter, new_account(db), 5000, counter=window).status_code == 201
    day = today(gw, counter, db)
    response = gw.post("/api/v1/counterClosings", headers=counter, json={
        "counter": window, "day": day, "declared": {"cash": {"amountMinor": 4900, "currency": "CNY"}},
        "note": "短款 1 元"})
    assert response.status_code == 201, response.text
    closing = response.json()
    assert closing["balanced"] is False and closing["note"] == "短款 1 元"
    assert closing["difference"]["cash"]["amountMinor"] == -100 and closing["difference"]["card"]["amountMinor"] == 0
    with db.transaction() as cur:
        cur.execute("SELECT actor, changes FROM audit_log WHERE entity = 'counter_closing' AND entity_key = %s",
                    (f"{window.upper()}/{day}/counter",))
        audited = cur.fetchall()
    assert len(audited) == 1 and audited[0]["changes"]["balanced"] is False


def test_a_payment_racing_a_closing_waits_and_is_refused(billing, db, settings):
    """A payment that arrives while its counter-day is being closed waits for the closing, then sees it:
    it is never posted uncounted into a closed day."""
    account_no, window, outcome = new_account(db), new_counter().upper(), []

    def pay_now():
        with grpc.insecure_channel(f"127.0.0.1:{billing}") as channel:
            try:
                pb_grpc.PaymentServiceStub(channel).RecordPayment(pb.RecordPaymentRequest(
                    account_no=account_no, amount=billing_pb2.Money(amount_minor=100, currency="CNY"), method="cash",
                    counter=window, request_id=str(uuid.uuid4()),
                    actor=billing_pb2.Actor(username="counter", role="counter")), timeout=10)
                outcome.append("posted")
            except grpc.RpcError as exc:
                outcome.append(dict(exc.trailing_metadata()).get("bss-reason"))

    payer = threading.Thread(target=pay_now)
    with db.transaction() as cur:  # the closing, half done
        day = payments_store.counter_day(cur, settings.timezone)
        payments_store.lock_counter_day(cur, window, day, "counter", exclusive=True)
        payer.start()
        payer.join(1.0)
        assert payer.is_alive(), "the payment must wait for the closing"
        payments_store.insert_closing(cur, counter=window, day=day, clerk="counter", currency="CNY", cash=(0, 0),
                                      card=(0, 0), declared_cash=0, declared_card=0, balanced=True, note=None,
                                      actor="counter")
    payer.join(10)
    assert outcome == ["counter-day-closed"] and ledger_rows(db, account_no) == []


def test_closings_are_checked(gw, counter, supervisor, db):
    window = new_counter()
    future = (date.fromisoformat(today(gw, counter, db)) + timedelta(days=1)).isoformat()
    assert_problem(gw.post("/api/v1/counterClosings", headers=counter,
                           json={"counter": window, "day": future, "declared": {}}), 422, "invalid-day")
    assert_problem(gw.post("/api/v1/counterClosings", headers=counter, json={
        "counter": window, "day": "2024-01-01", "declared": {"cash": {"amountMinor": -1, "currency": "CNY"}}}),
        422, "invalid-amount")
    assert_problem(gw.post("/api/v1/counterClosings", headers=counter,
                           json={"counter": window, "day": "2024-02-30", "declared": {}}), 422, "validation-error")
    # A clerk closes their own day; a supervisor may close a clerk's.
    assert_problem(gw.post("/api/v1/counterClosings", headers=counter,
                           json={"counter": window, "day": "2024-01-01", "clerk": "agent", "declared": {}}),
                   403, "forbidden")
    response = gw.post("/api/v1/counterClosings", headers=supervisor,
                       json={"counter": window, "day": "2024-01-01", "clerk": "counter", "declared": {}})
    assert response.status_code == 201 and response.json()["clerk"] == "counter"
    assert response.json()["closedBy"] == "supervisor" and response.json()["balanced"] is True


# --- corrections --------------------------------------------------------------------------------------

def keyed(headers: dict) -> dict:
    """The headers with a new Idempotency-Key: a refund or an adjustment, like a payment, requires one."""
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


def test_refunds_are_new_entries_up_to_what_was_paid(gw, counter, supervisor, db):
    account_no = new_account(db)
    payment_no = pay(gw, counter, account_no, 6000).json()["id"]
    url = f"/api/v1/payments/{payment_no}/refund"
    assert_problem(gw.post(url, headers=keyed(counter), json={"reason": "x"}), 403, "forbidden")
    assert_problem(gw.post(url, headers=keyed(supervisor), json={"amount": {"amountMinor": 7000, "currency": "CNY"},
                                                          "reason": "重复缴费"}), 422, "refund-exceeds-payment")
    assert_problem(gw.post(url, headers=keyed(supervisor), json={"reason": "  "}), 422, "validation-error")
    assert_problem(gw.post(url, headers=supervisor, json={"reason": "多收"}), 400, "idempotency-key-required")
    twice = keyed(supervisor)
    part = gw.post(url, headers=twice, json={"amount": {"amountMinor": 2000, "currency": "CNY"}, "reason": "多收"})
    assert part.status_code == 200, part.text
    again = gw.post(url, headers=twice, json={"amount": {"amountMinor": 2000, "currency": "CNY"}, "reason": "多收"})
    assert again.json() == part.json()  # a retried refund answers the first, refunding nothing more
    assert part.json()["refunded"]["amountMinor"] == 2000
    rest = gw.post(url, headers=keyed(supervisor), json={"reason": "退费销户"})
    assert rest.json()["refunded"]["amountMinor"] == 6000
    assert_problem(gw.post(url, headers=keyed(supervisor), json={"reason": "again"}), 409, "payment-already-refunded")
    assert entries(db, account_no) == [
        ("payment", -6000), ("refund", 2000), ("refund", 4000)]
    # An account's payments are listed through its ledger (migration 0049): the refunds' entries name the
    # payment too, yet it is listed once, with what was refunded.
    listed = gw.get("/api/v1/payments", params={"accountNo": account_no}, headers=counter).json()
    assert [(p["id"], p["refunded"]["amountMinor"]) for p in listed["data"]] == [(payment_no, 6000)]
    assert listed["count"] == 1
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM audit_log WHERE entity = 'payment' AND entity_key = %s "
                    "AND action = 'refund' AND actor = 'supervisor'", (payment_no,))
        assert cur.fetchone()["n"] == 2


def test_adjustments_are_new_entries_and_settle(gw, supervisor, counter, db):
    account_no = new_account(db)
    bill_no = bill(db, account_no, 3000)
    url = f"/api/v1/accounts/{account_no}/adjustments"
    assert_problem(gw.post(url, headers=keyed(counter), json={"amount": {"amountMinor": -100, "currency": "CNY"},
                                                       "reason": "x"}), 403, "forbidden")
    assert_problem(gw.post(url, headers=keyed(supervisor), json={"amount": {"amountMinor": 0, "currency": "CNY"},
                                                          "reason": "x"}), 422, "invalid-amount")
    response = gw.post(url, headers={**supervisor, "Idempotency-Key": str(uuid.uuid4())},
                       json={"amount": {"amountMinor": -3000, "currency": "CNY"}, "reason": "故障停播减免"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["balance"]["amountMinor"] == 0 and body["reason"] == "故障停播减免" and body["createdBy"] == "supervisor"
    assert open_of(db, bill_no) == (0, "paid")
    assert entries(db, account_no) == [("charge", 3000), ("adjustment", -3000)]
    assert_problem(gw.post("/api/v1/accounts/A0000000000001/adjustments", headers=keyed(supervisor),
                           json={"amount": {"amountMinor": 100, "currency": "CNY"}, "reason": "x"}),
                   404, "account-not-found")


# --- roles --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["bank", "technician", "agent", "admin"])
def test_only_counters_and_supervisors_take_money(gw, db, role):
    headers = bearer(gw, role)
    account_no = new_account(db)
    assert_problem(pay(gw, headers, account_no, 100), 403, "forbidden")
    assert_problem(gw.post("/api/v1/counterClosings", headers=headers,
                           json={"counter": "W1", "day": "2024-01-01", "declared": {}}), 403, "forbidden")
    assert ledger_rows(db, account_no) == []


@pytest.mark.parametrize("role", ["bank", "technician"])
def test_banks_and_technicians_see_no_payments(gw, counter, db, role):
    payment_no = pay(gw, counter, new_account(db), 100).json()["id"]
    headers = bearer(gw, role)
    assert_problem(gw.get(f"/api/v1/payments/{payment_no}", headers=headers), 403, "forbidden")
    assert_problem(gw.get(f"/api/v1/payments/{payment_no}/receipt.pdf", headers=headers), 403, "forbidden")
