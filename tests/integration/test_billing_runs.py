"""The billing run against the real database: proration by state intervals and price segments, discounts,
one-time fees, idempotent reruns, resuming a crashed run, dry runs, bad input.

Each test bills its own accounts in a period of its own (a random month in 2100-2999) with products and
legacy codes of its own, so tests never see each other's prices or discounts."""
from __future__ import annotations

import json
import uuid
from datetime import date

import psycopg2.errors
import pytest

from services.billing import store as billing_store
from services.billing.handlers import Actor
from services.billing.runs import store
from services.billing.runs.handlers import BillRunHandlers, StartBillRun
from services.billing.runs.period import run_key
from services.common import workcalendar_store
from services.common.errors import InvalidArgument
from tests.integration.billing_env import billing_database

pytestmark = pytest.mark.integration
SUPERVISOR = Actor("supervisor", "supervisor")


@pytest.fixture(scope="module")
def db(settings):
    with billing_database(settings, maxconn=4) as database:
        yield database


@pytest.fixture(scope="module")
def runs(db, settings):
    return BillRunHandlers(db, settings)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().int % 10**12}"


class World:
    """A period, a cycle and products of one test's own."""

    def __init__(self, db):
        self.db = db
        n = uuid.uuid4().int
        # A cycle and period nobody else uses: a run bills every account of its cycle. Never cycle 1, where
        # billing_env.add_account puts other modules' accounts (a run there once billed 100 of them).
        self.cycle = 2 + n // 10**6 % 27
        self.year, self.month = 2100 + n % 900, 1 + n // 1000 % 12
        self.period = f"{self.year}-{self.month:02d}"
        self.tag = unique("T")

    def day(self, d: int) -> date:
        return date(self.year, self.month, d)

    @property
    def end(self) -> date:
        return run_key(self.period, self.cycle).end

    @property
    def days(self) -> int:
        return (self.end - self.day(1)).days

    def product(self, name: str, price: int, charge: str = "monthly", category: str = "premium",
                prices: tuple[tuple[date, int], ...] = ()) -> str:
        code = f"{self.tag}-{name}"
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO product (code, name, category, charge) VALUES (%s, %s, %s, %s)",
                        (code, f"测试{name}", category, charge))
            cur.execute("INSERT INTO product_price (product_code, valid_from, amount_minor) VALUES (%s, '2000-01-01', %s)",
                        (code, price))
            for valid_from, amount in prices:
                cur.execute("INSERT INTO product_price (product_code, valid_from, amount_minor) VALUES (%s, %s, %s)",
                            (code, valid_from, amount))
            cur.execute("INSERT INTO legacy_product_map (system, legacy_code, product_code) VALUES ('bss', %s, %s)",
                        (code, code))
        return code

    def account(self, tier: str = "regular", cycle: int | None = None) -> str:
        account_no = unique("A")
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO account (account_no, customer_no, name, tier, cycle) VALUES (%s, %s, '张三', %s, %s)",
                        (account_no, unique("C"), tier, cycle or self.cycle))
        return account_no

    def service(self, account_no: str, product: str, *history: tuple[date, str]) -> str:
        service_no = unique("S")
        with self.db.transaction() as cur:
            cur.execute("""INSERT INTO subscription (service_no, account_no, customer_no, kind, origin, product_code, state)
                           SELECT %s, account_no, customer_no, 'digital', 'bss', %s, 'active' FROM account
                           WHERE account_no = %s""", (service_no, product, account_no))
            # Disconnected when the period ends, so that runs of other tests' periods never bill it.
            for on, state in (*history, (self.end, "disconnected")):
                cur.execute("INSERT INTO subscription_state (service_no, effective_on, state, recorded_at)"
                            " VALUES (%s, %s, %s, clock_timestamp())",
                            (service_no, on, state))
        return service_no

    def bills(self, account_no: str) -> list[dict]:
        with self.db.transaction() as cur:
            cur.execute("""SELECT b.id, b.bill_no, b.amount_minor, b.open_minor, b.state, b.due_on, b.issued_on
                           FROM bill b WHERE account_no = %s ORDER BY period_start""", (account_no,))
            bills = cur.fetchall()
            for b in bills:
                b["lines"] = billing_store.bill(cur, b["bill_no"])["lines"]
                cur.execute("""SELECT s.* FROM bill b CROSS JOIN LATERAL bill_shares(b.lines, b.open_minor) s
                               WHERE b.id = %s ORDER BY s.service_no""", (b["id"],))
                b["shares"] = cur.fetchall()
        return bills

    def ledger(self, account_no: str) -> list[tuple[str, int]]:
        with self.db.transaction() as cur:
            cur.execute("SELECT kind, amount_minor FROM ledger_entry WHERE account_no = %s ORDER BY id", (account_no,))
            return [(r["kind"], r["amount_minor"]) for r in cur.fetchall()]

    def rated(self) -> tuple[dict, object]:
        """A run of the period made and rated, committed as a run leaves them before it issues."""
        key = run_key(self.period, self.cycle)
        with self.db.transaction() as cur:
            run = store.create_run(cur, key.start, key.end, key.cycle, "supervisor")
            lines = store.line_table(run["id"], 0)
            store.rate(cur, lines, key.start, key.end, key.cycle)
        return run, lines

    def start(self, runs, **kw):
        return runs.start(StartBillRun(period=self.period, cycle=self.cycle, actor=SUPERVISOR, **kw), wait_seconds=60)


