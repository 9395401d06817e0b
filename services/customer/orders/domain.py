"""The rules of a product order, pure: what each order type needs, which services it may change, the
order's state machine, and which devices a completed work order installed.

An action not in the state table for the order's state is an IllegalTransition, never a silent no-op.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common import inputrules
from services.common.errors import AlreadyExists, IllegalTransition, InvalidArgument
from services.common.statemachine import StateMachine

from ..legacy.ports import Equipment

ORDER_TYPES, KINDS, SLOTS = inputrules.ORDER_TYPES, inputrules.SERVICE_KINDS, inputrules.APPOINTMENT_SLOTS
OPEN_STATES = ("acknowledged", "inProgress")

# (state, action) -> new state. Dispatch's events may overtake each other (a requeued work_order_created
# after its completion), so an acknowledged order may complete or fail without having been started.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("acknowledged", "start"): "inProgress",
    ("acknowledged", "complete"): "completed",
    ("acknowledged", "fail"): "failed",
    ("acknowledged", "cancel"): "cancelled",
    ("inProgress", "complete"): "completed",
    ("inProgress", "fail"): "failed",
    ("inProgress", "cancel"): "cancelled",
}

# order type -> (kinds of service it changes, states that service may be in). An install makes its own.
CHANGES = {
    "relocation": (KINDS, ("active", "suspended")),
    "digital_conversion": (("analog_tv",), ("active",)),
    # Set-top boxes and smart cards are the SMS's; an analog line or a modem has none to swap here.
    "equipment_swap": (("digital_tv",), ("active", "suspended")),
    "disconnect": (KINDS, ("active", "suspended")),
}
# order types that create a pending service, and the kind it gets when the order does not say
CREATES = {"install": None, "digital_conversion": "digital_tv"}
# Where a new service of each kind lives: the legacy system that controls its network.
ORIGIN_OF_KIND = {"analog_tv": "cms", "digital_tv": "sms", "broadband": "sms"}


ORDER = StateMachine("product order", TRANSITIONS, refusal="order-not-open")
next_state = ORDER.next_state


@dataclass(frozen=True)
class OrderShape:
    """What the clerk asked for, as far as it can be judged without the database."""
    order_type: str
    kind: str
    product_code: str
    service_no: str
    new_address: bool  # premises given (an address or a premises id)
    appointment_day: str
    appointment_slot: str


def check_shape(o: OrderShape) -> None:
    """Refuse an order whose fields do not fit its type (InvalidArgument, a reason per mistake)."""
    if o.order_type not in ORDER_TYPES:
        raise InvalidArgument(f"orderType must be one of {', '.join(ORDER_TYPES)}", reason="invalid-order-type")
    if o.order_type == "install":
        if o.kind not in KINDS:
            raise InvalidArgument(f"an install names its kind: one of {', '.join(KINDS)}", reason="invalid-kind")
        if o.service_no:
            raise InvalidArgument("an install creates its service: leave serviceNo out", reason="unexpected-service")
    else:
        if o.kind:
            raise InvalidArgument("kind is for an install only; the service ordered on decides it",
                                  reason="unexpected-kind")
        if not o.service_no:
            raise InvalidArgument(f"a {o.order_type} names the existing service: serviceNo", reason="service-required")
    if o.order_type in CREATES and not o.product_code:
        raise InvalidArgument(f"a {o.order_type} names the product it brings: productCode", reason="product-required")
    if o.order_type not in CREATES and o.product_code:
        raise InvalidArgument(f"a {o.order_type} keeps the service's product: leave productCode out",
                              reason="unexpected-product")
    if o.order_type == "relocation" and not o.new_address:
        raise InvalidArgument("a relocation names the new premises (premises or premisesId)",
                              reason="premises-required")
    if o.order_type not in ("install", "relocation") and o.new_address:
        raise InvalidArgument(f"a {o.order_type} happens where the service is: leave premises out",
                              reason="unexpected-premises")
    if bool(o.appointment_day) != bool(o.appointment_slot) or (o.appointment_slot and o.appointment_slot not in SLOTS):
        raise InvalidArgument(f"an appointment has a day and a slot ({' or '.join(SLOTS)})",
                              reason="invalid-appointment")


def new_service_kind(order_type: str, kind: str) -> str:
    return CREATES[order_type] or kind


def check_product_kind(kind: str, product: dict | None, product_code: str) -> None:
    """The product must exist in the catalogue of the legacy system of `kind` and give that kind."""
    if product is None:
        raise InvalidArgument(f"unknown product {product_code} for {kind}", reason="unknown-product")
    if product["kind"] != kind:
        raise InvalidArgument(f"product {product_code} gives {product['kind']}, not {kind}", reason="wrong-product-kind")


def check_service(order_type: str, service: dict) -> None:
    """The existing service must be of a kind and in a state the order type changes."""
    kinds, states = CHANGES[order_type]
    if service["kind"] not in kinds:
        raise IllegalTransition(f"a {order_type} needs a {' or '.join(kinds)} service; {service['service_no']} "
                                f"is {service['kind']}", reason="service-kind-not-allowed")
    if service["state"] not in states:
        raise IllegalTransition(f"a {order_type} needs a service that is {' or '.join(states)}; "
                                f"{service['service_no']} is {service['state']}", reason="service-state-not-allowed")


def open_order_exists(service_no: str, order_no: str) -> AlreadyExists:
    return AlreadyExists(f"service {service_no} has an open order {order_no}; complete or cancel it first",
                         reason="open-order-exists")


def devices(installed: object, removed: object) -> Equipment:
    """The smart card and set-top box of devicesInstalled and devicesRemoved (at most one of each kind)."""
    def by_kind(items: object, what: str) -> dict[str, dict]:
        if items is None:
            return {}
        if not isinstance(items, list) or not all(isinstance(d, dict) for d in items):
            raise InvalidArgument(f"{what} is a list of devices", reason="invalid-devices")
        found: dict[str, dict] = {}
        for d in items:
            kind, serial = d.get("kind"), d.get("serial")
            if kind not in ("stb", "smart_card") or not isinstance(serial, str) or not serial.strip():
                raise InvalidArgument(f"{what}: each device has a kind (stb or smart_card) and a serial",
                                      reason="invalid-devices")
            if kind in found:
                raise InvalidArgument(f"{what}: one {kind} per work order", reason="invalid-devices")
            found[kind] = {**d, "serial": serial.strip()}
        return found

    new, old = by_kind(installed, "devicesInstalled"), by_kind(removed, "devicesRemoved")
    model = new.get("stb", {}).get("model")
    return Equipment(card=new.get("smart_card", {}).get("serial"), stb=new.get("stb", {}).get("serial"),
                   stb_model=model if isinstance(model, str) and model.strip() else None,
                   removed_card=old.get("smart_card", {}).get("serial"), removed_stb=old.get("stb", {}).get("serial"))


def missing_devices(order_type: str, kind: str, d: Equipment) -> str | None:
    """Why the installed devices cannot carry the order out, or None. A digital install or conversion
    needs a smart card (the SMS entitles cards) and, for television, a set-top box; a swap replaces at
    least one device with one of its kind."""
    if order_type in CREATES and ORIGIN_OF_KIND[kind] == "sms":
        if d.card is None:
            return "no smart card was installed: the SMS entitles a card"
        if kind == "digital_tv" and d.stb is None:
            return "no set-top box was installed for digital television"
    if order_type == "equipment_swap":
        if not (d.card or d.stb):
            return "nothing was installed in place of the old equipment"
        if (d.card is None) != (d.removed_card is None) or (d.stb is None) != (d.removed_stb is None):
            return "a swap installs one device of each kind it removes"
    return None
