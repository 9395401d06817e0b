"""Billing's core against the real database and its real gRPC server: the ledger is append-only, its
sum is the balance, settlement pays bills' service shares oldest due first, and the 360 view's billing
section, the bills and the ledger read back what was posted."""
from __future__ import annotations

import threading
from datetime import date

import grpc
import psycopg2
import pytest
from bss.billing.v1 import billing_pb2 as pb
from bss.billing.v1 import billing_pb2_grpc as pb_grpc

from services.billing import store
from services.billing.service import SPEC
from services.common.inputrules import BATCH_MAX
from tests.harness import service_server
from tests.integration.billing_env import add_account, billing_database, insert_bill, share_opens

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(settings):
    with billing_database(settings) as database:
        yield database


@pytest.fixture(scope="module")
def stub(settings, db):
    with service_server(SPEC, settings) as port, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield pb_grpc.BillingServiceStub(channel)


def issue(db, account_no: str, period_start: date, due_on: date, shares: dict[str, int]) -> str:
    """A bill with one line and one share per service, and its ledger charge, as a billing run writes them."""
    total = sum(shares.values())
    with db.transaction() as cur:
        bill = insert_bill(cur, account_no, period_start, due_on, shares)
        store.post(cur, account_no, "charge", total, "test-run", bill_id=bill["id"])
        store.settle(cur, [account_no])
    return bill["bill_no"]


def pay(db, account_no: str, amount_minor: int) -> None:
    with db.transaction() as cur:
        store.post(cur, account_no, "payment", -amount_minor, "clerk-t")
        store.settle(cur, [account_no])


def shares(db, bill_no: str) -> dict[str, int]:
    with db.transaction() as cur:
        cur.execute("SELECT id FROM bill WHERE bill_no = %s", (bill_no,))
        return share_opens(cur, cur.fetchone()["id"])


def test_payments_settle_the_oldest_shares_first(db):
    account_no, (tv, bb) = add_account(db, services=(("cms", "01", "analog_tv"), ("sms", "BB50", "broadband")))
    october = issue(db, account_no, date(2026, 10, 1), date(2026, 11, 15), {tv: 2200, bb: 5000})
    november = issue(db, account_no, date(2026, 11, 1), date(2026, 12, 15), {tv: 2200, bb: 5000})
    pay(db, account_no, 2200 + 5000 + 2200)
    assert shares(db, october) == {tv: 0, bb: 0}
    assert shares(db, november) == {tv: 0, bb: 5000}  # the older bill first, then in service order
    with db.transaction() as cur:
        assert store.balance(cur, account_no) == 5000
        cur.execute("SELECT bill_no, state, open_minor FROM bill WHERE account_no = %s ORDER BY period_start",
                    (account_no,))
        assert [(r["state"], r["open_minor"]) for r in cur.fetchall()] == [("paid", 0), ("partially_paid", 5000)]


def test_an_overpayment_is_credit_that_the_next_bill_consumes(db):
    account_no, (tv,) = add_account(db)
    pay(db, account_no, 10000)
    bill_no = issue(db, account_no, date(2026, 11, 1), date(2026, 12, 15), {tv: 2200})
    assert shares(db, bill_no) == {tv: 0}
    with db.transaction() as cur:
        assert store.balance(cur, account_no) == -7800


def test_a_refund_reopens_what_it_paid(db):
    account_no, (tv,) = add_account(db)
    bill_no = issue(db, account_no, date(2026, 11, 1), date(2026, 12, 15), {tv: 2200})
    pay(db, account_no, 2200)
    assert shares(db, bill_no) == {tv: 0}
    with db.transaction() as cur:
        store.post(cur, account_no, "refund", 1000, "supervisor-t", note="double charge")
        store.settle(cur, [account_no])
    assert shares(db, bill_no) == {tv: 1000}


