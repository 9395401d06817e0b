"""What billing reads of dispatch's work_order_completed: the work order's reference, type and day."""
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from services.billing.one_time_fees import fees_of
from services.common.errors import InvalidArgument

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOOD = {"workOrderNo": "W70000001", "type": "install", "customerNo": "C10000001", "serviceNo": "S30000001",
        "completedAt": "2026-11-30T17:30:00+00:00"}


def test_the_fee_is_dated_on_the_operators_day():
    assert fees_of(GOOD, SHANGHAI) == {"ref": "W70000001", "type": "install", "account_no": None,
                                       "service_no": "S30000001", "occurred_on": date(2026, 12, 1)}


@pytest.mark.parametrize("data", [
    None, [], {**GOOD, "workOrderNo": ""}, {**GOOD, "type": 7}, {k: v for k, v in GOOD.items() if k != "customerNo"},
    {**GOOD, "serviceNo": None}, {**GOOD, "completedAt": "yesterday"}, {**GOOD, "completedAt": "2026-11-30T17:30:00"},
])
def test_a_malformed_event_is_refused(data):
    with pytest.raises(InvalidArgument):
        fees_of(data, SHANGHAI)
