"""The set-based billing run against its specification: for random accounts (services activated,
suspended, restored and disconnected on random days, products whose price changes inside the period),
the run's charge lines are exactly those the pure rating (services/billing/domain/rating.py) gives."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from services.billing.domain import rating
from tests.integration.test_billing_runs import SUPERVISOR, World, db, runs  # noqa: F401

pytestmark = pytest.mark.integration

EVENT_OF_STATE = {"active": "restored", "suspended": "suspended", "disconnected": "disconnected"}


def history(rng: random.Random, world: World) -> list[tuple[date, str]]:
    """A start before the period or inside it, then up to three changes on days of the period."""
    start = world.day(1) - timedelta(days=rng.randrange(1, 40)) if rng.random() < 0.7 else \
        world.day(rng.randrange(1, world.days + 1))
    changes = [(start, "active")]
    for day in sorted(rng.sample(range(1, world.days + 1), rng.randrange(0, 4))):
        changes.append((max(world.day(day), start), rng.choice(("active", "suspended", "disconnected"))))
    return changes


def test_the_run_charges_what_the_rating_specifies(db, runs):  # noqa: F811
    rng = random.Random()
    world = World(db)
    change_day = world.day(rng.randrange(2, world.days + 1))
    plain_price, changing_price, new_price = rng.randrange(100, 9000), rng.randrange(100, 9000), rng.randrange(100, 9000)
    plain = world.product("PLAIN", plain_price)
    changing = world.product("CHANGING", changing_price, prices=((change_day, new_price),))
    products = {
        plain: rating.Product(plain, "测试PLAIN", "recurring", (rating.Price(date(2000, 1, 1), plain_price),)),
        changing: rating.Product(changing, "测试CHANGING", "recurring", (rating.Price(date(2000, 1, 1), changing_price),
                                                                          rating.Price(change_day, new_price))),
    }
    expected: dict[str, Counter] = {}
    for _ in range(25):
        account_no = world.account()
        subscriptions = []
        for _ in range(rng.randrange(1, 4)):
            product = rng.choice((plain, changing))
            changes = history(rng, world)
            service_no = world.service(account_no, product, *changes)
            subscriptions.append(rating.Subscription(service_no, product, tuple(
                rating.StateChange(on, "activated" if i == 0 else EVENT_OF_STATE[state])
                for i, (on, state) in enumerate(changes))))
        lines = rating.rate(rating.Period.month(world.year, world.month), rating.Account(), subscriptions, (),
                            products)
        expected[account_no] = Counter((x.service_no, x.product_code, x.days, x.amount_minor)
                                       for x in lines if x.kind == "charge")

    report = world.start(runs)
    assert report.outcome == "started", report
    for account_no, charges in expected.items():
        billed = Counter((x["service_no"], x["product_code"], x["days"], x["amount_minor"])
                         for b in world.bills(account_no) for x in b["lines"] if x["kind"] == "charge")
        assert billed == charges, f"account {account_no} (price change on {change_day})"
