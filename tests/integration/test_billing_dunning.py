"""Dunning against the real database and broker: the ladder per service across working days (the seeded
2026 calendar: Spring Festival and its make-up Saturday), holds, exemptions, restoration after a payment,
write-off decisions, and the suspension request arriving on the customer service's queue.

The ladder run looks at every overdue service in the shared database; each test asserts only on the
services it made."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pika
import pytest

from services.billing import store as ledger
from services.billing.dunning import handlers as dunning
from services.billing.dunning.handlers import DunningHandlers
from services.billing.handlers import Actor
from services.billing.payments.handlers import PaymentHandlers
from services.common.errors import IllegalTransition, InvalidArgument, NotFound
from services.common.migrate import migrate_service
from services.common.relay import OutboxRelay
from tests.integration.billing_env import billing_database, insert_bill, share_opens

pytestmark = pytest.mark.integration
D = date
DUE = D(2026, 1, 24)  # a Saturday; the default ladder: reminder 7 days, notice 20, grace 3 working days


@pytest.fixture(scope="module")
def db(settings):
    with billing_database(settings, maxconn=2) as database:
        yield database


@pytest.fixture(scope="module")
def h(db, settings):
    return DunningHandlers(db, settings)


def new_account(db, tier: str = "regular", tags: tuple = ()) -> tuple[str, str]:
    account_no, customer_no = f"A{uuid.uuid4().int % 10**12}", f"C{uuid.uuid4().int % 10**12}"
    with db.transaction() as cur:
        cur.execute("INSERT INTO account (account_no, customer_no, name, tier, tags) VALUES (%s, %s, %s, %s, %s)",
                    (account_no, customer_no, "张三", tier, list(tags)))
    return account_no, customer_no


def new_service(db, account_no: str, customer_no: str, kind: str = "analog_tv", product: str = "NONE") -> str:
    """An unmapped product of an analog line: the default ladder applies."""
    service_no = f"S{uuid.uuid4().int % 10**12}"
    with db.transaction() as cur:
        cur.execute("""INSERT INTO subscription (service_no, account_no, customer_no, kind, origin, product_code,
                                                 state) VALUES (%s, %s, %s, %s, 'cms', %s, 'active')""",
                    (service_no, account_no, customer_no, kind, product))
    return service_no


def new_bill(db, account_no: str, due_on: date, shares: dict[str, tuple[int, int]]) -> str:
    """A bill with each service's (amount, open) share and its charge in the ledger."""
    amount = sum(a for a, _ in shares.values())
    with db.transaction() as cur:
        bill = insert_bill(cur, account_no, due_on - timedelta(days=40), due_on,
                           {s: a for s, (a, _) in shares.items()}, open_minor=sum(o for _, o in shares.values()))
        # What is paid of a bill covers its services in the order of their numbers: a test asks for opens
        # that order gives.
        assert share_opens(cur, bill["id"]) == {s: o for s, (_, o) in shares.items()}
        ledger.post(cur, account_no, "charge", amount, "test", bill_id=bill["id"])
    return bill["bill_no"]


def pay(db, account_no: str, amount: int) -> None:
    with db.transaction() as cur:
        ledger.post(cur, account_no, "payment", -amount, "test")
        ledger.settle(cur, [account_no])


def steps(db, service_no: str) -> list[tuple[str, date]]:
    with db.transaction() as cur:
        cur.execute("""SELECT t.step, t.taken_on FROM dunning_step t JOIN dunning_case c ON c.id = t.case_id
                       WHERE c.service_no = %s ORDER BY t.taken_on, t.created_at""", (service_no,))
        return [(r["step"], r["taken_on"]) for r in cur.fetchall()]


def events(db, service_no: str) -> list[tuple[str, dict]]:
    with db.transaction() as cur:
        cur.execute("SELECT event_type, payload->'data' AS data FROM outbox "
                    "WHERE payload->'data'->>'serviceNo' = %s ORDER BY id", (service_no,))
        return [(r["event_type"], r["data"]) for r in cur.fetchall()]


def overdue_service(db, **account) -> tuple[str, str, str, str]:
    account_no, customer_no = new_account(db, **account)
    service_no = new_service(db, account_no, customer_no)
    bill_no = new_bill(db, account_no, DUE, {service_no: (2200, 2200)})
    return account_no, customer_no, service_no, bill_no


def walk_to_suspension(h):
    for day in (D(2026, 2, 2), D(2026, 2, 13), D(2026, 2, 25)):
        h.run(day, "test")


