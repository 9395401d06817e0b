"""The pure rules of counter payments: amounts and currencies, methods and counters, refunds, closings,
and the receipt document."""
from datetime import date, datetime, timezone

import pytest

from services.billing.payments import receipt, rules
from services.common.errors import IllegalTransition, InvalidArgument


@pytest.mark.parametrize("minor", [1, 12800, rules.MAX_AMOUNT_MINOR])
def test_a_positive_amount_in_the_accounts_currency_passes(minor):
    assert rules.amount(minor, "cny", "CNY") == minor


@pytest.mark.parametrize("minor, currency, reason", [
    (0, "CNY", "invalid-amount"), (-1, "CNY", "invalid-amount"), (rules.MAX_AMOUNT_MINOR + 1, "CNY", "invalid-amount"),
    (100, "USD", "currency-mismatch"), (100, "", "currency-mismatch")])
def test_bad_amounts_are_refused_with_their_reason(minor, currency, reason):
    with pytest.raises(InvalidArgument) as caught:
        rules.amount(minor, currency, "CNY")
    assert caught.value.reason == reason


def test_a_correction_may_be_negative_but_not_zero_or_absurd():
    assert rules.amount(-500, "CNY", "CNY", signed=True) == -500
    for minor in (0, -rules.MAX_AMOUNT_MINOR - 1):
        with pytest.raises(InvalidArgument):
            rules.amount(minor, "CNY", "CNY", signed=True)


def test_a_declared_nothing_needs_no_currency():
    assert rules.declared(0, "", "CNY", "declared cash") == 0
    assert rules.declared(4900, "CNY", "CNY", "declared cash") == 4900
    with pytest.raises(InvalidArgument):
        rules.declared(-1, "CNY", "CNY", "declared cash")


def test_methods_and_counters():
    assert rules.method("card") == "card" and rules.counter(" w-01 ") == "W-01"
    for bad in ("cheque", "bank_debit", "CASH"):
        with pytest.raises(InvalidArgument):
            rules.method(bad)
    for bad in ("", "窗口1", "W" * 17, "W 1"):
        with pytest.raises(InvalidArgument):
            rules.counter(bad)


def test_reasons_are_required_and_bounded():
    assert rules.reason(" 重复缴费 ") == "重复缴费"
    for bad in ("", "   ", "x" * 501, "a\x00b"):
        with pytest.raises(InvalidArgument):
            rules.reason(bad)


def test_refunds_never_exceed_what_is_left():
    assert rules.refund_amount(None, 6000, 0) == 6000
    assert rules.refund_amount(None, 6000, 2000) == 4000
    assert rules.refund_amount(4000, 6000, 2000) == 4000
    with pytest.raises(InvalidArgument) as caught:
        rules.refund_amount(4001, 6000, 2000)
    assert caught.value.reason == "refund-exceeds-payment"
    with pytest.raises(IllegalTransition) as caught:
        rules.refund_amount(None, 6000, 6000)
    assert caught.value.reason == "payment-already-refunded"


def test_a_closing_day_is_a_past_or_present_date():
    today = date(2025, 10, 8)
    assert rules.closing_day("2025-10-08", today) == today
    assert rules.closing_day("2025-09-30", today) == date(2025, 9, 30)
    for bad in ("2025-10-09", "2025-02-30", "yesterday", ""):
        with pytest.raises(InvalidArgument):
            rules.closing_day(bad, today)


def test_closing_arithmetic():
    cash, card = rules.Tally(count=2, ledger_minor=3500, declared_minor=3400), rules.Tally(1, 4000, 4000)
    assert cash.difference == -100 and card.difference == 0
    assert not rules.balanced(cash, card) and rules.balanced(card, rules.Tally(0, 0, 0))


def payment(**changes):
    return {"payment_no": "P60000001", "customer_no": "C10000001", "account_no": "A20000001", "account_name": "张三",
            "received_at": datetime(2025, 10, 7, 16, 30, tzinfo=timezone.utc), "received_by": "counter",
            "counter": "W1", "reference": None, "amount_minor": 12800, "currency": "CNY", "method": "cash",
            "refunded_minor": 0, "balance_after_minor": -2000, **changes}


def test_the_receipt_shows_the_payment_in_the_operators_time():
    doc = receipt.document(payment(), "Asia/Shanghai")
    facts = dict(doc.facts)
    assert facts["收款时间 Received"] == "2025-10-08 00:30"  # past midnight in Beijing
    assert facts["账户 Account"] == "A20000001 张三" and "参考号 Reference" not in facts
    assert doc.rows == [["缴费 Payment", "现金 Cash", "¥128.00"]]
    assert ("缴费后余额 Credit after payment", "¥20.00") in doc.totals


def test_the_receipt_shows_refunds_and_what_is_still_owed():
    doc = receipt.document(payment(refunded_minor=500, balance_after_minor=300, reference="POS-1"), "Asia/Shanghai")
    assert ("已退款 Refunded", "¥5.00") in doc.totals and ("缴费后欠费 Balance owed", "¥3.00") in doc.totals
    assert dict(doc.facts)["参考号 Reference"] == "POS-1"