@pytest.fixture
def world(db):
    return World(db)


def half_up(n: int, d: int) -> int:
    return (2 * n + d) // (2 * d)


def test_a_run_prorates_by_active_days_and_price_segments(world, runs):
    days = world.days
    hd = world.product("HD", 3100, prices=((world.day(11), 4000),))
    basic = world.product("BASIC", 2500)
    whole = world.account()
    s_whole = world.service(whole, basic, (world.day(1), "active"))
    mid = world.account()
    # Activated on the 5th, suspended on the 15th, restored on the 20th: active 5-14 and 20-end.
    s_mid = world.service(mid, hd, (world.day(5), "active"), (world.day(15), "suspended"), (world.day(20), "active"))
    gone = world.account()
    world.service(gone, basic, (world.day(1), "active"), (world.day(1), "disconnected"))

    report = world.start(runs)
    assert report.outcome == "started" and report.run["state"] == "completed"
    assert report.counts["bills"] >= 2 and report.counts["accounts"] >= 3

    [bill] = world.bills(whole)
    assert [(x["kind"], x["days"], x["amount_minor"]) for x in bill["lines"]] == [("charge", days, 2500)]
    assert bill["lines"][0]["description"] == "测试BASIC" and bill["lines"][0]["service_no"] == s_whole
    assert bill["amount_minor"] == bill["open_minor"] == 2500 and bill["state"] == "issued"
    # Due ten working days after it is issued, on the seeded calendar (2026's holidays and make-up days).
    with world.db.transaction() as cur:
        assert workcalendar_store.load(cur).working_days_between(bill["issued_on"], bill["due_on"]) == 10
    assert bill["shares"] == [{"service_no": s_whole, "amount_minor": 2500, "open_minor": 2500}]
    assert world.ledger(whole) == [("charge", 2500)]

    [bill] = world.bills(mid)
    # Days 5-10 at the old price, 11-14 and 20-end at the new one: two lines, each rounded on its own.
    after = 4 + days - 19
    assert [(x["days"], x["amount_minor"]) for x in bill["lines"]] == [
        (6, half_up(3100 * 6, days)), (after, half_up(4000 * after, days))]
    assert bill["lines"][1]["description"] == f"测试HD（{after}/{days}天）"
    assert bill["amount_minor"] == half_up(3100 * 6, days) + half_up(4000 * after, days)
    assert {x["service_no"] for x in bill["lines"]} == {s_mid}
    assert world.bills(gone) == []  # no line, no bill


