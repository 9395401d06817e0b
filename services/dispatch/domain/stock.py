"""Device stock: where a set-top box or smart card may move from, and who may move it.

    receive: (new) -> in_stock at a station          issue: in_stock -> issued to a technician
    install (completing an order): issued, held by that technician -> installed at the order's customer
    remove (completing an order): installed or never seen -> returned, or faulty, in the technician's hands
    return (handing back): issued | returned | faulty in a technician's hands -> in_stock, or faulty, at the station
"""
from __future__ import annotations

import re

from services.common.errors import InvalidArgument, PermissionDenied

from .access import Actor

KINDS = ("stb", "smart_card")
STATES = ("in_stock", "issued", "installed", "returned", "faulty")
SERIAL = re.compile(r"^[0-9A-Za-z-]{4,40}$")
MAX_SERIALS = 20000  # one pallet's receipt; a switch-over's 600,000 devices come in many
MODEL = re.compile(r"^[0-9A-Za-z _./-]{1,40}$")
# The states a device may leave by each action.
FROM_STATES = {"issue": ("in_stock",), "install": ("issued",), "remove": ("installed",),
               "return": ("issued", "returned", "faulty")}
NAMED = 20  # serials a refusal names; the count says how many more


def serials(values: list[str], what: str = "serials") -> list[str]:
    """The serials as given, refusing a malformed or repeated one (a repeat in one request is a
    scanning mistake: the whole request is refused, naming them)."""
    if not values:
        raise InvalidArgument(f"{what}: at least one serial", reason="invalid-serials")
    if len(values) > MAX_SERIALS:
        raise InvalidArgument(f"{what}: at most {MAX_SERIALS} serials per request", reason="invalid-serials")
    bad = [s for s in values if not SERIAL.match(s)]
    if bad:
        raise InvalidArgument(f"{what}: not 4 to 40 letters, digits or -: {named(bad)}", reason="invalid-serials")
    seen: set[str] = set()
    repeated = [s for s in values if s in seen or seen.add(s)]
    if repeated:
        raise InvalidArgument(f"{what}: given more than once: {named(list(dict.fromkeys(repeated)))}",
                              reason="duplicate-serials")
    return values


def named(serials_: list[str]) -> str:
    shown = ", ".join(serials_[:NAMED])
    return shown + (f" and {len(serials_) - NAMED} more" if len(serials_) > NAMED else "")


def kind(value: str) -> str:
    if value not in KINDS:
        raise InvalidArgument("kind must be stb or smart_card", reason="invalid-kind")
    return value


def model(value: str) -> str:
    if not MODEL.match(value or ""):
        raise InvalidArgument("model is 1 to 40 letters, digits, spaces or . _ / -", reason="invalid-model")
    return value


# Roles that work for one station (their scope): they receive, issue and count its stock only.
STATION_ROLES = ("dispatcher", "technician")


def station_of(actor: Actor, station_code: str) -> str:
    """The station a receipt or count is for: a station's staff only their own."""
    if actor.role in STATION_ROLES and station_code != actor.scope:
        raise PermissionDenied(f"the stock of {station_code} is not {actor.scope}'s to change or count")
    return station_code


def may_move(actor: Actor, device: dict) -> bool:
    """Whether the actor may issue or take back this device: a technician only what they carry, a
    dispatcher only their station's, oversight any."""
    if actor.role == "technician":
        return device["technician"] == actor.username
    if actor.role == "dispatcher":
        return device["station_code"] == actor.scope
    return True


def carried_by(actor: Actor, technician: str) -> str:
    """Whose devices this actor may list: a technician only their own."""
    if actor.role == "technician" and technician != actor.username:
        raise PermissionDenied("a technician sees only the devices they carry")
    return technician
