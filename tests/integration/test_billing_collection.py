"""Bank batch collection end to end: through the gateway (TestClient) to the real billing gRPC server and
PostgreSQL. Each shipped bank's round trip (mandate, run, download, the bank's result file with failures,
upload, ledger, settlement, retry, mandate flagged), and what must not happen twice or at all.

Other tests share the database and run in any order: a collection run picks up every due bill with an
active mandate, so each test speaks only of its own accounts' debits."""
from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo
from datetime import datetime

import psycopg2
import pytest

from services.billing.collection import load_layout, read_return
from services.billing.collection.iso20022 import schema
from tests.integration.collection_env import (BANK_USERS, CODES, bank_account_no, bank_answer, debit_of, due_bill,
                                              new_account, offer_batch, outcome)
from tests.integration.billing_env import billing, db, gw  # noqa: F401 -- fixtures
from tests.integration.test_gateway import assert_problem, bearer, gateway_db  # noqa: F401

pytestmark = pytest.mark.integration
API = "/api/v1"


@pytest.fixture(scope="module")
def tokens(gw):
    return {name: bearer(gw, name) for name in ("counter", "agent", "supervisor", "technician", "admin",
                                                *BANK_USERS.values())}


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def mandated_bill(gw, tokens, db, bank: str, amount_minor: int = 12800, hold: str | None = None) -> dict:
    """An account with a due bill and an active mandate at `bank`, made through the gateway."""
    account_no, customer_no = new_account(db)
    bill_no = due_bill(db, account_no, amount_minor, today() - timedelta(days=1), hold)
    response = gw.post(f"{API}/mandates", headers=tokens["counter"], json={
        "accountNo": account_no, "bankCode": bank, "holderName": "张三", "bankAccountNo": bank_account_no(bank),
        "signedOn": (today() - timedelta(days=30)).isoformat()})
    assert response.status_code == 201, response.text
    return {"account_no": account_no, "customer_no": customer_no, "bill_no": bill_no,
            "mandate": response.json(), "amount_minor": amount_minor}


def run(gw, tokens, bank: str) -> dict:
    response = gw.post(f"{API}/collectionRuns", headers=tokens["supervisor"],
                       json={"collectionDate": today().isoformat(), "banks": [bank]})
    assert response.status_code == 201, response.text
    return response.json()


def upload(gw, tokens, bank: str, content: bytes, **params):
    return gw.post(f"{API}/bankFiles", headers={**tokens[BANK_USERS[bank]], "Content-Type": "application/octet-stream"},
                   params=params, content=content)


def entries(db, account_no: str) -> list[tuple[str, int]]:
    with db.transaction() as cur:
        cur.execute("SELECT kind, amount_minor FROM ledger_entry WHERE account_no = %s ORDER BY id", (account_no,))
        return [(r["kind"], r["amount_minor"]) for r in cur.fetchall()]


def bill_state(db, bill_no: str) -> tuple[int, str]:
    with db.transaction() as cur:
        cur.execute("SELECT open_minor, state FROM bill WHERE bill_no = %s", (bill_no,))
        row = cur.fetchone()
        return row["open_minor"], row["state"]


def events(db, event_type: str, key: str, value: str) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT payload FROM outbox WHERE event_type = %s AND payload->'data'->>%s = %s ORDER BY id",
                    (event_type, key, value))
        return [r["payload"]["data"] for r in cur.fetchall()]


# --- each bank's round trip -------------------------------------------------------------------------------

ROUND_TRIPS = [("ICBC", "bankLayout", "bankLayout"), ("CCB", "bankLayout", "bankLayout"),
               ("BOC", "bankLayout", "bankLayout"), ("ICBC", "pain.008", "pain.002"), ("BOC", "pain.008", "camt.054")]