def test_discounts_one_time_fees_and_credit(world, runs, db):
    basic = world.product("BASIC", 3000)
    hd = world.product("HD", 1000)
    install = world.product("INSTALL", 10000, charge="one_time", category="installation")
    vip = world.account(tier="VIP")
    s1 = world.service(vip, basic, (world.day(1), "active"))
    s2 = world.service(vip, hd, (world.day(1), "active"))
    single = world.account()
    world.service(single, basic, (world.day(1), "active"))
    promo = unique("P")
    with db.transaction() as cur:
        cur.executemany("""INSERT INTO discount (code, name, kind, value, eligibility, promotion_code, products,
                                                 valid_from, valid_to) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""", [
            (f"{world.tag}-V", "VIP九折", "percent", 10, "vip", None, [basic], date(2000, 1, 1), None),
            (f"{world.tag}-H", "家庭优惠", "fixed", 500, "household", None, [basic, hd], date(2000, 1, 1), None),
            (f"{world.tag}-P", "促销", "percent", 50, "promotion", promo, [hd], date(2000, 1, 1), world.day(1)),
            (f"{world.tag}-X", "已过期", "percent", 50, "all", None, [basic], date(2000, 1, 1), date(2001, 1, 1))])
        cur.execute("INSERT INTO account_promotion (account_no, promotion_code, granted_by) VALUES (%s, %s, 'admin')",
                    (vip, promo))
        cur.execute("""INSERT INTO pending_charge (service_no, product_code, occurred_on, ref, source, created_by)
                       VALUES (%s, %s, %s, %s, 'dispatch', 'test')""", (s2, install, world.day(3), unique("W")))
        # Credit from before: a payment of 50 yuan pays the new bill in part.
        cur.execute("INSERT INTO ledger_entry (account_no, kind, amount_minor, created_by) VALUES (%s, 'adjustment', -5000, 't')",
                    (vip,))

    world.start(runs)
    [bill] = world.bills(vip)
    days = world.days
    lines = sorted((x["service_no"], x["kind"], x["description"], x["amount_minor"]) for x in bill["lines"])
    promo_off = half_up(1000 * 50 * 1, 100 * days)  # valid on the first day only
    # Lines by service, each charge followed by its discounts.
    by_service = [(x["service_no"], x["kind"]) for x in bill["lines"]]
    assert sorted(by_service, key=lambda x: x[0]) == by_service
    assert [k for s, k in by_service if s == s1] == ["charge", "discount", "discount"]
    assert [k for s, k in by_service if s == s2] == ["charge", "discount", "discount", "one_time"]
    fee = next(x["description"] for x in bill["lines"] if x["kind"] == "one_time")
    assert lines == sorted([
        (s1, "charge", "测试BASIC", 3000), (s1, "discount", "VIP九折", -300), (s1, "discount", "家庭优惠", -500),
        (s2, "charge", "测试HD", 1000), (s2, "discount", "家庭优惠", -500), (s2, "discount", "促销", -promo_off),
        (s2, "one_time", fee, 10000)])
    assert fee.startswith("测试INSTALL（W")
    total = 3000 - 800 + 1000 - 500 - promo_off + 10000
    assert bill["amount_minor"] == total
    shares = {s["service_no"]: s for s in bill["shares"]}
    assert shares[s1]["amount_minor"] == 2200 and shares[s2]["amount_minor"] == 1000 - 500 - promo_off + 10000
    # The 50 yuan credit covers the older-due-first shares in service order; the rest stays open.
    assert bill["open_minor"] == total - 5000 and bill["state"] == "partially_paid"
    assert world.ledger(vip) == [("adjustment", -5000), ("charge", total)]
    with db.transaction() as cur:
        cur.execute("SELECT bill_id FROM pending_charge WHERE service_no = %s", (s2,))
        assert cur.fetchone()["bill_id"] == bill["id"]
    # The single-service regular account: no VIP, no household, only its charge.
    [other] = world.bills(single)
    assert [x["amount_minor"] for x in other["lines"]] == [3000]


def test_a_rerun_adds_nothing_and_says_so(world, runs, db):
    basic = world.product("BASIC", 2000)
    account = world.account()
    world.service(account, basic, (world.day(1), "active"))
    first = world.start(runs)
    again = world.start(runs)
    assert again.outcome == "already-billed" and again.run["run_no"] == first.run["run_no"]
    assert again.counts["bills"] == first.counts["bills"] == 1
    assert len(world.bills(account)) == 1 and world.ledger(account) == [("charge", 2000)]
    with db.transaction() as cur:
        cur.execute("SELECT payload FROM outbox WHERE event_type = 'bill_run_completed'"
                    " AND payload->'data'->>'runNo' = %s", (first.run["run_no"],))
        [event] = cur.fetchall()
    data = event["payload"]["data"]
    assert data["period"] == world.period and data["cycle"] == world.cycle and data["counts"]["bills"] == 1


def test_bills_and_runs_are_never_deleted(world, runs, db):
    # The run's lines, shares and ledger charges name their bill without a foreign key (migration 0011):
    # that holds only while no bill or run is ever removed.
    basic = world.product("BASIC", 2000)
    account = world.account()
    world.service(account, basic, (world.day(1), "active"))
    report = world.start(runs)
    for statement, arg in (("DELETE FROM bill WHERE account_no = %s", account),
                           ("DELETE FROM bill_run WHERE run_no = %s", report.run["run_no"])):
        with pytest.raises(psycopg2.errors.RestrictViolation, match="never deleted"):
            with db.transaction() as cur:
                cur.execute(statement, (arg,))
    assert len(world.bills(account)) == 1 and world.bills(account)[0]["lines"]