def test_bill_open_lists_exactly_the_bills_with_something_open(db):
    # Kept by triggers on bill (migration 0044) for whoever writes bills: collection and dunning read it.
    def listed(account_no):
        with db.transaction() as cur:
            cur.execute("""SELECT b.bill_no, o.due_on = b.due_on AS same_day FROM bill_open o
                           JOIN bill b ON b.id = o.bill_id WHERE b.account_no = %s ORDER BY b.bill_no""",
                        (account_no,))
            return [(r["bill_no"], r["same_day"]) for r in cur.fetchall()]

    account_no, (tv,) = add_account(db)
    october = issue(db, account_no, date(2026, 10, 1), date(2026, 11, 15), {tv: 2200})
    november = issue(db, account_no, date(2026, 11, 1), date(2026, 12, 15), {tv: 2200})
    assert listed(account_no) == [(october, True), (november, True)]
    pay(db, account_no, 2200)
    assert listed(account_no) == [(november, True)]
    with db.transaction() as cur:
        cur.execute("UPDATE bill SET due_on = due_on + 3 WHERE bill_no = %s", (november,))
        cur.execute("UPDATE bill SET hold_reason = 'disputed' WHERE bill_no = %s", (november,))
    assert listed(account_no) == [(november, True)]
    pay(db, account_no, 2200)
    assert listed(account_no) == []
    with db.transaction() as cur:
        store.post(cur, account_no, "refund", 1000, "supervisor-t", note="double charge")
        store.settle(cur, [account_no])
    assert listed(account_no) == [(november, True)]


def test_the_ledger_refuses_updates_and_deletes(db):
    account_no, _ = add_account(db)
    pay(db, account_no, 100)
    for statement in ("UPDATE ledger_entry SET amount_minor = 0 WHERE account_no = %s",
                      "DELETE FROM ledger_entry WHERE account_no = %s"):
        with pytest.raises(psycopg2.Error, match="append-only"):
            with db.transaction() as cur:
                cur.execute(statement, (account_no,))
    with db.transaction() as cur:
        assert store.balance(cur, account_no) == -100