@pytest.mark.parametrize("bank,offer_format,answer_format", ROUND_TRIPS)
def test_round_trip(gw, tokens, db, bank, offer_format, answer_format):
    paid, short, closed = (mandated_bill(gw, tokens, db, bank, amount) for amount in (12800, 5600, 3300))
    result = run(gw, tokens, bank)
    batch = next(b for b in result["batches"] if b["bankCode"] == bank)
    mine = [debit_of(db, x["bill_no"]) for x in (paid, short, closed)]
    assert {d["batch_no"] for d in mine} == {batch["id"]} and all(d["state"] == "sent" for d in mine)
    assert batch["state"] == "offered" and batch["debitCount"] >= 3 and offer_format in batch["formats"]

    download = gw.get(f"{API}/debitBatches/{batch['id']}/file", params={"format": offer_format},
                      headers=tokens[BANK_USERS[bank]])
    assert download.status_code == 200, download.text
    layout = load_layout(bank)
    disposition = download.headers["content-disposition"]
    if offer_format == "pain.008":
        assert download.headers["content-type"].startswith("application/xml")
        assert disposition.endswith('.xml"')
        from lxml import etree
        schema("pain.008.001.08").assertValid(etree.fromstring(download.content))
        for d in mine:
            assert f"<EndToEndId>{d['debit_no']}</EndToEndId>".encode() in download.content
    else:
        assert f"charset={layout.encoding}" in download.headers["content-type"]
        assert disposition == f'attachment; filename="{layout.offer_file_name(batch["id"], date.fromisoformat(batch["collectionDate"]))}"'
        text = download.content.decode(layout.encoding)
        for d in mine:
            assert d["debit_no"] in text and d["bank_account_no"] in text
    assert gw.get(f"{API}/debitBatches/{batch['id']}", headers=tokens["supervisor"]).json()["state"] == "downloaded"

    codes = CODES["iso" if answer_format != "bankLayout" else bank]
    lines = [outcome(mine[0], True), outcome(mine[1], False, codes["insufficient_funds"], "余额不足"),
             outcome(mine[2], False, codes["account_closed"], "账户已销户")]
    content = bank_answer(bank, answer_format, offer_batch(mine[0]), lines)
    response = upload(gw, tokens, bank, content, fileName="result.txt")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["state"] == "applied" and report["format"].startswith(answer_format)
    assert (report["applied"], report["succeeded"], report["failed"], report["duplicates"], report["exceptions"]) == \
        (3, 1, 2, 0, 0)
    assert report["amount"] == {"amountMinor": 12800, "currency": "CNY"}
    assert response.headers["Location"] == f"{API}/bankFiles/{report['id']}"
    assert gw.get(response.headers["Location"], headers=tokens[BANK_USERS[bank]]).json() == report

    # The paid debit is a payment in the ledger, and its bill is settled.
    assert entries(db, paid["account_no"]) == [("charge", 12800), ("payment", -12800)]
    assert bill_state(db, paid["bill_no"]) == (0, "paid")
    assert debit_of(db, paid["bill_no"])["state"] == "succeeded"
    # Insufficient funds: retried in the next window, on a working day; the mandate stays active.
    failed_short = debit_of(db, short["bill_no"])
    assert failed_short["state"] == "retry_scheduled" and failed_short["reason"] == "insufficient_funds"
    assert failed_short["next_attempt_on"] > today()
    assert bill_state(db, short["bill_no"]) == (5600, "issued")
    # Account closed: no retry, and the mandate waits for the counter to renew it.
    failed_closed = debit_of(db, closed["bill_no"])
    assert failed_closed["state"] == "failed" and failed_closed["next_attempt_on"] is None
    mandate = gw.get(f"{API}/mandates/{closed['mandate']['id']}", headers=tokens["counter"]).json()
    assert mandate["state"] == "needs_renewal"
    assert gw.get(f"{API}/mandates/{short['mandate']['id']}", headers=tokens["counter"]).json()["state"] == "active"

    assert events(db, "debit_failed", "billNo", short["bill_no"]) == [{
        "debitId": failed_short["debit_no"], "billNo": short["bill_no"], "accountNo": short["account_no"],
        "customerNo": short["customer_no"], "reason": "insufficient_funds",
        "nextAttemptOn": failed_short["next_attempt_on"].isoformat()}]
    assert events(db, "debit_failed", "billNo", closed["bill_no"])[0]["nextAttemptOn"] is None
    reconciled = events(db, "debits_reconciled", "bankFileId", report["id"])
    assert reconciled == [{"bankFileId": report["id"], "batchNo": batch["id"], "bankCode": bank, "succeeded": 1,
                           "failed": 2, "amountMinor": 12800}]

    # The 360 view shows the mandate's state and the failed debit.
    view = gw.get(f"{API}/customers/{closed['customer_no']}/billing", headers=tokens["counter"])
    assert view.status_code == 200, view.text
    account = view.json()["accounts"][0]
    assert account["mandateState"] == "needs_renewal"
    assert [(f["billNo"], f["reason"], f["bankCode"]) for f in account["failedDebits"]] == \
        [(closed["bill_no"], "account_closed", bank)]

    # The report counts this batch's outcomes by reason.
    line = gw.get(f"{API}/collectionReports", params={"batch": batch["id"]}, headers=tokens["supervisor"]).json()
    reasons = {x["reason"]: x["count"] for x in line["batches"][0]["failedByReason"]}
    assert reasons["insufficient_funds"] >= 1 and reasons["account_closed"] >= 1
    assert line["target"] == 0.95