def test_an_overdue_service_is_reminded_noticed_and_suspended_on_working_days(db, h):
    account_no, customer_no, service_no, bill_no = overdue_service(db)
    h.run(D(2026, 1, 30), "test")
    assert steps(db, service_no) == []
    counts = h.run(D(2026, 2, 2), "test")
    assert counts["asOf"] == "2026-02-02" and counts["reminder"] >= 1
    h.run(D(2026, 2, 2), "test")  # the same day again takes nothing twice
    assert steps(db, service_no) == [("reminder", D(2026, 2, 2))]
    h.run(D(2026, 2, 12), "test")
    h.run(D(2026, 2, 13), "test")
    assert steps(db, service_no)[-1] == ("notice", D(2026, 2, 13))
    # Three working days of grace: Saturday the 14th (调休), then Spring Festival to the 23rd, 24th, 25th.
    for day in (D(2026, 2, 14), D(2026, 2, 23), D(2026, 2, 24)):
        h.run(day, "test")
    assert [s for s, _ in steps(db, service_no)] == ["reminder", "notice"]
    h.run(D(2026, 2, 25), "test")
    h.run(D(2026, 2, 25), "test")
    assert steps(db, service_no)[-1] == ("suspend", D(2026, 2, 25))

    sent = events(db, service_no)
    assert [t for t, _ in sent] == ["account_overdue", "account_overdue", "suspension_requested"]
    reminder, notice = sent[0][1], sent[1][1]
    assert reminder == {"accountNo": account_no, "customerNo": customer_no, "serviceNo": service_no,
                        "step": "reminder", "overdueMinor": 2200, "oldestDueOn": "2026-01-24",
                        "requestId": reminder["requestId"]}
    assert notice["step"] == "notice"
    suspension = sent[2][1]
    assert suspension == {"customerNo": customer_no, "serviceNo": service_no, "reason": "arrears",
                          "requestId": suspension["requestId"]}

    rows, total = h.steps(account_no, 0, 20)
    assert total == 3 and rows[0]["step"] == "suspend" and rows[0]["bill_nos"] == [bill_no]


def test_only_the_overdue_service_of_an_account_is_dunned(db, h):
    account_no, customer_no = new_account(db)
    # What is paid of a bill covers its services in number order: the first is the one paid ahead.
    prepaid, owing = sorted((new_service(db, account_no, customer_no), new_service(db, account_no, customer_no)),
                            key=lambda no: no.encode())
    new_bill(db, account_no, DUE, {owing: (2200, 2200), prepaid: (5000, 0)})
    walk_to_suspension(h)
    assert [s for s, _ in steps(db, owing)] == ["reminder", "notice", "suspend"]
    assert steps(db, prepaid) == [] and events(db, prepaid) == []


def test_a_held_bill_is_not_dunned_and_its_hold_follows_the_state_machine(db, h):
    account_no, _, service_no, bill_no = overdue_service(db)
    held = h.hold(bill_no, "complaint T1: disputes the January charge", "agent-1")
    assert held["hold_reason"].startswith("complaint T1")
    with pytest.raises(IllegalTransition):
        h.hold(bill_no, "again", "agent-1")
    with pytest.raises(InvalidArgument):
        h.hold(bill_no, "  ", "agent-1")
    h.run(D(2026, 2, 2), "test")
    assert steps(db, service_no) == []

    released = h.release(bill_no, "supervisor-1")
    assert released["hold_reason"] is None
    with pytest.raises(IllegalTransition):
        h.release(bill_no, "supervisor-1")
    h.run(D(2026, 2, 3), "test")
    assert steps(db, service_no) == [("reminder", D(2026, 2, 3))]
    with db.transaction() as cur:
        cur.execute("SELECT action, actor FROM audit_log WHERE entity = 'bill' AND entity_key = %s ORDER BY id",
                    (bill_no,))
        assert [(r["action"], r["actor"]) for r in cur.fetchall()] == [("hold", "agent-1"), ("release", "supervisor-1")]


def test_a_paid_bill_cannot_be_held_and_an_unknown_bill_is_not_found(db, h):
    account_no, _, _, bill_no = overdue_service(db)
    pay(db, account_no, 2200)
    with pytest.raises(IllegalTransition):
        h.hold(bill_no, "dispute", "agent-1")
    with pytest.raises(NotFound):
        h.hold("B1", "dispute", "agent-1")


@pytest.mark.parametrize("account", [{"tier": "VIP"}, {"tags": ("public_institution",)}])
def test_an_exempt_account_gets_reminders_but_is_never_suspended(db, h, account):
    _, _, service_no, _ = overdue_service(db, **account)
    walk_to_suspension(h)
    h.run(D(2026, 9, 1), "test")
    assert steps(db, service_no) == [("reminder", D(2026, 2, 2))]
    assert [t for t, _ in events(db, service_no)] == ["account_overdue"]


