"""Billing's suspension and restoration requests become the customer service's command, or a clear error."""
import pytest

from services.common.errors import InvalidArgument
from services.customer.billing_requests import command


def event(**data):
    return {"eventId": "e1", "type": "suspension_requested", "source": "billing", "data": data}


def test_a_request_becomes_a_state_change_by_billing():
    cmd = command(event(customerNo=" c10000001 ", serviceNo="S30000001", reason="unpaid", requestId="R7"), "suspend")
    assert (cmd.customer_no, cmd.service_no, cmd.action) == ("C10000001", "S30000001", "suspend")
    assert cmd.actor.username == "billing"
    assert cmd.reason == "billing request R7: unpaid"


def test_reason_and_request_id_are_optional():
    assert command(event(customerNo="C1", serviceNo="S1"), "restore").reason == "billing"


@pytest.mark.parametrize("data", [{}, {"customerNo": "C1"}, {"customerNo": "C1", "serviceNo": 7},
                                  {"customerNo": "C1", "serviceNo": "S1", "reason": "x" * 600}])
def test_a_malformed_request_is_invalid(data):
    with pytest.raises(InvalidArgument):
        command(event(**data), "suspend")


def test_an_event_without_data_is_invalid():
    with pytest.raises(InvalidArgument):
        command({"eventId": "e1", "type": "suspension_requested"}, "suspend")