def test_the_retry_is_collected_when_due_and_a_renewed_mandate_again(gw, tokens, db):
    short, closed = mandated_bill(gw, tokens, db, "CCB", 700), mandated_bill(gw, tokens, db, "CCB", 900)
    run(gw, tokens, "CCB")
    first = [debit_of(db, x["bill_no"]) for x in (short, closed)]
    content = bank_answer("CCB", "bankLayout", offer_batch(first[0]), [
        outcome(first[0], False, CODES["CCB"]["insufficient_funds"]), outcome(first[1], False, CODES["CCB"]["account_closed"])])
    assert upload(gw, tokens, "CCB", content).status_code == 201
    # Not yet: the retry is not due and the mandate is flagged.
    run(gw, tokens, "CCB")
    assert debit_of(db, short["bill_no"])["id"] == first[0]["id"]
    assert debit_of(db, closed["bill_no"])["id"] == first[1]["id"]
    # The counter renews the mandate to a new account; the retry date comes.
    renewed = gw.post(f"{API}/mandates/{closed['mandate']['id']}/renew", headers=tokens["counter"], json={
        "bankCode": "CCB", "holderName": "张三", "bankAccountNo": bank_account_no("CCB"),
        "signedOn": today().isoformat(), "note": "新卡"})
    assert renewed.status_code == 200 and renewed.json()["state"] == "active", renewed.text
    with db.transaction() as cur:
        cur.execute("UPDATE debit SET next_attempt_on = %s WHERE id = %s", (today(), first[0]["id"]))
    run(gw, tokens, "CCB")
    again = [debit_of(db, x["bill_no"]) for x in (short, closed)]
    assert [d["attempt"] for d in again] == [2, 2] and all(d["state"] == "sent" for d in again)
    assert again[1]["bank_account_no"] == renewed.json()["bankAccountNo"]


def test_a_debit_that_clears_a_suspended_services_arrears_asks_it_back(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "ICBC", 2200)
    service_no = f"S{uuid.uuid4().int % 10**12:012d}"
    with db.transaction() as cur:
        cur.execute("""UPDATE bill b SET lines = (SELECT array_agg(ROW(%s, l.product_code, l.kind, l.description,
                                                              l.days, l.amount_minor)::bill_line)
                                         FROM unnest(b.lines) l)
                       WHERE b.bill_no = %s RETURNING b.id, b.due_on""", (service_no, x["bill_no"]))
        bill = cur.fetchone()
        # Dunning suspended the service for this bill.
        cur.execute("INSERT INTO dunning_case (service_no, account_no, opened_on) VALUES (%s, %s, %s) RETURNING id",
                    (service_no, x["account_no"], bill["due_on"]))
        cur.execute("""INSERT INTO dunning_step (case_id, step, taken_on, overdue_minor, oldest_due_on, bill_ids, taken_by)
                       VALUES (%s, 'suspend', %s, 2200, %s, %s, 'test')""",
                    (cur.fetchone()["id"], today(), bill["due_on"], [bill["id"]]))
    run(gw, tokens, "ICBC")
    debit = debit_of(db, x["bill_no"])
    assert upload(gw, tokens, "ICBC", bank_answer("ICBC", "bankLayout", offer_batch(debit), [outcome(debit, True)])
                  ).status_code == 201
    assert bill_state(db, x["bill_no"]) == (0, "paid")
    asked = events(db, "restoration_requested", "serviceNo", service_no)
    assert [(e["customerNo"], e["reason"]) for e in asked] == [(x["customer_no"], "arrears_cleared")]