def test_tags_set_by_a_supervisor_exempt_and_are_audited(db, h):
    account_no, _, service_no, _ = overdue_service(db)
    assert h.set_tags(account_no, ["public_institution", "school", "school"], "supervisor-1") == [
        "public_institution", "school"]
    with pytest.raises(InvalidArgument):
        h.set_tags(account_no, ["Not A Tag"], "supervisor-1")
    with pytest.raises(NotFound):
        h.set_tags("A0", [], "supervisor-1")
    walk_to_suspension(h)
    assert [s for s, _ in steps(db, service_no)] == ["reminder"]
    with db.transaction() as cur:
        cur.execute("SELECT changes FROM audit_log WHERE entity = 'account' AND entity_key = %s", (account_no,))
        assert cur.fetchone()["changes"] == {"tags": ["public_institution", "school"], "before": []}


def test_a_payment_that_clears_the_arrears_asks_the_service_back_once(db, h):
    account_no, customer_no, service_no, _ = overdue_service(db)
    walk_to_suspension(h)
    assert steps(db, service_no)[-1][0] == "suspend"
    pay(db, account_no, 1000)  # part of it: still in arrears
    with db.transaction() as cur:
        assert dunning.request_restorations(cur, [account_no], "test", D(2026, 2, 26)) == 0
    pay(db, account_no, 1200)
    with db.transaction() as cur:
        assert dunning.request_restorations(cur, [account_no], "test", D(2026, 2, 26)) == 1
    with db.transaction() as cur:
        assert dunning.request_restorations(cur, [account_no], "test", D(2026, 2, 26)) == 0
        assert dunning.request_restorations(cur, [], "test") == 0
    h.run(D(2026, 2, 27), "test")
    restorations = [d for t, d in events(db, service_no) if t == "restoration_requested"]
    assert restorations == [{"customerNo": customer_no, "serviceNo": service_no, "reason": "arrears_cleared",
                             "requestId": restorations[0]["requestId"]}]

    # New arrears start the ladder afresh.
    new_bill(db, account_no, D(2026, 3, 24), {service_no: (2200, 2200)})
    h.run(D(2026, 4, 1), "test")
    assert steps(db, service_no)[-1] == ("reminder", D(2026, 4, 1))


def test_the_catch_all_run_restores_too(db, h):
    account_no, _, service_no, _ = overdue_service(db)
    walk_to_suspension(h)
    pay(db, account_no, 2200)
    counts = h.run(D(2026, 2, 26), "test")
    assert counts["restorations"] >= 1
    assert [t for t, _ in events(db, service_no)].count("restoration_requested") == 1


def to_write_off(db, h) -> tuple[str, str]:
    account_no, _, service_no, _ = overdue_service(db)
    walk_to_suspension(h)
    h.run(D(2026, 8, 24), "test")  # 180 days after the suspension is Saturday the 22nd
    assert steps(db, service_no)[-1] == ("write_off", D(2026, 8, 24))
    rows, _ = h.write_offs("proposed", 0, 100)
    proposal = next(w for w in rows if w["account_no"] == account_no)
    assert proposal["service_nos"] == [service_no] and proposal["proposed_minor"] == 2200
    return account_no, proposal["write_off_no"]


def test_an_approved_write_off_clears_the_arrears_in_the_ledger(db, h):
    account_no, write_off_no = to_write_off(db, h)
    done = h.decide_write_off(write_off_no, "approve", "uncollectable", "supervisor-1")
    assert done["state"] == "approved" and done["written_off_minor"] == 2200 and done["decided_by"] == "supervisor-1"
    with db.transaction() as cur:
        assert ledger.balance(cur, account_no) == 0
        cur.execute("SELECT state, open_minor FROM bill WHERE account_no = %s", (account_no,))
        assert cur.fetchall() == [{"state": "written_off", "open_minor": 0}]
        cur.execute("SELECT kind, amount_minor FROM ledger_entry WHERE account_no = %s ORDER BY id", (account_no,))
        assert [tuple(r.values()) for r in cur.fetchall()] == [("charge", 2200), ("write_off", -2200)]
    with pytest.raises(IllegalTransition):
        h.decide_write_off(write_off_no, "reject", "", "supervisor-1")
    with pytest.raises(NotFound):
        h.decide_write_off("WO0", "approve", "", "supervisor-1")


def test_a_rejected_write_off_keeps_the_arrears(db, h):
    account_no, write_off_no = to_write_off(db, h)
    assert h.decide_write_off(write_off_no, "reject", "", "supervisor-1")["state"] == "rejected"
    with pytest.raises(IllegalTransition):
        h.decide_write_off(write_off_no, "approve", "", "supervisor-1")
    with db.transaction() as cur:
        assert ledger.balance(cur, account_no) == 2200
    with pytest.raises(InvalidArgument):
        h.write_offs("maybe", 0, 10)


