"""The product order's rules: what each type needs, which services it may change, its state machine, and
the devices a completed work order installed."""
from __future__ import annotations

import pytest

from services.common.errors import IllegalTransition, InvalidArgument
from services.customer.orders import domain
from services.customer.orders.domain import OrderShape


def shape(**changes) -> OrderShape:
    base = dict(order_type="install", kind="digital_tv", product_code="BASIC", service_no="", new_address=False,
                appointment_day="", appointment_slot="")
    return OrderShape(**{**base, **changes})


@pytest.mark.parametrize("order", [
    shape(),
    shape(kind="analog_tv", product_code="01", new_address=True, appointment_day="2026-12-07", appointment_slot="AM"),
    shape(order_type="relocation", kind="", product_code="", service_no="S1", new_address=True),
    shape(order_type="digital_conversion", kind="", service_no="S1"),
    shape(order_type="equipment_swap", kind="", product_code="", service_no="S1"),
    shape(order_type="disconnect", kind="", product_code="", service_no="S1"),
])
def test_orders_that_fit_their_type(order):
    domain.check_shape(order)


@pytest.mark.parametrize("order, reason", [
    (shape(order_type="repair"), "invalid-order-type"),
    (shape(kind=""), "invalid-kind"),
    (shape(kind="radio"), "invalid-kind"),
    (shape(service_no="S1"), "unexpected-service"),
    (shape(product_code=""), "product-required"),
    (shape(order_type="disconnect", kind="analog_tv", service_no="S1", product_code=""), "unexpected-kind"),
    (shape(order_type="disconnect", kind="", product_code=""), "service-required"),
    (shape(order_type="equipment_swap", kind="", service_no="S1"), "unexpected-product"),
    (shape(order_type="digital_conversion", kind="", service_no="S1", product_code=""), "product-required"),
    (shape(order_type="relocation", kind="", product_code="", service_no="S1"), "premises-required"),
    (shape(order_type="disconnect", kind="", product_code="", service_no="S1", new_address=True),
     "unexpected-premises"),
    (shape(appointment_day="2026-12-07"), "invalid-appointment"),
    (shape(appointment_day="2026-12-07", appointment_slot="EVENING"), "invalid-appointment"),
])
def test_orders_that_do_not_fit_their_type(order, reason):
    with pytest.raises(InvalidArgument) as caught:
        domain.check_shape(order)
    assert caught.value.reason == reason


def service(kind: str = "analog_tv", state: str = "active") -> dict:
    return {"service_no": "S1", "kind": kind, "state": state}


def test_which_services_an_order_may_change():
    domain.check_service("digital_conversion", service())
    domain.check_service("disconnect", service("broadband", "suspended"))
    domain.check_service("equipment_swap", service("digital_tv"))
    with pytest.raises(IllegalTransition) as caught:
        domain.check_service("digital_conversion", service("digital_tv"))
    assert caught.value.reason == "service-kind-not-allowed"
    for order_type in ("digital_conversion", "disconnect", "relocation"):
        with pytest.raises(IllegalTransition) as caught:
            domain.check_service(order_type, service(state="disconnected"))
        assert caught.value.reason == "service-state-not-allowed"
    with pytest.raises(IllegalTransition):
        domain.check_service("digital_conversion", service(state="suspended"))  # a suspended line is not converted
    with pytest.raises(IllegalTransition):
        domain.check_service("equipment_swap", service("analog_tv"))


def test_the_product_must_give_the_kind_ordered():
    domain.check_product_kind("broadband", {"kind": "broadband"}, "BB50")
    for kind, product, reason in (("digital_tv", None, "unknown-product"),
                                  ("digital_tv", {"kind": "broadband"}, "wrong-product-kind")):
        with pytest.raises(InvalidArgument) as caught:
            domain.check_product_kind(kind, product, "X")
        assert caught.value.reason == reason
    assert domain.new_service_kind("digital_conversion", "") == "digital_tv"
    assert domain.new_service_kind("install", "analog_tv") == "analog_tv"


def test_the_state_machine():
    assert domain.next_state("acknowledged", "start") == "inProgress"
    assert domain.next_state("inProgress", "complete") == "completed"
    assert domain.next_state("acknowledged", "complete") == "completed"  # events may overtake each other
    assert domain.next_state("inProgress", "fail") == "failed"
    assert domain.next_state("acknowledged", "cancel") == "cancelled"
    for state in ("completed", "failed", "cancelled"):
        for action in ("start", "complete", "fail", "cancel"):
            with pytest.raises(IllegalTransition) as caught:
                domain.next_state(state, action)
            assert caught.value.reason == "order-not-open"
    with pytest.raises(IllegalTransition):
        domain.next_state("inProgress", "start")


def test_devices_of_a_completed_work_order():
    e = domain.devices([{"kind": "smart_card", "serial": " 8001 "}, {"kind": "stb", "serial": "STB1", "model": "HS"}],
                       [{"kind": "stb", "serial": "STB0"}])
    assert (e.card, e.stb, e.stb_model, e.removed_card, e.removed_stb) == ("8001", "STB1", "HS", None, "STB0")
    assert domain.devices(None, None).card is None
    for installed in ("card", [{"kind": "modem", "serial": "M1"}], [{"kind": "stb"}],
                      [{"kind": "stb", "serial": "A"}, {"kind": "stb", "serial": "B"}]):
        with pytest.raises(InvalidArgument) as caught:
            domain.devices(installed, [])
        assert caught.value.reason == "invalid-devices"


def test_what_a_completion_needs_installed():
    card_and_box = domain.devices([{"kind": "smart_card", "serial": "8001"}, {"kind": "stb", "serial": "STB1"}], [])
    card_only = domain.devices([{"kind": "smart_card", "serial": "8001"}], [])
    nothing = domain.devices([], [])
    assert domain.missing_devices("install", "digital_tv", card_and_box) is None
    assert domain.missing_devices("install", "broadband", card_only) is None
    assert "set-top box" in domain.missing_devices("digital_conversion", "digital_tv", card_only)
    assert "smart card" in domain.missing_devices("install", "digital_tv", nothing)
    assert domain.missing_devices("install", "analog_tv", nothing) is None  # a line needs no device
    assert domain.missing_devices("disconnect", "digital_tv", nothing) is None
    swap = domain.devices([{"kind": "stb", "serial": "STB2"}], [{"kind": "stb", "serial": "STB1"}])
    assert domain.missing_devices("equipment_swap", "digital_tv", swap) is None
    assert domain.missing_devices("equipment_swap", "digital_tv", nothing) is not None
    assert domain.missing_devices("equipment_swap", "digital_tv", card_only) is not None  # no card removed
