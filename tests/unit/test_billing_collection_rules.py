"""Collection's pure rules: a mandate's fields, what follows a failed debit, the states an event leaves,
success rates, and how an agency file and an ISO file's id are read."""
from __future__ import annotations

import io
from datetime import date

import pytest

from services.billing.collection import OfferBatch, ReturnLine, load_layout, write_pain002, write_return
from services.billing.collection.handlers import _message_id, _parse
from services.billing.collection.model import FileRejected
from services.billing.collection.rules import (after_failure, bank, banks, exception_action, file_kind, leaving,
                                               mandate_fields, success_rate)
from services.billing.domain.retry import RetryPolicy
from services.common.errors import InvalidArgument
from services.common.workcalendar import WorkingCalendar

TODAY = date(2025, 6, 10)  # a Tuesday
CALENDAR = WorkingCalendar({}, {2025})
ICBC_OK = "6222020200112233446"  # 19 digits, 62..., Luhn


def test_a_valid_mandate_is_normalised():
    f = mandate_fields("icbc", " 张三 ", "6222 0202 0011 2233 446", "2025-06-01", TODAY)
    assert (f.bank_code, f.holder_name, f.bank_account_no, f.signed_on) == ("ICBC", "张三", ICBC_OK, date(2025, 6, 1))


@pytest.mark.parametrize("bank_code,holder,number,signed,reason", [
    ("XYZ", "张三", ICBC_OK, "2025-06-01", "unknown-bank"),
    ("ICBC", "  ", ICBC_OK, "2025-06-01", "invalid-mandate"),
    ("ICBC", "张三", "6222020200112233445", "2025-06-01", "invalid-bank-account"),  # Luhn
    ("ICBC", "张三", "622202020011223", "2025-06-01", "invalid-bank-account"),  # length
    ("ICBC", "张三", ICBC_OK, "2025-13-01", "invalid-mandate"),
    ("ICBC", "张三", ICBC_OK, "2025-06-11", "invalid-mandate"),  # signed in the future
    ("ICBC", "王䶮", ICBC_OK, "2025-06-01", "invalid-mandate"),  # no GBK for it: the file could not carry it
    ("ICBC", "李𠮷", ICBC_OK, "2025-06-01", "invalid-mandate"),
    ("CCB", "张｜三", ICBC_OK, "2025-06-01", "invalid-mandate"),  # folds to CCB's field separator
])
def test_a_bad_mandate_is_refused_with_its_reason(bank_code, holder, number, signed, reason):
    with pytest.raises(InvalidArgument) as e:
        mandate_fields(bank_code, holder, number, signed, TODAY)
    assert e.value.reason == reason


def test_banks_default_to_every_shipped_one():
    assert banks([]) == ["BOC", "CCB", "ICBC"]
    assert banks(["ccb", "CCB"]) == ["CCB"]
    assert bank("boc").code == "BOC"


def test_insufficient_funds_retries_on_a_working_day_until_the_attempts_are_used():
    first = after_failure("insufficient_funds", 1, TODAY, CALENDAR)
    assert first.state == "retry_scheduled" and not first.flag_mandate
    assert first.next_attempt_on == date(2025, 6, 17)  # five working days later
    last = after_failure("insufficient_funds", RetryPolicy().max_attempts, TODAY, CALENDAR)
    assert (last.state, last.next_attempt_on, last.flag_mandate) == ("failed", None, False)


@pytest.mark.parametrize("reason", ["account_closed", "mandate_invalid", "invalid_account", "holder_mismatch",
                                    "amount_limit_exceeded", "debtor_refused"])
def test_reasons_a_counter_must_fix_stop_and_flag_the_mandate(reason):
    assert after_failure(reason, 1, TODAY, CALENDAR) == after_failure(reason, 2, TODAY, CALENDAR)
    step = after_failure(reason, 1, TODAY, CALENDAR)
    assert (step.state, step.next_attempt_on, step.flag_mandate) == ("failed", None, True)


def test_an_unknown_reason_stops_without_flagging():
    step = after_failure("other", 1, TODAY, CALENDAR)
    assert (step.state, step.flag_mandate) == ("failed", False)


def test_the_states_an_event_leaves_come_from_the_domain_tables():
    assert leaving("debit", "succeed") == ["sent"]
    assert leaving("mandate", "flag_renewal") == ["active", "needs_renewal"]
    assert leaving("debit_batch", "download") == ["downloaded", "offered"]


def test_success_rate():
    assert success_rate(0, 0) is None
    assert success_rate(95, 5) == 0.95
    assert success_rate(2, 1) == 0.6667


def test_exception_actions_and_file_kinds():
    assert exception_action("ignore", "") == "ignore"
    with pytest.raises(InvalidArgument):
        exception_action("apply-to-account", " ")
    with pytest.raises(InvalidArgument):
        exception_action("delete", "A1")
    assert file_kind("") == "result" and file_kind("agency") == "agency"
    with pytest.raises(InvalidArgument):
        file_kind("other")


def _agency_file(ok: bool) -> bytes:
    layout = load_layout("CCB")
    out = io.BytesIO()
    line = ReturnLine(0, "SER1", "A000000000001", 1500, ok, "" if ok else "51", None, "", "张三", "A000000000001")
    write_return(layout, OfferBatch("AGENCY1", TODAY, TODAY, "x"), [line], out)
    return out.getvalue()


def test_an_agency_file_lists_payments_taken():
    result = _parse(load_layout("CCB"), "agency", _agency_file(True))
    assert [(x.reference, x.account_number, x.amount_minor) for x in result.lines] == [("SER1", "A000000000001", 1500)]
    with pytest.raises(FileRejected) as e:
        _parse(load_layout("CCB"), "agency", _agency_file(False))
    assert e.value.errors[0].where.startswith("line ")


def test_an_iso_file_is_known_by_its_message_id():
    batch = OfferBatch("D1", TODAY, TODAY, "x")
    line = ReturnLine(0, "DD1", ICBC_OK, 100, True, "", None)
    assert _message_id(write_pain002(batch, [line], message_id="MSG-42")) == "MSG-42"