def test_a_dangling_account_or_payment_refuses_the_whole_statement(db):
    # Checked once per statement instead of by foreign keys (migrations 0042, 0051): one bad row of many
    # refuses all.
    account_no, _ = add_account(db)
    other_account_no, _ = add_account(db)
    pay(db, account_no, 100)
    with db.transaction() as cur:
        cur.execute("INSERT INTO payment (account_no, amount_minor, method, received_by) VALUES (%s, 1, 'card', 't')"
                    " RETURNING id", (account_no,))
        payment_id = cur.fetchone()["id"]
        cur.execute("""INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor, open_minor)
                       VALUES (%s, '2091-01-01', '2091-02-01', '2091-01-01', '2091-01-15', 1, 1) RETURNING id""",
                    (account_no,))
        bill_id = cur.fetchone()["id"]
    for statement, args in (
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, created_by)
                VALUES (%s, 'adjustment', 1, 't'), ('A-NONE', 'adjustment', 1, 't')""", (account_no,)),
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, payment_id, created_by)
                VALUES (%s, 'refund', 1, %s, 't'), (%s, 'refund', 1, -1, 't')""", (account_no, payment_id, account_no)),
            # A payment's entry under another account, even one that exists (migration 0051).
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, payment_id, created_by)
                VALUES (%s, 'refund', 1, %s, 't')""", (other_account_no, payment_id)),
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, payment_id, created_by)
                VALUES ('A-NONE', 'refund', 1, %s, 't')""", (payment_id,)),
            # A charge of a bill that does not exist, or of another account's bill (migration 0051).
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, bill_id, created_by)
                VALUES (%s, 'charge', 1, %s, 't'), (%s, 'charge', 1, -1, 't')""", (account_no, bill_id, account_no)),
            ("""INSERT INTO ledger_entry (account_no, kind, amount_minor, bill_id, created_by)
                VALUES (%s, 'charge', 1, %s, 't')""", (other_account_no, bill_id)),
            ("""INSERT INTO payment (account_no, amount_minor, method, received_by)
                VALUES (%s, 1, 'cash', 't'), ('A-NONE', 1, 'cash', 't')""", (account_no,)),
            ("""INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor, open_minor)
                VALUES ('A-NONE', '2090-01-01', '2090-02-01', '2090-01-01', '2090-01-15', 1, 1)""", ())):
        with pytest.raises(psycopg2.errors.ForeignKeyViolation, match=r"no (account A-NONE|payment -?\d+|bill -?\d+)"):
            with db.transaction() as cur:
                cur.execute(statement, args)
    # What the checks rely on: an account or a payment is never removed, renumbered or moved.
    for statement, args in (("DELETE FROM account WHERE account_no = %s", (account_no,)),
                            ("UPDATE account SET account_no = 'A-MOVED' WHERE account_no = %s", (account_no,)),
                            ("DELETE FROM payment WHERE id = %s", (payment_id,)),
                            ("UPDATE payment SET account_no = 'A-NONE' WHERE id = %s", (payment_id,))):
        with pytest.raises(psycopg2.errors.RestrictViolation, match="never deleted, renumbered or moved"):
            with db.transaction() as cur:
                cur.execute(statement, args)
    with db.transaction() as cur:
        assert store.balance(cur, account_no) == -100


def test_the_360_sections_read_back_balance_overdue_and_last_bills(db, stub):
    account_no, (tv,) = add_account(db)
    customer_no = "C" + account_no[1:]
    old = issue(db, account_no, date(2026, 9, 1), date(2026, 10, 15), {tv: 2200})
    issue(db, account_no, date(2099, 1, 1), date(2099, 2, 15), {tv: 2200})  # not yet due
    reply = stub.GetCustomerBilling(pb.GetCustomerBillingRequest(customer_no=customer_no.lower()))
    [account] = reply.accounts
    assert account.account_no == account_no
    assert (account.balance.amount_minor, account.balance.currency) == (4400, "CNY")
    assert account.overdue.amount_minor == 2200
    assert [b.period_start for b in account.last_bills] == ["2099-01-01", "2026-09-01"]

    bills = stub.ListBills(pb.ListBillsRequest(customer_no=customer_no, limit=1))
    assert bills.count == 2 and len(bills.bills) == 1
    bill = stub.GetBill(pb.GetBillRequest(bill_no=old.lower()))
    assert bill.bill_no == old and [line.amount.amount_minor for line in bill.lines] == [2200]
    ledger = stub.ListLedger(pb.ListLedgerRequest(account_no=account_no))
    assert ledger.balance.amount_minor == 4400 and [e.kind for e in ledger.entries] == ["charge", "charge"]


def test_the_360_sections_of_several_customers_come_in_one_call_in_the_order_asked(db, stub):
    first, (tv,) = add_account(db)
    second, (box,) = add_account(db)
    issue(db, first, date(2026, 9, 1), date(2026, 10, 15), {tv: 2200})
    issue(db, second, date(2026, 9, 1), date(2099, 10, 15), {box: 3000})
    asked = ["C" + second[1:], "C-UNKNOWN", ("C" + first[1:]).lower()]
    reply = stub.GetCustomersBilling(pb.GetCustomersBillingRequest(customer_nos=asked))
    assert [c.customer_no for c in reply.customers] == asked
    two, unknown, one = reply.customers
    assert [(a.account_no, a.balance.amount_minor, a.overdue.amount_minor) for a in one.accounts] == [(first, 2200, 2200)]
    assert [(a.account_no, a.overdue.amount_minor) for a in two.accounts] == [(second, 0)]
    assert [b.amount.amount_minor for b in two.accounts[0].last_bills] == [3000]
    assert list(unknown.accounts) == []
    assert stub.GetCustomersBilling(pb.GetCustomersBillingRequest()).customers == []
    with pytest.raises(grpc.RpcError) as too_many:
        stub.GetCustomersBilling(pb.GetCustomersBillingRequest(customer_nos=["C1"] * (BATCH_MAX + 1)))
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_bad_queries_are_clear_errors(stub):
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetBill(pb.GetBillRequest(bill_no="B1"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    for request in (pb.ListBillsRequest(), pb.ListBillsRequest(customer_no="C1", account_no="A1"),
                    pb.ListBillsRequest(customer_no="C1", limit=1000)):
        with pytest.raises(grpc.RpcError) as bad:
            stub.ListBills(request)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as unknown:
        stub.ListLedger(pb.ListLedgerRequest(account_no="A0"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_two_payments_settling_one_account_at_once_leave_nothing_open(db):
    """Each settlement reads the ledger once it holds the account: the second sees the first's payment."""
    account_no, (tv,) = add_account(db)
    bill_no = issue(db, account_no, date(2026, 11, 1), date(2026, 12, 15), {tv: 10000})
    posted = threading.Barrier(2)

    def pay_half() -> None:
        with db.transaction() as cur:
            store.post(cur, account_no, "payment", -5000, "clerk-t")
            posted.wait(10)  # both payments are in their transactions before either settles
            store.settle(cur, [account_no])

    threads = [threading.Thread(target=pay_half) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert shares(db, bill_no) == {tv: 0}
    with db.transaction() as cur:
        cur.execute("SELECT state, open_minor FROM bill WHERE bill_no = %s", (bill_no,))
        assert cur.fetchone() == {"state": "paid", "open_minor": 0}