def test_a_proposal_paid_before_a_decision_is_withdrawn(db, h):
    account_no, write_off_no = to_write_off(db, h)
    pay(db, account_no, 2200)
    h.run(D(2026, 8, 25), "test")
    rows, _ = h.write_offs("withdrawn", 0, 100)
    assert write_off_no in [w["write_off_no"] for w in rows]


def test_ladders_are_configured_whole_checked_and_audited(db, h):
    before = h.ladders()
    assert before[0]["applies_to"] == "default"
    original = [{k: v for k, v in r.items() if k not in ("updated_by", "updated_at")} for r in before]
    try:
        quick = [dict(original[0], reminder_after_days=1, notice_after_days=2, suspension_grace_working_days=0)]
        after = h.replace_ladders(quick, "admin-1")
        assert [r["applies_to"] for r in after] == ["default"] and after[0]["updated_by"] == "admin-1"
        for bad in ([], [dict(original[0], applies_to="gold")], [dict(original[0], notice_after_days=0)],
                    [dict(original[0], reminder_after_days=-1)], [dict(original[0], exempt_tiers=["gold"])],
                    [original[0], original[0]], [dict(original[0], exempt_steps=["nap"])]):
            with pytest.raises(InvalidArgument):
                h.replace_ladders(bad, "admin-1")
        assert h.ladders()[0]["reminder_after_days"] == 1  # a refused change changes nothing
    finally:
        h.replace_ladders(original, "admin-1")
    assert [r["applies_to"] for r in h.ladders()] == [r["applies_to"] for r in before]
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM audit_log WHERE entity = 'dunning_ladder' AND actor = 'admin-1'")
        assert cur.fetchone()["n"] >= 2


def test_a_product_category_has_its_own_ladder(db, h):
    account_no, customer_no = new_account(db)
    broadband = new_service(db, account_no, customer_no, kind="broadband", product="BB50")
    new_bill(db, account_no, DUE, {broadband: (5000, 5000)})
    h.run(D(2026, 1, 29), "test")  # the broadband ladder reminds after 5 days
    assert steps(db, broadband) == [("reminder", D(2026, 1, 29))]


def test_the_suspension_request_lands_on_the_customer_services_queue(db, h, settings):
    from services.customer.service import SPEC as CUSTOMER
    from services.customer.subscriptions import BILLING as CUSTOMER_BILLING
    migrate_service(settings, CUSTOMER)  # declares customer.billing, bound to billing's events
    conn = pika.BlockingConnection(pika.URLParameters(settings.amqp_uri))
    try:
        channel = conn.channel()
        with OutboxRelay("billing", settings) as relay:
            while relay.publish_pending():  # what earlier tests left, then out of the way
                pass
            channel.queue_purge(CUSTOMER_BILLING.queue_name)
            _, customer_no, service_no, _ = overdue_service(db)
            walk_to_suspension(h)
            while relay.publish_pending():
                pass
        found = []
        while (got := channel.basic_get(CUSTOMER_BILLING.queue_name, auto_ack=True))[0] is not None:
            event = json.loads(got[2])
            if event["data"].get("serviceNo") == service_no:
                found.append(event)
    finally:
        conn.close()
    assert [e["type"] for e in found] == ["suspension_requested"]  # the reminder and notice are not for it
    assert found[0]["source"] == "billing" and found[0]["data"]["customerNo"] == customer_no


def test_the_workers_timer_runs_the_ladder_as_of_today(db, settings):
    from services.billing.dunning.handlers import today_in
    from services.billing.worker import BillingWorker
    today = today_in(settings)
    account_no, customer_no = new_account(db)
    service_no = new_service(db, account_no, customer_no)
    new_bill(db, account_no, today - timedelta(days=60), {service_no: (2200, 2200)})
    worker = BillingWorker.__new__(BillingWorker)  # what nameko builds, with its database injected
    worker.db = db
    worker.run_dunning()
    worker.run_dunning()
    assert steps(db, service_no) == [("reminder", today)]


def test_a_counter_payment_that_clears_the_arrears_asks_the_suspended_service_back(db, h, settings):
    account_no, customer_no, service_no, _ = overdue_service(db)
    walk_to_suspension(h)
    payments = PaymentHandlers(db, settings)
    clerk = Actor("clerk-t", "counter")
    payments.record_payment(account_no=account_no, amount_minor=1000, currency="CNY", method="cash", counter="C01",
                            reference="", request_id=f"t-{uuid.uuid4()}", actor=clerk)
    assert [t for t, _ in events(db, service_no)].count("restoration_requested") == 0  # still in arrears
    payments.record_payment(account_no=account_no, amount_minor=1200, currency="CNY", method="cash", counter="C01",
                            reference="", request_id=f"t-{uuid.uuid4()}", actor=clerk)
    assert [d["reason"] for t, d in events(db, service_no) if t == "restoration_requested"] == ["arrears_cleared"]
