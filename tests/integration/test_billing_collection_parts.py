"""A bank's result file applied in parts, each on a connection of its own (collection/reconcile.py), as a file
of a million lines is: the same outcome as in one transaction, and an attempt that ended between parts is
finished by the same file uploaded again, applying nothing twice. The service's handlers are driven directly
with a part per line, so that a file of a few lines is split as a big one is; the accounts, mandates and the
collection run are made through the gateway as in test_billing_collection.py."""
from __future__ import annotations

import hashlib

import pytest
from psycopg2.extras import RealDictCursor

from services.billing.collection import reconcile
from services.billing.collection.handlers import CollectionHandlers, _parse
from services.billing.collection.rules import bank as bank_layout
from services.billing.handlers import Actor
from services.common.workcalendar_store import load as load_calendar
from tests.integration.billing_env import billing, db, gw  # noqa: F401 -- fixtures
from tests.integration.collection_env import CODES, bank_answer, debit_of, offer_batch, outcome
from tests.integration.test_billing_collection import bill_state, entries, events, mandated_bill, run, tokens  # noqa: F401
from tests.integration.test_gateway import gateway_db  # noqa: F401

pytestmark = pytest.mark.integration
BANK = "CCB"
ROBOT = Actor("bank-ccb", "bank")


@pytest.fixture(scope="module")
def handlers(settings, db):
    return CollectionHandlers(db, settings.model_copy(update={"bank_file_parts": 2, "bank_file_lines_per_part": 1}))


def a_file(gw, tokens, db, outcomes: list[bool], strangers: int = 0) -> tuple[list[dict], list[dict], bytes]:
    """Bills with mandates at the bank, collected, and the bank's answer: paid or insufficient funds each, and
    `strangers` paid lines with a reference no debit has."""
    bills = [mandated_bill(gw, tokens, db, BANK, 1000 + 100 * n) for n in range(len(outcomes))]
    run(gw, tokens, BANK)
    debits = [debit_of(db, x["bill_no"]) for x in bills]
    lines = [outcome(d, True) if ok else outcome(d, False, CODES[BANK]["insufficient_funds"], "余额不足")
             for d, ok in zip(debits, outcomes)]
    lines += [outcome(debits[0], True, reference=f"DD{n}") for n in range(strangers)]
    return bills, debits, bank_answer(BANK, "bankLayout", offer_batch(debits[0]), lines)


def parts_of(db, report: dict) -> list[int]:
    with db.transaction() as cur:
        cur.execute("""SELECT p.part FROM bank_file_part p JOIN bank_file f ON f.id = p.bank_file_id
                       WHERE f.file_no = %s ORDER BY p.part""", (report["file_no"],))
        parts = [r["part"] for r in cur.fetchall()]
        cur.execute("SELECT to_regclass(%s) AS lines", (f"bank_file_lines_{report['id']}",))
        assert cur.fetchone()["lines"] is None, "an applied file's lines table is dropped"
    return parts


def test_a_file_in_parts_is_applied_as_in_one_transaction(gw, tokens, db, handlers):
    bills, debits, content = a_file(gw, tokens, db, [True, False, True, True], strangers=1)
    report, duplicate = handlers.import_file(bank_code=BANK, kind="result", file_name="", chunks=[content], actor=ROBOT)
    assert not duplicate and report["state"] == "applied", report
    assert (report["lines"], report["applied"], report["succeeded"], report["failed"], report["duplicates"],
            report["exceptions"]) == (5, 4, 3, 1, 0, 1)
    assert report["amount_minor"] == sum(x["amount_minor"] for x, ok in zip(bills, [True, False, True, True]) if ok)
    assert parts_of(db, report) == [0, 1]
    for x, ok in zip(bills, [True, False, True, True]):
        paid = [("charge", x["amount_minor"])] + ([("payment", -x["amount_minor"])] if ok else [])
        assert entries(db, x["account_no"]) == paid
        assert bill_state(db, x["bill_no"]) == ((0, "paid") if ok else (x["amount_minor"], "issued"))
    assert debit_of(db, bills[1]["bill_no"])["state"] == "retry_scheduled"
    assert len(events(db, "debit_failed", "billNo", bills[1]["bill_no"])) == 1
    assert events(db, "debits_reconciled", "bankFileId", report["file_no"]) == [{
        "bankFileId": report["file_no"], "batchNo": debits[0]["batch_no"], "bankCode": BANK, "succeeded": 3,
        "failed": 1, "amountMinor": report["amount_minor"]}]

    again, duplicate = handlers.import_file(bank_code=BANK, kind="result", file_name="", chunks=[content], actor=ROBOT)
    assert duplicate and again == report


def test_an_attempt_that_ended_between_parts_is_finished_by_the_same_file_again(gw, tokens, db, handlers):
    bills, debits, content = a_file(gw, tokens, db, [True, True, False])
    up = reconcile.Upload(BANK, "result", "", hashlib.sha256(content).hexdigest(), ROBOT.username)
    result = _parse(bank_layout(BANK), "result", content)
    # An attempt that claimed the file, staged it and applied its first part, then ended (its lock went with it).
    with db.connection() as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        file_id, ours = reconcile.claim(cur, up, "bankLayout", None, result.batch_no, len(result.lines))
        assert ours
        reconcile.stage_result(cur, file_id, up, result, 2)
        conn.commit()
        reconcile.apply_part(cur, file_id, 0, up, handlers.today(), load_calendar(cur), handlers.policy)
        conn.commit()
        reconcile.unlock(cur, file_id)
        conn.commit()
    with db.transaction() as cur:
        assert reconcile.bank_file_by_id(cur, file_id)["state"] == "applying"
    answered = [x for x in bills if debit_of(db, x["bill_no"])["state"] != "sent"]
    assert 0 < len(answered) < len(bills), "the first part applied some of the lines, not all"

    # Uploaded while another session applies it, the file is a duplicate, and nothing more is applied.
    with db.connection() as other, other.cursor() as cur:
        reconcile.lock(cur, file_id)
        busy, duplicate = handlers.import_file(bank_code=BANK, kind="result", file_name="", chunks=[content],
                                               actor=ROBOT)
        assert duplicate and busy["state"] == "applying"
        reconcile.unlock(cur, file_id)
        other.commit()

    finished, duplicate = handlers.import_file(bank_code=BANK, kind="result", file_name="", chunks=[content],
                                               actor=ROBOT)
    assert not duplicate and finished["id"] == file_id and finished["state"] == "applied"
    assert (finished["applied"], finished["succeeded"], finished["failed"], finished["duplicates"]) == (3, 2, 1, 0)
    assert parts_of(db, finished) == [0, 1]
    for x, ok in zip(bills, [True, True, False]):
        assert entries(db, x["account_no"]) == [("charge", x["amount_minor"])] + (
            [("payment", -x["amount_minor"])] if ok else [])
    assert len(events(db, "debit_failed", "billNo", bills[2]["bill_no"])) == 1
    assert [e["succeeded"] for e in events(db, "debits_reconciled", "bankFileId", finished["file_no"])] == [2]

