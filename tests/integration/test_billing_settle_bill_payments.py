"""store.settle_bill_payments, the settlement of payments each made for one bill (bank debits): whatever
the accounts' bills, credit and payments, the open amounts and states it leaves are settle()'s."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from psycopg2.extras import RealDictCursor

from services.billing import store
from tests.integration.billing_env import add_account, billing_database, insert_bill

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(settings):
    with billing_database(settings) as database:
        yield database


def issue(cur, account_no: str, due_on: date, shares: dict[str, int]) -> tuple[int, int]:
    total = sum(shares.values())
    bill_id = insert_bill(cur, account_no, due_on - timedelta(days=30), due_on, shares)["id"]
    store.post(cur, account_no, "charge", max(total, 0), "test-run", bill_id=bill_id)
    store.settle(cur, [account_no])
    return bill_id, total


def scenario(db, rng: random.Random) -> list[tuple[str, int, int]]:
    """Accounts with a few bills of two services (one a credit note now and then), some partly paid or in
    credit; returns the debits (account, bill id, amount) that a bank file then pays."""
    debits = []
    for _ in range(12):
        account_no, _ = add_account(db)
        with db.transaction() as cur:
            bills = [issue(cur, account_no, date(2300, 1, 1) + timedelta(days=rng.choice([0, 30, 30, 60]) + i),
                           {"S1": rng.randint(1, 5000), "S2": rng.choice([rng.randint(1, 3000), -500])})
                     for i in range(rng.randint(1, 3))]
            if rng.random() < 0.5:
                store.post(cur, account_no, "payment", -rng.randint(1, 6000), "clerk-t")
                store.settle(cur, [account_no])
            cur.execute("SELECT id, open_minor FROM bill WHERE account_no = %s", (account_no,))
            open_of = {r["id"]: r["open_minor"] for r in cur.fetchall()}
        for bill_id, total in rng.sample(bills, rng.randint(1, len(bills))):
            # Mostly what is open (as a debit asks), else the bill's amount or a part of it.
            amount = rng.choice([open_of[bill_id], open_of[bill_id], total, rng.randint(1, 2000)])
            if amount > 0:
                debits.append((account_no, bill_id, amount))
    return debits


def settled(db, debits: list[tuple[str, int, int]], by_bill: bool) -> list[tuple]:
    """Open amounts and states after posting the debits and settling them one way; nothing is kept."""
    accounts = sorted({a for a, _, _ in debits})
    with db.connection() as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        try:
            cur.execute("CREATE TEMP TABLE paid (account_no TEXT, bill_id BIGINT, amount_minor BIGINT, ok BOOLEAN) "
                        "ON COMMIT DROP")
            for account_no, bill_id, amount in debits:
                store.post(cur, account_no, "payment", -amount, "bank-t")
                cur.execute("INSERT INTO paid VALUES (%s, %s, %s, true)", (account_no, bill_id, amount))
            cur.execute("INSERT INTO paid VALUES (%s, 0, 1, false)", (accounts[0],))  # a failed debit: not a payment
            if by_bill:
                store.settle_bill_payments(cur, "paid", "ok")
            else:
                store.settle(cur, accounts)
            cur.execute("""SELECT b.id, b.open_minor, b.state, s.service_no, s.open_minor AS share_open
                           FROM bill b CROSS JOIN LATERAL bill_shares(b.lines, b.open_minor) s
                           WHERE b.account_no = ANY(%s) ORDER BY b.id, s.service_no""", (accounts,))
            return [tuple(r.values()) for r in cur.fetchall()]
        finally:
            conn.rollback()


@pytest.mark.parametrize("seed", range(8))
def test_settling_by_bill_leaves_what_settle_leaves(db, seed):
    debits = scenario(db, random.Random(seed))
    assert settled(db, debits, by_bill=True) == settled(db, debits, by_bill=False)


def test_a_debit_of_the_oldest_open_bill_closes_it_and_a_later_one_waits_for_the_older(db):
    account_no, _ = add_account(db)
    with db.transaction() as cur:
        older, _ = issue(cur, account_no, date(2300, 1, 1), {"S1": 1000})
        newer, _ = issue(cur, account_no, date(2300, 2, 1), {"S1": 700})
    # The newer bill's debit pays the older bill first (oldest due first), as settle() would.
    after = settled(db, [(account_no, newer, 700)], by_bill=True)
    assert [(r[0], r[1], r[2]) for r in after] == [(older, 300, "partially_paid"), (newer, 700, "issued")]
    after = settled(db, [(account_no, older, 1000)], by_bill=True)
    assert [(r[0], r[1], r[2]) for r in after] == [(older, 0, "paid"), (newer, 700, "issued")]
