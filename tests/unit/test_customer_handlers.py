"""Checks the customer handlers make on what people type before any database or legacy system is touched
(the handlers get no database here: reaching it would fail the test)."""
import pytest

from services.common.errors import InvalidArgument
from services.customer.handlers import (Actor, ChangeServiceState, CreateCustomer, CustomerHandlers,
                                        RecordContact, UpdateContact)

ACTOR = Actor("clerk")
NO_IO = CustomerHandlers(db=None, cms=None, sms=None)


@pytest.mark.parametrize("make", [
    lambda: CreateCustomer(name="张\x00三", actor=ACTOR),
    lambda: CreateCustomer(name="张三", email="a\x00@b.cn", actor=ACTOR),
    lambda: UpdateContact(customer_no="C1", address="文三路\x00", actor=ACTOR),
    lambda: ChangeServiceState(customer_no="C1", service_no="S1", action="suspend", reason="\x00", actor=ACTOR),
    lambda: RecordContact(customer_no="C1", channel="phone", kind="note", summary="hi\x00", actor=ACTOR),
    lambda: Actor(username="clerk\x00"),
])
def test_nul_in_any_command_field_is_invalid_text(make):
    with pytest.raises(InvalidArgument) as err:
        make()
    assert err.value.reason == "invalid-text"


@pytest.mark.parametrize("make", [
    lambda: RecordContact(customer_no="C1", channel="phone", kind="k" * 51, summary="hi", actor=ACTOR),
    lambda: ChangeServiceState(customer_no="C1", service_no="S1", action="suspend", reason="r" * 501, actor=ACTOR),
    lambda: Actor(username="u" * 51),
    lambda: CreateCustomer(name="张三", email="a" * 2001, actor=ACTOR),
])
def test_overlong_text_is_invalid_text(make):
    with pytest.raises(InvalidArgument) as err:
        make()
    assert err.value.reason == "invalid-text"


@pytest.mark.parametrize("call", [
    lambda: NO_IO.search("138\x00"),
    lambda: NO_IO.get("C1\x00"),
    lambda: NO_IO.services("\x00"),
])
def test_nul_in_a_query_is_invalid_text(call):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.reason == "invalid-text"


@pytest.mark.parametrize("recent_contacts", [-1, 201])
def test_recent_contacts_out_of_range_is_invalid_page(recent_contacts):
    with pytest.raises(InvalidArgument) as err:
        NO_IO.get("C1", recent_contacts)
    assert err.value.reason == "invalid-page"


@pytest.mark.parametrize("call", [
    lambda: NO_IO.create(CreateCustomer(name="张三", address="路" * 301, actor=ACTOR)),
    lambda: NO_IO.update_contact(UpdateContact(customer_no="C1", address="路" * 301, actor=ACTOR)),
])
def test_an_address_too_long_to_index_is_invalid_address(call):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.reason == "invalid-address"
