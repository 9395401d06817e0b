"""The pure parts of the billing run: the period and cycle asked for, the due date, the bill document."""
from datetime import date

import pytest

from services.billing.documents.bill import bill_document
from services.billing.documents.render import to_html
from services.billing.runs.period import billable_yet, run_key
from services.common.errors import InvalidArgument


@pytest.mark.parametrize("period, start, end", [("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
                                                ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
                                                (" 2028-02 ", date(2028, 2, 1), date(2028, 3, 1))])
def test_a_period_is_a_calendar_month(period, start, end):
    key = run_key(period, 3)
    assert (key.start, key.end, key.cycle, key.days) == (start, end, 3, (end - start).days)
    assert key.lock_name == f"bill-run:{start:%Y-%m}:3"


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "1999-12", "２０２６-11"])
def test_a_malformed_period_is_refused(period):
    with pytest.raises(InvalidArgument) as caught:
        run_key(period, 1)
    assert caught.value.reason == "invalid-period"


@pytest.mark.parametrize("cycle", [0, 29, -1])
def test_a_cycle_out_of_range_is_refused(cycle):
    with pytest.raises(InvalidArgument) as caught:
        run_key("2026-11", cycle)
    assert caught.value.reason == "invalid-cycle"


def test_the_bill_document_prints_lines_totals_due_date_and_how_to_pay():
    bill = {"bill_no": "B50000001", "account_no": "A1", "account_name": "张三", "customer_no": "C1",
            "period_start": date(2026, 11, 1), "period_end": date(2026, 12, 1), "issued_on": date(2026, 12, 1),
            "due_on": date(2026, 12, 16), "amount_minor": 2200, "open_minor": 2200, "currency": "CNY",
            "state": "issued", "hold_reason": None,
            "lines": [{"service_no": "S1", "product_code": "DTV-BASIC", "kind": "charge", "description": "数字电视 基本包",
                       "days": 30, "amount_minor": 2500},
                      {"service_no": "S1", "product_code": "DTV-BASIC", "kind": "discount", "description": "VIP九折",
                       "days": 30, "amount_minor": -300}]}
    doc = bill_document(bill, "广电网络")
    assert ("账期", "2026-11-01 至 2026-11-30") in doc.facts and ("缴费截止日", "2026-12-16") in doc.facts
    assert doc.rows[1] == ["S1", "优惠", "VIP九折", "30", "-¥3.00"]
    assert doc.totals[0] == ("本期应缴", "¥22.00")
    page = to_html(doc)
    assert "数字电视 基本包" in page and "缴费方式" in page and "张三" in page


def test_a_period_is_billable_up_to_next_month():
    today = date(2026, 12, 3)
    assert billable_yet(run_key("2026-11", 1), today) and billable_yet(run_key("2027-01", 1), today)
    assert not billable_yet(run_key("2027-02", 1), today) and not billable_yet(run_key("2062-11", 1), today)


@pytest.mark.parametrize("period", ["9999-12", "1999-12", "3000-01"])
def test_a_period_outside_the_years_billing_works_with_is_refused(period):
    with pytest.raises(InvalidArgument) as caught:
        run_key(period, 1)
    assert caught.value.reason == "invalid-period"