def test_mandates_and_batches_with_debits_are_never_deleted(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "BOC", 1500)
    run(gw, tokens, "BOC")
    debit = debit_of(db, x["bill_no"])
    for table, key, value in (("mandate", "mandate_no", x["mandate"]["id"]), ("debit_batch", "batch_no", debit["batch_no"])):
        with pytest.raises(psycopg2.errors.RestrictViolation):
            with db.transaction() as cur:
                cur.execute(f"DELETE FROM {table} WHERE {key} = %s", (value,))


# --- what must not happen twice or at all --------------------------------------------------------------------

def test_the_same_file_twice_changes_nothing_and_says_so(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "ICBC")
    run(gw, tokens, "ICBC")
    d = debit_of(db, x["bill_no"])
    content = bank_answer("ICBC", "bankLayout", offer_batch(d), [outcome(d, True)])
    first = upload(gw, tokens, "ICBC", content)
    assert first.status_code == 201
    again = assert_problem(upload(gw, tokens, "ICBC", content), 409, "bank-file-duplicate")
    assert again["bankFile"] == first.json()
    assert entries(db, x["account_no"]) == [("charge", 12800), ("payment", -12800)]
    # The same pain.002 message again with other bytes (another time stamp) is the same file.
    y = mandated_bill(gw, tokens, db, "ICBC")
    run(gw, tokens, "ICBC")
    e = debit_of(db, y["bill_no"])
    one = bank_answer("ICBC", "pain.002", offer_batch(e), [outcome(e, True)], message_id=f"MSG{e['id']}")
    assert upload(gw, tokens, "ICBC", one).status_code == 201
    other = one.replace(b"<CreDtTm>", b"<CreDtTm>", 1).replace(b"+08:00</CreDtTm>", b"+08:00</CreDtTm> ", 1)
    assert other != one
    assert_problem(upload(gw, tokens, "ICBC", other), 409, "bank-file-duplicate")
    assert entries(db, y["account_no"]) == [("charge", 12800), ("payment", -12800)]


def test_a_line_answered_before_by_another_file_is_a_duplicate(gw, tokens, db):
    x, y = mandated_bill(gw, tokens, db, "BOC"), mandated_bill(gw, tokens, db, "BOC")
    run(gw, tokens, "BOC")
    dx, dy = debit_of(db, x["bill_no"]), debit_of(db, y["bill_no"])
    assert upload(gw, tokens, "BOC", bank_answer("BOC", "bankLayout", offer_batch(dx), [outcome(dx, True)])
                  ).status_code == 201
    both = upload(gw, tokens, "BOC", bank_answer("BOC", "bankLayout", offer_batch(dx),
                                                 [outcome(dx, True), outcome(dy, True)]))
    assert both.status_code == 201
    assert (both.json()["applied"], both.json()["duplicates"]) == (1, 1)
    assert entries(db, x["account_no"]) == [("charge", 12800), ("payment", -12800)]


