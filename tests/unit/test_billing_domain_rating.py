from datetime import date

import pytest

from services.common.errors import InvalidArgument
from services.billing.domain.rating import (
    Account, Discount, OneTimeFee, Period, Price, Product, StateChange, Subscription, billable_days, rate,
    round_half_up)

D = date
BASIC = Product("DTV-BASIC", "数字电视基本包", "recurring", (Price(D(2020, 1, 1), 2650),))
PREMIUM = Product("DTV-MOVIE", "电影包", "recurring", (Price(D(2020, 1, 1), 3000), Price(D(2026, 3, 16), 3600)))
ANALOG = Product("CATV", "有线电视基本收视费", "recurring", (Price(D(2020, 1, 1), 1800),))
INSTALL = Product("INSTALL", "安装费", "one_time", (Price(D(2020, 1, 1), 5000), Price(D(2026, 6, 1), 6000)))
PRODUCTS = {p.code: p for p in (BASIC, PREMIUM, ANALOG, INSTALL)}
MARCH = Period.month(2026, 3)


def sub(product, *changes, service="S1"):
    return Subscription(service, product.code, tuple(StateChange(d, e) for d, e in changes))


def lines_of(*subs, account=Account(), fees=(), discounts=(), period=MARCH):
    return [(l.service_no, l.product_code, l.kind, l.days, l.amount_minor)
            for l in rate(period, account, subs, fees, PRODUCTS, discounts)]


def test_round_half_up():
    assert [round_half_up(n, 2) for n in (0, 1, 2, 3, 5)] == [0, 1, 1, 2, 3]
    assert round_half_up(2650 * 10, 31) == 855  # 854.83...
    assert round_half_up(1, 3) == 0


def test_whole_month_is_the_monthly_price():
    assert lines_of(sub(BASIC, (D(2025, 1, 5), "activated"))) == [("S1", "DTV-BASIC", "charge", 31, 2650)]


def test_mid_month_activation_is_prorated():
    # 2650 * 17 / 31 = 1453.2 -> 1453
    assert lines_of(sub(BASIC, (D(2026, 3, 15), "activated"))) == [("S1", "DTV-BASIC", "charge", 17, 1453)]


def test_activation_after_the_period_or_disconnection_before_it_charges_nothing():
    assert lines_of(sub(BASIC, (D(2026, 4, 1), "activated"))) == []
    assert lines_of(sub(BASIC, (D(2025, 1, 1), "activated"), (D(2026, 3, 1), "disconnected"))) == []


def test_suspension_and_restore_inside_the_period():
    # active 1..9 (suspended on the 10th), restored on the 20th: 9 + 12 = 21 days; 2650*21/31 = 1795.16
    s = sub(BASIC, (D(2025, 1, 1), "activated"), (D(2026, 3, 10), "suspended"), (D(2026, 3, 20), "restored"))
    assert lines_of(s) == [("S1", "DTV-BASIC", "charge", 21, 1795)]


def test_disconnection_day_is_not_charged():
    s = sub(ANALOG, (D(2025, 1, 1), "activated"), (D(2026, 3, 2), "disconnected"))
    assert lines_of(s) == [("S1", "CATV", "charge", 1, round_half_up(1800, 31))]


def test_same_day_changes_apply_in_the_given_order():
    s = sub(BASIC, (D(2026, 3, 5), "activated"), (D(2026, 3, 5), "disconnected"))
    assert lines_of(s) == []
    assert billable_days(s.changes[::-1], MARCH)[0] == D(2026, 3, 5)


def test_price_change_mid_period_splits_the_line():
    # 3000 for 1..15 (15 days), 3600 from the 16th (16 days): 1451.6 -> 1452 and 1858.06 -> 1858
    s = sub(PREMIUM, (D(2025, 1, 1), "activated"))
    assert lines_of(s) == [("S1", "DTV-MOVIE", "charge", 15, 1452), ("S1", "DTV-MOVIE", "charge", 16, 1858)]
    assert lines_of(s, period=Period.month(2026, 4)) == [("S1", "DTV-MOVIE", "charge", 30, 3600)]


def test_leap_february():
    feb = Period.month(2028, 2)
    assert feb.days == 29
    s = sub(BASIC, (D(2028, 2, 15), "activated"))  # 15 days of 29: 1370.69 -> 1371
    assert lines_of(s, period=feb) == [("S1", "DTV-BASIC", "charge", 15, 1371)]
    assert Period.month(2026, 2).days == 28


def test_one_time_fee_once_in_its_period_at_the_price_of_its_day():
    fees = (OneTimeFee("S1", "INSTALL", D(2026, 3, 20), "W100"), OneTimeFee("S1", "INSTALL", D(2026, 4, 2), "W101"))
    assert lines_of(fees=fees) == [("S1", "INSTALL", "one_time", 0, 5000)]
    june = rate(Period.month(2026, 6), Account(), [], [OneTimeFee("S2", "INSTALL", D(2026, 6, 1), "W9")], PRODUCTS)
    assert june[0].amount_minor == 6000 and "W9" in june[0].description


def test_percent_discount_with_an_end_date_inside_the_period():
    promo = Discount("SPRING", "春季促销", "percent", 20, D(2026, 2, 1), D(2026, 3, 10))
    s = sub(BASIC, (D(2025, 1, 1), "activated"))
    # 10 days at 20%: 2650*20*10/(100*31) = 170.97 -> 171
    assert lines_of(s, discounts=[promo]) == [("S1", "DTV-BASIC", "charge", 31, 2650),
                                              ("S1", "DTV-BASIC", "discount", 10, -171)]
    expired = Discount("OLD", "旧促销", "percent", 20, D(2025, 1, 1), D(2026, 2, 28))
    assert lines_of(s, discounts=[expired]) == [("S1", "DTV-BASIC", "charge", 31, 2650)]


