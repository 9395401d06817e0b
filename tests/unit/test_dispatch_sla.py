"""SLA rules: when an order is due, and the clock's windows (escalate before due, breach after)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.dispatch.domain.sla import clock_tick, due_at, on_time

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=TZ)


def test_a_repair_is_due_a_day_after_the_call_and_a_booked_visit_at_its_slot_end():
    assert due_at("repair", NOW, None, None, TZ) == NOW + timedelta(hours=24)
    assert due_at("digital_conversion", NOW, date(2027, 3, 2), "PM", TZ) == datetime(2027, 3, 2, 17, tzinfo=TZ)
    assert due_at("install", NOW, None, None, TZ) is None


def test_an_order_is_escalated_when_due_within_the_window_or_already_overdue():
    tick = clock_tick(NOW, timedelta(minutes=120))
    assert tick.escalates(NOW + timedelta(minutes=120))          # the edge of the window
    assert not tick.escalates(NOW + timedelta(minutes=121))
    assert tick.escalates(NOW - timedelta(days=1))               # made late, or the clock was down
    assert not tick.escalates(None)                              # nothing to keep


def test_an_order_is_breached_once_its_due_time_has_passed():
    tick = clock_tick(NOW, timedelta(minutes=120))
    assert tick.breached(NOW - timedelta(seconds=1))
    assert not tick.breached(NOW)                                # due now: still in time
    assert not tick.breached(None)


def test_an_escalation_window_after_the_due_time_is_a_mistake():
    with pytest.raises(ValueError):
        clock_tick(NOW, timedelta(minutes=-1))
    assert clock_tick(NOW, timedelta(0)).escalate_due_by == NOW


def test_on_time_is_arrival_by_the_due_time():
    assert on_time(NOW, NOW) is True and on_time(NOW, NOW + timedelta(seconds=1)) is False
    assert on_time(None, NOW) is None
