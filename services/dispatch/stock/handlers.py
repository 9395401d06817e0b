"""Device stock use cases: receipts into a station's stock, issues to technicians, hand-backs, counts and
what each technician carries; and the moves a completed order makes (`install`, `take_out`), which run in
the completion's transaction."""
from __future__ import annotations

from services.common.db import Database
from services.common.errors import AlreadyExists, IllegalTransition, InvalidArgument, NotFound
from services.common.inputrules import key, number
from services.common.paging import page_bounds

from .. import store as core_store
from ..domain import stock
from ..domain.access import Actor
from ..domain.completion import Device
from ..scheduling import store as roster
from . import store


class StockHandlers:
    def __init__(self, db: Database):
        self.db = db

    def receive(self, station_code: str, kind: str, model: str, serials: list[str], actor: Actor) -> dict:
        """Devices into a station's stock, all or none: a serial already known refuses the whole receipt,
        naming the serials, so a pallet scanned twice is not half received."""
        station_code = stock.station_of(actor, key("stationCode", station_code))
        kind, model, serials = stock.kind(kind), stock.model(model), stock.serials(serials)
        with self.db.transaction() as cur:
            core_store.ensure_station(cur, station_code, station_code)
            known = store.receive(cur, station_code, kind, model, serials, actor.username)
            if known:
                raise AlreadyExists(f"{len(known)} serials are already in stock or in the field: {stock.named(known)}",
                                    reason="duplicate-serials")
        return {"station_code": station_code, "kind": kind, "model": model, "received": len(serials)}

    def issue(self, technician: str, serials: list[str], actor: Actor) -> list[dict]:
        """Devices from station stock into a technician's hands; a dispatcher issues from their own station."""
        technician, serials = _username(technician), stock.serials(serials)
        with self.db.transaction() as cur:
            who = roster.technician(cur, technician)
            if who is None or not who["active"]:
                raise NotFound(f"{technician} is not an active technician on the roster", reason="unknown-technician")
            _held(cur, serials, "issue", lambda d: stock.may_move(actor, d) and d["station_code"] == who["station_code"],
                  (f"in the stock of {technician}'s station", "device-not-in-stock"))
            store.move(cur, "issue", serials, {"state": "issued", "technician": technician}, actor.username)
            return list(store.devices(cur, serials).values())

    def hand_back(self, serials: list[str], faulty: bool, actor: Actor) -> list[dict]:
        """Devices a technician brings back to their station: into stock, or set aside as faulty. A
        technician hands back their own; a dispatcher takes back for their station."""
        serials = stock.serials(serials)
        with self.db.transaction() as cur:
            _held(cur, serials, "return", lambda d: d["technician"] is not None and stock.may_move(actor, d),
                  ("held by you" if actor.role == "technician" else "held by a technician of your station",
                   "device-not-held"))
            store.move(cur, "return", serials, {"state": "faulty" if faulty else "in_stock"}, actor.username)
            return list(store.devices(cur, serials).values())

    def counts(self, station_code: str | None, actor: Actor) -> list[dict]:
        """Devices per station, kind, model and state: a station's staff see their own station's."""
        station_code = key("stationCode", station_code) if station_code else None
        if actor.scope and actor.role in stock.STATION_ROLES:
            station_code = stock.station_of(actor, station_code or actor.scope)
        with self.db.transaction() as cur:
            return store.counts(cur, station_code)

    def carried(self, technician: str, offset: int, limit: int, actor: Actor) -> tuple[list[dict], int]:
        technician = stock.carried_by(actor, _username(technician))
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            return store.carried(cur, technician, actor.scope if actor.role == "dispatcher" else None, offset, limit)


def install(cur, order: dict, devices: tuple[Device, ...], actor: Actor) -> list[dict]:
    """The devices of a completion into the customer's home: each must be in this technician's hands
    (else IllegalTransition device-not-held naming it, and the caller's transaction changes nothing) and
    of the kind reported. Answers them as the result records them, with stock's model."""
    if not devices:
        return []
    serials = [d.serial for d in devices]
    found = _held(cur, serials, "install", lambda d: d["technician"] == actor.username,
                  ("held by you", "device-not-held"))
    wrong = [d.serial for d in devices if found[d.serial]["kind"] != d.kind]
    if wrong:
        raise InvalidArgument(f"not the kind reported: {stock.named(wrong)}", reason="device-kind-mismatch")
    store.move(cur, "install", serials, {"state": "installed", "work_order_no": order["work_order_no"],
                                         "customer_no": order["customer_no"]}, actor.username)
    return [{"kind": d.kind, "serial": d.serial, "model": found[d.serial]["model"]} for d in devices]


def take_out(cur, order: dict, devices: tuple[Device, ...], actor: Actor) -> None:
    """The devices a completion removed, into the technician's hands to carry back (returned, or faulty).
    One stock never had (legacy equipment) is known from now on; one stock places on a shelf or in
    someone's hands cannot have been in the home."""
    if not devices:
        return
    found = store.devices(cur, [d.serial for d in devices])
    misplaced = [s for s, d in found.items() if d["state"] not in stock.FROM_STATES["remove"]]
    if misplaced:
        raise IllegalTransition(f"stock holds these as not installed at any home: {stock.named(misplaced)}",
                                reason="device-not-installed")
    for state in ("returned", "faulty"):
        values = {"state": state, "technician": actor.username, "work_order_no": order["work_order_no"],
                  "station_code": order["station_code"]}
        batch = [d for d in devices if (state == "faulty") == d.faulty]
        known = [d.serial for d in batch if d.serial in found]
        if known:
            store.move(cur, "remove", known, values, actor.username)
        for d in batch:
            if d.serial not in found:
                store.add_removed(cur, {"serial": d.serial, "kind": d.kind}, values, actor.username)


def _held(cur, serials: list[str], action: str, allowed, refusal: tuple[str, str]) -> dict[str, dict]:
    """The devices, locked, if each is known, in a state `action` moves from and `allowed`; else a refusal
    (what they are not, its reason) naming the ones that are not: nothing moves."""
    found = store.devices(cur, serials)
    what, reason = refusal
    missing = [s for s in serials if s not in found]
    if missing:
        raise IllegalTransition(f"unknown serials: {stock.named(missing)}",
                                reason=reason if action == "install" else "device-unknown")
    wrong = [s for s in serials if found[s]["state"] not in stock.FROM_STATES[action] or not allowed(found[s])]
    if wrong:
        raise IllegalTransition(f"not {what}: {stock.named(wrong)}", reason=reason)
    return found


def _username(value: str) -> str:
    """A technician's user name as they sign in with it (case counts)."""
    username = number("technician", value).strip()
    if not username:
        raise InvalidArgument("technician: a user name is required", reason="invalid-technician")
    return username