def test_fixed_discount_is_prorated_and_never_exceeds_the_charge():
    s = sub(BASIC, (D(2026, 3, 15), "activated"))  # charge 1453 for 17 days
    fixed = Discount("F10", "立减10元", "fixed", 1000, D(2026, 1, 1))
    assert lines_of(s, discounts=[fixed])[1] == ("S1", "DTV-BASIC", "discount", 17, -548)  # 548.39
    huge = Discount("F99", "立减99元", "fixed", 9900, D(2026, 1, 1))
    half = Discount("P50", "五折", "percent", 50, D(2026, 1, 1))
    got = lines_of(s, discounts=[half, huge])
    assert got[1:] == [("S1", "DTV-BASIC", "discount", 17, -727), ("S1", "DTV-BASIC", "discount", 17, -726)]
    assert sum(l[4] for l in got) == 0


def test_discount_eligibility_vip_household_promotion():
    vip = Discount("VIP", "VIP优惠", "percent", 10, D(2020, 1, 1), eligibility="vip")
    home = Discount("HOME", "一户多终端", "percent", 50, D(2020, 1, 1), eligibility="household",
                    products=frozenset({"DTV-BASIC"}))
    code = Discount("NEW", "新装优惠", "fixed", 500, D(2020, 1, 1), eligibility="promotion", promotion_code="NEW2026")
    one = sub(BASIC, (D(2025, 1, 1), "activated"))
    second = sub(BASIC, (D(2025, 1, 1), "activated"), service="S2")
    kinds = lambda got: [(l[0], l[4]) for l in got if l[2] == "discount"]
    assert kinds(lines_of(one, discounts=[vip, home, code])) == []
    assert kinds(lines_of(one, account=Account(tier="VIP"), discounts=[vip, home, code])) == [("S1", -265)]
    assert kinds(lines_of(one, second, discounts=[vip, home, code])) == [("S1", -1325), ("S2", -1325)]
    assert kinds(lines_of(one, account=Account(promotion_codes=frozenset({"NEW2026"})),
                          discounts=[vip, home, code])) == [("S1", -500)]


def test_household_counts_services_billable_in_the_period_only():
    home = Discount("HOME", "一户多终端", "percent", 50, D(2020, 1, 1), eligibility="household")
    gone = sub(ANALOG, (D(2020, 1, 1), "activated"), (D(2026, 1, 1), "disconnected"), service="S2")
    assert [l for l in lines_of(sub(BASIC, (D(2025, 1, 1), "activated")), gone, discounts=[home])
            if l[2] == "discount"] == []


def test_discount_follows_a_split_price():
    s = sub(PREMIUM, (D(2025, 1, 1), "activated"))
    ten = Discount("P10", "九折", "percent", 10, D(2020, 1, 1))
    got = lines_of(s, discounts=[ten])
    assert got == [("S1", "DTV-MOVIE", "charge", 15, 1452), ("S1", "DTV-MOVIE", "discount", 15, -145),
                   ("S1", "DTV-MOVIE", "charge", 16, 1858), ("S1", "DTV-MOVIE", "discount", 16, -186)]


@pytest.mark.parametrize("bad", [
    lambda: lines_of(Subscription("S1", "NOPE", (StateChange(D(2025, 1, 1), "activated"),))),
    lambda: lines_of(Subscription("S1", "INSTALL", (StateChange(D(2025, 1, 1), "activated"),))),
    lambda: lines_of(sub(BASIC, (D(2025, 1, 1), "switched_on"))),
    lambda: lines_of(sub(BASIC, (D(2019, 12, 1), "activated")), period=Period.month(2019, 12)),
    lambda: lines_of(fees=[OneTimeFee("S1", "CATV", D(2026, 3, 2), "W1")]),
    lambda: lines_of(account=Account(currency="USD"), fees=[OneTimeFee("S1", "INSTALL", D(2026, 3, 2), "W1")]),
    lambda: lines_of(discounts=[Discount("X", "x", "percent", 0, D(2026, 1, 1))]),
    lambda: lines_of(discounts=[Discount("X", "x", "percent", 101, D(2026, 1, 1))]),
    lambda: lines_of(discounts=[Discount("X", "x", "fixed", -5, D(2026, 1, 1))]),
    lambda: lines_of(discounts=[Discount("X", "x", "bogof", 5, D(2026, 1, 1))]),
    lambda: lines_of(discounts=[Discount("X", "x", "fixed", 5, D(2026, 1, 1), eligibility="friends")]),
    lambda: lines_of(discounts=[Discount("X", "x", "fixed", 5, D(2026, 1, 1), eligibility="promotion")]),
    lambda: lines_of(discounts=[Discount("X", "x", "fixed", 5, D(2026, 2, 1), D(2026, 1, 1))]),
    lambda: Period(D(2026, 3, 1), D(2026, 3, 1)),
    lambda: rate(MARCH, Account(), [sub(BASIC, (D(2025, 1, 1), "activated"))], [],
                 {"DTV-BASIC": Product("DTV-BASIC", "x", "recurring", (Price(D(2020, 1, 1), -1),))}),
])
def test_bad_input_is_a_clear_invalid_argument(bad):
    with pytest.raises(InvalidArgument):
        bad()