@pytest.mark.parametrize("crash_after", ["rate", "issue"])
def test_a_crashed_run_is_completed_by_the_next_request(world, runs, db, crash_after):
    basic = world.product("BASIC", 2000)
    first, second = world.account(), world.account()
    world.service(first, basic, (world.day(1), "active"))
    # What a run does up to a phase, committed, before its process dies (its lock goes with its session).
    run, lines = world.rated()
    if crash_after == "issue":
        with db.transaction() as cur:
            store.issue(cur, run, lines, date.today(), date.today(), "supervisor")
    # Meanwhile a second account of the cycle got a service: the resumed run bills what has no bill yet.
    world.service(second, basic, (world.day(1), "active"))
    report = world.start(runs)
    assert report.outcome == "resumed" and report.run["run_no"] == run["run_no"]
    assert report.run["state"] == "completed" and report.counts["bills"] >= 2
    assert len(world.bills(first)) == len(world.bills(second)) == 1
    assert world.ledger(first) == [("charge", 2000)]
    with db.transaction() as cur:
        cur.execute("SELECT to_regclass(%s) AS t", (lines.string,))
        assert cur.fetchone()["t"] is None


def test_a_bill_another_run_made_since_the_rating_is_left_alone(world, db):
    basic = world.product("BASIC", 2000)
    taken, other = world.account(), world.account()
    for account in (taken, other):
        world.service(account, basic, (world.day(1), "active"))
    run, lines = world.rated()
    key = run_key(world.period, world.cycle)
    # Meanwhile another cycle's run of the period bills one of the accounts (moved to its cycle).
    with db.transaction() as cur:
        cur.execute("""INSERT INTO bill (account_no, period_start, period_end, issued_on, due_on, amount_minor,
                                         open_minor, state)
                       VALUES (%s, %s, %s, %s, %s, 0, 0, 'paid')""",
                    (taken, key.start, key.end, date.today(), date.today()))
    with db.transaction() as cur:
        added = store.issue(cur, run, lines, date.today(), date.today(), "supervisor")
        store.drop_line_table(cur, lines)
    assert (added["bills"], added["amount_minor"], added["lines"]) == (1, 2000, 1)
    assert [b["amount_minor"] for b in world.bills(taken)] == [0] and world.ledger(taken) == []
    assert [b["amount_minor"] for b in world.bills(other)] == [2000] and world.ledger(other) == [("charge", 2000)]


def test_a_dry_run_writes_nothing(world, runs, db):
    basic = world.product("BASIC", 2000)
    account = world.account()
    service = world.service(account, basic, (world.day(16), "active"))
    with db.transaction() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bill) AS bills, (SELECT count(*) FROM bill_run) AS runs,"
                    " (SELECT count(*) FROM ledger_entry) AS ledger, (SELECT count(*) FROM outbox) AS events")
        before = cur.fetchone()
    report = world.start(runs, dry_run=True, account_no=account.lower())
    assert report.outcome == "dry-run" and report.counts["bills"] >= 1
    days = world.days
    expected = half_up(2000 * (days - 15), days)
    assert report.counts["amount_minor"] >= expected
    assert report.preview["amount_minor"] == expected
    assert [(x["service_no"], x["days"]) for x in report.preview["lines"]] == [(service, days - 15)]
    with db.transaction() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bill) AS bills, (SELECT count(*) FROM bill_run) AS runs,"
                    " (SELECT count(*) FROM ledger_entry) AS ledger, (SELECT count(*) FROM outbox) AS events")
        after = cur.fetchone()
    # Other tests may add rows meanwhile, never this account's.
    assert world.bills(account) == [] and after["runs"] >= before["runs"]
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM bill_run WHERE period_start = %s AND cycle = %s",
                    (run_key(world.period, world.cycle).start, world.cycle))
        assert cur.fetchone()["n"] == 0


@pytest.mark.parametrize("period, cycle, reason", [
    ("2026-13", 1, "invalid-period"), ("2026-1", 1, "invalid-period"), ("nov", 1, "invalid-period"),
    ("1999-12", 1, "invalid-period"), ("2026-11", 0, "invalid-cycle"), ("2026-11", 29, "invalid-cycle")])
def test_bad_input_is_refused(runs, period, cycle, reason):
    with pytest.raises(InvalidArgument) as caught:
        runs.start(StartBillRun(period=period, cycle=cycle, actor=SUPERVISOR))
    assert caught.value.reason == reason


def test_counts_are_json(world, runs):
    basic = world.product("BASIC", 2000)
    world.service(world.account(), basic, (world.day(1), "active"))
    report = world.start(runs)
    assert json.loads(json.dumps(report.counts))["bills"] >= 1
    assert set(report.run["phases"]) == {"rate", "issue", "complete"}
