"""What a technician's completion report must hold for the order it completes: a result, the devices
installed and removed (at most one of each kind each way: the customer service records one smart card and
one set-top box per service), readings, notes and, where the customer takes on equipment or a service, the
customer's confirmation code.

The code is made with the order (migration 0020) and told to the customer by the front line (counter,
call centre: GET /workOrders/{id}/confirmationCode); the technician never sees it and types what the
customer reads out. It is required where the customer takes on something (an install, a conversion, a
swap) and checked whenever it is given. Six digits are a million codes: after MAX_WRONG_CODES wrong ones in
a row the order takes no code at all until the front line gives the customer a new one, so a guess has
about one chance in 200,000.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from services.common.errors import IllegalTransition, InvalidArgument

DEVICE_KINDS = ("stb", "smart_card")
RESULT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SERIAL = re.compile(r"^[0-9A-Za-z-]{4,40}$")
READING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
MAX_READINGS = 20
NOTES_MAX = 2000
CONFIRMED_TYPES = ("install", "digital_conversion", "equipment_swap")
MAX_WRONG_CODES = 5
# Service kinds whose network (the SMS) entitles a smart card, and those that also need a set-top box.
CARD_KINDS = ("digital_tv", "broadband")
BOX_KINDS = ("digital_tv",)


class WrongCode(InvalidArgument):
    reason = "confirmation-code-mismatch"


@dataclass(frozen=True)
class Device:
    kind: str
    serial: str
    model: str | None = None
    faulty: bool = False


@dataclass(frozen=True)
class Report:
    result_code: str
    installed: tuple[Device, ...] = ()
    removed: tuple[Device, ...] = ()
    readings: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    confirmation_code: str = ""


def check(report: Report, order_type: str, service_kind: str | None, confirmation_code: str) -> None:
    """InvalidArgument naming what is wrong with the report for an order of this type and service kind
    whose customer was given `confirmation_code`."""
    if not RESULT_CODE.match(report.result_code):
        raise InvalidArgument("resultCode is 1 to 40 letters, digits, _ or -", reason="invalid-result-code")
    _devices(report.installed, "devicesInstalled")
    _devices(report.removed, "devicesRemoved")
    serials = [d.serial for d in report.installed + report.removed]
    if len(set(serials)) != len(serials):
        raise InvalidArgument("a serial is both installed and removed", reason="invalid-devices")
    if len(report.readings) > MAX_READINGS or not all(
            READING_NAME.match(k) and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for k, v in report.readings.items()):
        raise InvalidArgument(f"signalReadings are at most {MAX_READINGS} names (a letter, then letters, digits or _) "
                              "with finite numbers", reason="invalid-readings")
    if len(report.notes) > NOTES_MAX:
        raise InvalidArgument(f"notes are at most {NOTES_MAX} characters", reason="invalid-notes")
    if why := combination_problem(order_type, service_kind, report.installed, report.removed):
        raise InvalidArgument(why, reason="invalid-device-combination")
    if order_type in CONFIRMED_TYPES and not report.confirmation_code:
        raise InvalidArgument(f"a {order_type.replace('_', ' ')} is confirmed by the customer: ask them for "
                              "their confirmationCode", reason="confirmation-code-required")
    if report.confirmation_code and report.confirmation_code != confirmation_code:
        raise WrongCode("the confirmationCode is not the customer's")


def code_locked(wrong_tries: int) -> bool:
    """Whether so many wrong codes were typed that the order takes none until the customer has a new one."""
    return wrong_tries >= MAX_WRONG_CODES


def check_codes_left(report: Report, order_type: str, wrong_tries: int) -> None:
    """Refuses (409) a completion that needs or gives a code, on an order on which too many wrong codes were
    typed, whatever code comes now."""
    if code_locked(wrong_tries) and (report.confirmation_code or order_type in CONFIRMED_TYPES):
        raise IllegalTransition(f"{wrong_tries} wrong confirmation codes were typed on this order: the front line "
                                "gives the customer a new code (POST .../confirmationCode) before it can be completed",
                                reason="confirmation-code-locked")


def wrong_code(wrong_tries: int) -> WrongCode:
    """The refusal of a wrong code, saying how many tries are left."""
    left = max(MAX_WRONG_CODES - wrong_tries, 0)
    if not left:
        return WrongCode("the confirmationCode is not the customer's, and that was the last try: the front line "
                         "gives the customer a new code")
    return WrongCode(f"the confirmationCode is not the customer's: {left} more {'try' if left == 1 else 'tries'} "
                     "before the order needs a new code")


def _devices(devices: tuple[Device, ...], what: str) -> None:
    for d in devices:
        if d.kind not in DEVICE_KINDS:
            raise InvalidArgument(f"{what}: kind must be stb or smart_card", reason="invalid-devices")
        if not SERIAL.match(d.serial):
            raise InvalidArgument(f"{what}: serial {d.serial!r} is not 4 to 40 letters, digits or -",
                                  reason="invalid-devices")
    kinds = [d.kind for d in devices]
    if len(set(kinds)) != len(kinds):
        raise InvalidArgument(f"{what}: at most one device of each kind per work order", reason="invalid-devices")


def combination_problem(order_type: str, service_kind: str | None, installed: tuple[Device, ...],
                        removed: tuple[Device, ...]) -> str | None:
    """Why these devices cannot carry out the order, or None.

    A digital TV install or a conversion puts in a smart card and a set-top box, a broadband install a card;
    an analog install and a disconnect put in nothing; a swap replaces each kind it removes with one of the
    same kind. Repairs, relocations and reconnections may replace whatever was found broken."""
    put_in, taken_out = {d.kind for d in installed}, {d.kind for d in removed}
    if order_type == "digital_conversion" or (order_type == "install" and service_kind in BOX_KINDS):
        if put_in != {"stb", "smart_card"}:
            return "a digital TV install or conversion installs one smart card and one set-top box"
    elif order_type == "install" and service_kind in CARD_KINDS:
        if "smart_card" not in put_in:
            return f"a {service_kind} install installs a smart card"
    elif order_type == "install" and service_kind == "analog_tv" or order_type == "disconnect":
        if put_in:
            return f"a{'n analog install' if order_type == 'install' else ' disconnect'} installs no devices"
    elif order_type == "equipment_swap":
        if not put_in or put_in != taken_out:
            return "a swap installs one device of each kind it removes, and removes at least one"
    return None


def result(report: Report, installed: list[dict]) -> dict:
    """The order's result as stored and published (keys read by messages.py and events.completed), with
    each installed device's model as stock knows it."""
    return {"resultCode": report.result_code,
            "devicesInstalled": installed,
            "devicesRemoved": [{"kind": d.kind, "serial": d.serial, "faulty": d.faulty} for d in report.removed],
            "signalReadings": report.readings, "notes": report.notes,
            "confirmationCode": report.confirmation_code or None}