def test_a_malformed_file_is_rejected_whole_naming_each_error(gw, tokens, db):
    x, y = mandated_bill(gw, tokens, db, "ICBC"), mandated_bill(gw, tokens, db, "ICBC")
    run(gw, tokens, "ICBC")
    dx, dy = debit_of(db, x["bill_no"]), debit_of(db, y["bill_no"])
    lines = bank_answer("ICBC", "bankLayout", offer_batch(dx), [outcome(dx, True), outcome(dy, True)]).split(b"\r\n")
    assert b"000000000012800" in lines[2]
    lines[2] = lines[2].replace(b"000000000012800", b"0000000000128x0")  # the second detail line's amount
    body = assert_problem(upload(gw, tokens, "ICBC", b"\r\n".join(lines)), 422, "bank-file-rejected")
    report = body["bankFile"]
    assert report["state"] == "rejected" and report["applied"] == 0
    assert any(e["where"] == "line 3" for e in report["errors"]), report["errors"]
    assert gw.get(f"{API}/bankFiles/{report['id']}", headers=tokens["bank"]).json()["errors"] == report["errors"]
    assert entries(db, x["account_no"]) == [("charge", 12800)]
    assert debit_of(db, x["bill_no"])["state"] == "sent"


def test_wrong_totals_are_rejected(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "CCB")
    run(gw, tokens, "CCB")
    d = debit_of(db, x["bill_no"])
    content = bank_answer("CCB", "bankLayout", offer_batch(d), [outcome(d, True)])
    body, trailer = content.rstrip(b"\r\n").rsplit(b"\r\n", 1)
    fields = trailer.split(b"|")
    fields[3] = b"99999"  # total amount
    body = assert_problem(upload(gw, tokens, "CCB", body + b"\r\n" + b"|".join(fields) + b"\r\n"), 422,
                          "bank-file-rejected")
    assert any("(trailer)" in e["where"] and "total_amount" in e["message"] for e in body["bankFile"]["errors"])
    assert entries(db, x["account_no"]) == [("charge", 12800)]


