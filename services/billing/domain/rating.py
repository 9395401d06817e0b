"""Rating: the lines of one account's bill for one billing period. Pure, and the specification the
set-based SQL billing run is tested against, so every rule here is one a query can state.

Periods
    A period is [start, end): a calendar month by default (`Period.month`), days_in_period = end - start.

Billable days
    A subscription (one product on one service) changes state on dates: `activated` and `restored`
    make it billable from that day on, `suspended` and `disconnected` stop it from that day on (the
    day of suspension or disconnection is not charged). On each day the last change dated on or before
    it rules; several changes on one day apply in the order given. Suspended days are not charged.

Prices
    A product has prices, each valid from a date until the next one's: history is never rewritten. The
    days of a period billed at one price make one line, so a price change inside the period splits the
    charge into two lines.

Proration and rounding (integer fen, half-up, once per line)
    charge   = round_half_up(monthly_price * billable_days / days_in_period)
    percent  = round_half_up(monthly_price * percent * discounted_days / (100 * days_in_period))
    fixed    = round_half_up(fixed_monthly_amount * discounted_days / days_in_period)
    A whole period at one price is therefore exactly the monthly price. The lines of a split month may
    sum to a fen more or less than an unsplit month would: each line is rounded on its own, never
    adjusted against another.

Discounts
    A discount applies to the recurring charge lines of its products (all recurring products when it
    names none), on the charge line's days that fall within its validity [valid_from, valid_to]
    (valid_to inclusive, None for open-ended), when the account is eligible: `all`, `vip` (account tier
    VIP), `household` (more than one service of the account billable in the period) or `promotion` (the
    account holds the promotion code). Every eligible discount is computed on the list price, in the
    order given; together they never exceed the charge line they reduce (the last is cut to fit).
    Discount lines carry a negative amount. One-time fees are never discounted.

One-time fees
    A fee (installation, equipment deposit) dated within the period is charged once, at the price valid
    on its date, with days = 0. Its `ref` (e.g. the work order number) identifies it so a rerun of the
    period charges it no second time.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping

from services.common.errors import InvalidArgument

BILLABLE_AFTER = {"activated": True, "restored": True, "suspended": False, "disconnected": False}
ELIGIBILITY = ("all", "vip", "household", "promotion")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    def __post_init__(self):
        if self.end <= self.start:
            raise InvalidArgument(f"a billing period must end after it starts ({self.start} to {self.end})",
                                  reason="invalid-period")

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, d: date) -> bool:
        return self.start <= d < self.end


@dataclass(frozen=True)
class Price:
    valid_from: date
    amount_minor: int  # a month's price for a recurring product, the fee for a one-time one


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    kind: str  # "recurring" | "one_time"
    prices: tuple[Price, ...]
    currency: str = "CNY"

    def price_on(self, d: date) -> Price:
        valid = [p for p in self.prices if p.valid_from <= d]
        if not valid:
            raise InvalidArgument(f"product {self.code} has no price on {d}", reason="no-price")
        return max(valid, key=lambda p: p.valid_from)


@dataclass(frozen=True)
class StateChange:
    on: date
    event: str  # activated | suspended | restored | disconnected


@dataclass(frozen=True)
class Subscription:
    service_no: str
    product_code: str
    changes: tuple[StateChange, ...]


@dataclass(frozen=True)
class OneTimeFee:
    service_no: str
    product_code: str
    on: date
    ref: str


@dataclass(frozen=True)
class Discount:
    code: str
    name: str
    kind: str  # "percent" | "fixed"
    value: int  # percent off (1..100), or fen off a whole month
    valid_from: date
    valid_to: date | None = None  # inclusive
    eligibility: str = "all"
    promotion_code: str | None = None
    products: frozenset[str] = frozenset()  # empty: every recurring product

    def covers(self, d: date) -> bool:
        return self.valid_from <= d and (self.valid_to is None or d <= self.valid_to)


@dataclass(frozen=True)
class Account:
    tier: str = "regular"  # regular | household | VIP, as the customer service ranks it
    promotion_codes: frozenset[str] = frozenset()
    currency: str = "CNY"


@dataclass(frozen=True)
class BillLine:
    service_no: str
    product_code: str
    kind: str  # charge | discount | one_time
    description: str
    days: int
    amount_minor: int
    discount_code: str | None = field(default=None)


def billable_days(changes: Iterable[StateChange], period: Period) -> list[date]:
    """The days of `period` on which a subscription with these state changes is charged."""
    ordered = sorted(changes, key=lambda c: c.on)  # stable: same-day changes keep their given order
    for c in ordered:
        if c.event not in BILLABLE_AFTER:
            raise InvalidArgument(f"unknown service event {c.event!r}; expected one of {', '.join(BILLABLE_AFTER)}",
                                  reason="unknown-event")
    days, billable, i = [], False, 0
    for k in range(period.days):
        d = period.start + timedelta(days=k)
        while i < len(ordered) and ordered[i].on <= d:
            billable = BILLABLE_AFTER[ordered[i].event]
            i += 1
        if billable:
            days.append(d)
    return days


def rate(period: Period, account: Account, subscriptions: Iterable[Subscription],
         fees: Iterable[OneTimeFee], products: Mapping[str, Product],
         discounts: Iterable[Discount] = ()) -> list[BillLine]:
    """The bill lines of one account for `period` (rules in the module docstring)."""
    discounts = list(discounts)
    for disc in discounts:
        check_discount(disc)
    charged = [(s, billable_days(s.changes, period)) for s in subscriptions]
    household = len({s.service_no for s, days in charged if days}) > 1
    eligible = [d for d in discounts if _eligible(d, account, household)]
    lines: list[BillLine] = []
    for sub, days in charged:
        product = _product(products, sub.product_code, "recurring", account)
        by_price: dict[Price, list[date]] = {}
        for d in days:
            by_price.setdefault(product.price_on(d), []).append(d)
        for price, price_days in sorted(by_price.items(), key=lambda item: item[0].valid_from):
            lines.extend(_charge_and_discounts(sub, product, price, price_days, period, eligible))
    for fee in fees:
        if fee.on in period:
            product = _product(products, fee.product_code, "one_time", account)
            lines.append(BillLine(fee.service_no, product.code, "one_time", f"{product.name}（{fee.ref}）", 0,
                                  product.price_on(fee.on).amount_minor))
    return lines


def _charge_and_discounts(sub: Subscription, product: Product, price: Price, days: list[date], period: Period,
                          discounts: list[Discount]) -> list[BillLine]:
    n = len(days)
    amount = round_half_up(price.amount_minor * n, period.days)
    label = product.name if n == period.days else f"{product.name}（{n}/{period.days}天）"
    lines = [BillLine(sub.service_no, product.code, "charge", label, n, amount)]
    left = amount
    for disc in discounts:
        if disc.products and product.code not in disc.products:
            continue
        covered = sum(1 for d in days if disc.covers(d))
        if not covered or not left:
            continue
        if disc.kind == "percent":
            off = round_half_up(price.amount_minor * disc.value * covered, 100 * period.days)
        else:
            off = round_half_up(disc.value * covered, period.days)
        off = min(off, left)
        if off:
            left -= off
            lines.append(BillLine(sub.service_no, product.code, "discount", disc.name, covered, -off, disc.code))
    return lines


def _eligible(disc: Discount, account: Account, household: bool) -> bool:
    return (disc.eligibility == "all"
            or (disc.eligibility == "vip" and account.tier == "VIP")
            or (disc.eligibility == "household" and household)
            or (disc.eligibility == "promotion" and disc.promotion_code in account.promotion_codes))


def check_discount(disc: Discount) -> None:
    """InvalidArgument naming what makes a discount unusable (the catalog checks a new one with it)."""
    problem = None
    if disc.kind not in ("percent", "fixed"):
        problem = f"kind {disc.kind!r} is neither percent nor fixed"
    elif disc.kind == "percent" and not 1 <= disc.value <= 100:
        problem = f"{disc.value}% is not between 1 and 100"
    elif disc.kind == "fixed" and disc.value <= 0:
        problem = "a fixed discount must be a positive amount"
    elif disc.eligibility not in ELIGIBILITY:
        problem = f"eligibility {disc.eligibility!r} is not one of {', '.join(ELIGIBILITY)}"
    elif (disc.eligibility == "promotion") != bool(disc.promotion_code):
        problem = "a promotion code goes with, and only with, a promotion discount"
    elif disc.valid_to is not None and disc.valid_to < disc.valid_from:
        problem = f"it ends ({disc.valid_to}) before it starts ({disc.valid_from})"
    if problem:
        raise InvalidArgument(f"discount {disc.code}: {problem}", reason="invalid-discount")


def _product(products: Mapping[str, Product], code: str, kind: str, account: Account) -> Product:
    product = products.get(code)
    if product is None:
        raise InvalidArgument(f"unknown product {code!r}", reason="unknown-product")
    if product.kind != kind:
        raise InvalidArgument(f"product {code} is {product.kind}, not {kind}", reason="wrong-product-kind")
    if product.currency != account.currency:
        raise InvalidArgument(f"product {code} is priced in {product.currency}, the account bills in "
                              f"{account.currency}", reason="currency-mismatch")
    if any(p.amount_minor < 0 for p in product.prices):
        raise InvalidArgument(f"product {code} has a negative price", reason="negative-price")
    return product