def test_an_unmatched_line_goes_to_the_exception_queue(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "ICBC")
    run(gw, tokens, "ICBC")
    d = debit_of(db, x["bill_no"])
    stranger, stranger_customer = new_account(db)
    content = bank_answer("ICBC", "bankLayout", offer_batch(d), [
        outcome(d, True), outcome(d, True, reference=f"NOPE{d['id']}"), ])
    response = upload(gw, tokens, "ICBC", content)
    assert response.status_code == 201, response.text
    assert (response.json()["applied"], response.json()["exceptions"]) == (1, 1)
    queue = gw.get(f"{API}/collectionExceptions", params={"limit": 100, "bank": "ICBC"}, headers=tokens["supervisor"])
    mine = [e for e in queue.json()["data"] if e["fileNo"] == response.json()["id"]]
    assert len(mine) == 1 and mine[0]["reference"] == f"NOPE{d['id']}" and "no debit" in mine[0]["problem"]
    resolved = gw.post(f"{API}/collectionExceptions/{mine[0]['id']}/resolve", headers=tokens["supervisor"],
                       json={"action": "apply-to-account", "accountNo": stranger, "note": "客户来电确认"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["state"] == "resolved" and resolved.json()["paymentNo"].startswith("P")
    assert entries(db, stranger) == [("payment", -12800)]
    again = gw.post(f"{API}/collectionExceptions/{mine[0]['id']}/resolve", headers=tokens["supervisor"],
                    json={"action": "ignore", "note": "x"})
    assert_problem(again, 409, "exception-resolved")


def test_a_bank_sees_and_touches_only_its_own(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "CCB")
    result = run(gw, tokens, "CCB")
    batch = next(b for b in result["batches"] if b["bankCode"] == "CCB")
    assert_problem(gw.get(f"{API}/debitBatches/{batch['id']}/file", headers=tokens["bank"]), 404,
                   "debit-batch-not-found")
    assert_problem(gw.get(f"{API}/debitBatches/{batch['id']}", headers=tokens["bank"]), 404, "debit-batch-not-found")
    listed = gw.get(f"{API}/debitBatches", params={"limit": 100}, headers=tokens["bank"]).json()["data"]
    assert listed and {b["bankCode"] for b in listed} == {"ICBC"} or not listed
    assert batch["id"] in [b["id"] for b in gw.get(f"{API}/debitBatches", params={"limit": 100},
                                                   headers=tokens["bank-ccb"]).json()["data"]]
    # ICBC uploading CCB's answer: read with ICBC's layout, it is not ICBC's file.
    d = debit_of(db, x["bill_no"])
    content = bank_answer("CCB", "bankLayout", offer_batch(d), [outcome(d, True)])
    assert upload(gw, tokens, "ICBC", content).status_code == 422
    # Even in a format that names the debit: CCB's debit is no debit of ICBC's.
    iso = upload(gw, tokens, "ICBC", bank_answer("ICBC", "camt.054", offer_batch(d), [outcome(d, True)]))
    assert iso.status_code == 422 and "not a batch of ICBC" in iso.json()["bankFile"]["errors"][0]["message"]
    assert entries(db, x["account_no"]) == [("charge", 12800)]
    ok = upload(gw, tokens, "CCB", content)
    assert ok.status_code == 201
    assert_problem(gw.get(f"{API}/bankFiles/{ok.json()['id']}", headers=tokens["bank"]), 404, "bank-file-not-found")
    # pain.008 only for a bank whose layout lists it.
    assert_problem(gw.get(f"{API}/debitBatches/{batch['id']}/file", params={"format": "pain.008"},
                          headers=tokens["bank-ccb"]), 422, "format-not-offered")


def test_bills_on_hold_are_never_collected(gw, tokens, db):
    held = mandated_bill(gw, tokens, db, "BOC", hold="complaint T123")
    run(gw, tokens, "BOC")
    assert debit_of(db, held["bill_no"]) is None


def test_a_concurrent_double_upload_applies_once(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "ICBC")
    run(gw, tokens, "ICBC")
    d = debit_of(db, x["bill_no"])
    content = bank_answer("ICBC", "bankLayout", offer_batch(d), [outcome(d, True)])
    statuses = []
    barrier = threading.Barrier(2)

    def send():
        barrier.wait()
        statuses.append(upload(gw, tokens, "ICBC", content).status_code)
    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]
    assert entries(db, x["account_no"]) == [("charge", 12800), ("payment", -12800)]


def test_agency_payments_post_once_and_an_unknown_account_is_an_exception(gw, tokens, db):
    account_no, customer_no = new_account(db)
    bill_no = due_bill(db, account_no, 4000, today())
    layout = load_layout("CCB")
    serial = f"AG{account_no}"
    rows = [outcome({"debit_no": serial, "bank_account_no": account_no, "amount_minor": 4000, "holder_name": "张三",
                     "account_no": account_no}, True),
            outcome({"debit_no": serial + "X", "bank_account_no": "A999999999999", "amount_minor": 100,
                     "holder_name": "李四", "account_no": ""}, True)]
    from services.billing.collection import OfferBatch
    content = bank_answer("CCB", "bankLayout", OfferBatch("AGENCY", today(), today(), "x"), rows)
    assert read_return(layout, content).total_count == 2
    response = upload(gw, tokens, "CCB", content, kind="agency")
    assert response.status_code == 201, response.text
    assert (response.json()["applied"], response.json()["exceptions"], response.json()["kind"]) == (1, 1, "agency")
    assert entries(db, account_no) == [("charge", 4000), ("payment", -4000)]
    assert bill_state(db, bill_no) == (0, "paid")
    assert events(db, "payment_received", "accountNo", account_no)[0]["method"] == "agency"
    assert_problem(upload(gw, tokens, "CCB", content, kind="agency"), 409, "bank-file-duplicate")


def test_mandates_are_validated_and_audited(gw, tokens, db):
    account_no, _ = new_account(db)
    bad = gw.post(f"{API}/mandates", headers=tokens["counter"], json={
        "accountNo": account_no, "bankCode": "ICBC", "holderName": "张三", "bankAccountNo": "6200000000000000001",
        "signedOn": "2024-01-01"})
    assert_problem(bad, 422, "invalid-bank-account")
    made = gw.post(f"{API}/mandates", headers=tokens["counter"], json={
        "accountNo": account_no, "bankCode": "icbc", "holderName": "张三", "bankAccountNo": bank_account_no("ICBC"),
        "signedOn": "2024-01-01", "state": "pending"})
    assert made.status_code == 201 and made.json()["state"] == "pending"
    no = made.json()["id"]
    assert_problem(gw.post(f"{API}/mandates", headers=tokens["counter"], json={
        "accountNo": account_no, "bankCode": "BOC", "holderName": "张三", "bankAccountNo": bank_account_no("BOC"),
        "signedOn": "2024-01-01"}), 409, "mandate-exists")
    assert_problem(gw.post(f"{API}/mandates/{no}/renew", headers=tokens["counter"]), 409, "illegal-transition")
    assert gw.post(f"{API}/mandates/{no}/activate", headers=tokens["counter"]).json()["state"] == "active"
    assert gw.post(f"{API}/mandates/{no}/revoke", headers=tokens["counter"], json={"note": "客户撤销"}
                   ).json()["state"] == "revoked"
    with db.transaction() as cur:
        cur.execute("SELECT action FROM audit_log WHERE entity = 'mandate' AND entity_key = %s ORDER BY id", (no,))
        assert [r["action"] for r in cur.fetchall()] == ["create", "activate", "revoke"]
    listed = gw.get(f"{API}/mandates", params={"accountNo": account_no}, headers=tokens["agent"])
    assert listed.json()["count"] == 1


def test_roles(gw, tokens):
    assert_problem(gw.post(f"{API}/collectionRuns", headers=tokens["technician"], json={}), 403, "forbidden")
    assert_problem(gw.get(f"{API}/mandates", headers=tokens["technician"]), 403, "forbidden")
    assert_problem(gw.post(f"{API}/bankFiles", headers=tokens["supervisor"], content=b"x"), 403, "forbidden")
    assert_problem(gw.get(f"{API}/collectionExceptions", headers=tokens["bank"]), 403, "forbidden")
    assert_problem(gw.post(f"{API}/collectionRuns", headers=tokens["bank"], json={}), 403, "forbidden")
    assert_problem(gw.get(f"{API}/collectionReports", headers=tokens["counter"]), 403, "forbidden")


def test_an_empty_file_or_an_absurd_amount_is_a_clear_refusal_not_a_server_error(gw, tokens, db):
    empty = upload(gw, tokens, "CCB", b"")
    assert 400 <= empty.status_code < 500, empty.text
    x = mandated_bill(gw, tokens, db, "CCB")
    run(gw, tokens, "CCB")
    dx = debit_of(db, x["bill_no"])
    answer = bank_answer("CCB", "bankLayout", offer_batch(dx), [outcome(dx, True)])
    absurd = answer.replace(b"|12800|", b"|99999999999999999999|")  # CCB's amounts are in fen
    assert absurd != answer
    body = assert_problem(upload(gw, tokens, "CCB", absurd), 422, "bank-file-rejected")
    assert any("over" in e["message"] for e in body["bankFile"]["errors"]), body["bankFile"]["errors"]
    assert entries(db, x["account_no"]) == [("charge", 12800)]


def test_a_supervisor_withdraws_a_batch_its_bank_never_answered_and_the_bill_is_collected_again(gw, tokens, db):
    x = mandated_bill(gw, tokens, db, "BOC")
    [batch] = [b for b in run(gw, tokens, "BOC")["batches"] if b["bankCode"] == "BOC"]
    first = debit_of(db, x["bill_no"])
    assert gw.get(f"{API}/debitBatches/{batch['id']}/file", headers=tokens[BANK_USERS["BOC"]]).status_code == 200
    url = f"{API}/debitBatches/{batch['id']}/cancel"
    assert_problem(gw.post(url, headers=tokens[BANK_USERS["BOC"]], json={"note": "x"}), 403, "forbidden")
    assert gw.post(url, headers=tokens["supervisor"], json={"note": ""}).status_code == 422
    cancelled = gw.post(url, headers=tokens["supervisor"], json={"note": "中国银行未回盘"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert debit_of(db, x["bill_no"])["state"] == "cancelled"
    assert_problem(gw.post(url, headers=tokens["supervisor"], json={"note": "again"}), 409, "illegal-transition")

    run(gw, tokens, "BOC")  # the bill is collected again, in a new batch
    again = debit_of(db, x["bill_no"])
    assert again["id"] != first["id"] and again["state"] == "sent" and again["batch_no"] != batch["id"]
