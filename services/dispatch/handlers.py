"""Dispatch's core use cases: making work orders (from a product order, a fault call or a complaint),
reading them as each role may, and the one way every part changes an order: `transition`.

A command in, one transaction, rows out; the gRPC servicer only translates.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from services.common.db import Database
from services.common.errors import DomainError, InvalidArgument, NotFound, PermissionDenied
from services.common.inputrules import REASON_MAX, key, prose
from services.common.outbox import emit
from services.common.paging import batch_keys, page_bounds

from . import events, store
from .campaigns import store as campaigns
from .domain import sla
from .domain.access import Actor, list_scope, sees
from .domain.states import EVENTS, STATES, may_take, next_state, validate_type
from .domain.timeslots import parse_day
from .scheduling import booking
from .service import NAME

SYSTEM = Actor("dispatch", "system")
log = logging.getLogger(__name__)


def transition(cur, order: dict, action: str, actor: Actor, detail: dict | None = None,
               fields: dict | None = None, event: Callable[[dict], dict] | None = None) -> dict:
    """Take `action` on a locked order: check who may and the state machine, set the new state and
    `fields`, record the transition and publish its event (payload `event(order after)`, or none when
    the action has no event). Answers the order as it is now."""
    if actor.role != "system" and not may_take(action, actor.role, actor.username, order["technician"]):
        raise PermissionDenied(f"a {actor.role} may not {action.replace('_', ' ')} work order "
                               f"{order['work_order_no']}")
    to_state = next_state(order["state"], action)
    store.update_work_order(cur, order["id"], {"state": to_state, **(fields or {})}, actor.username)
    store.record_transition(cur, order["id"], action, order["state"], to_state, actor.username, detail or {})
    after = store.work_order(cur, order["work_order_no"])
    if event is not None and action in EVENTS:
        emit(cur, NAME, EVENTS[action], event(after))
    return after


def visible_order(cur, work_order_no: str, actor: Actor, lock: bool = False) -> dict:
    """The order, if this actor may see it; otherwise NotFound, as if it did not exist."""
    order = store.work_order(cur, key("workOrderNo", work_order_no).upper(), lock=lock)
    if not sees(actor, order["station_code"], order["technician"]):
        raise NotFound(f"work order {work_order_no} does not exist", reason="work-order-not-found")
    return order


class DispatchHandlers:
    def __init__(self, db: Database, timezone: str):
        self.db = db
        self.tz = ZoneInfo(timezone)

    def from_product_order(self, data: dict) -> dict | None:
        """The work order of a customer service's service_ordered (contract: README "Events"), or None
        when that product order already has one."""
        order = _ordered(data)
        with self.db.transaction() as cur:
            created = self._create(cur, order, data["premises"].get("stationName") or "")
            if created is not None and data.get("appointment") is not None:
                created = self._book_on_arrival(cur, created, data["appointment"])
            return created

    def _book_on_arrival(self, cur, order: dict, appointment: object) -> dict:
        """Book the slot the customer chose at the counter; a slot that is full or cannot be booked leaves
        the order open for the dispatcher to arrange with the customer."""
        try:
            if not (isinstance(appointment, dict)
                    and all(isinstance(appointment.get(k), str) for k in ("day", "slot"))):
                raise InvalidArgument("appointment must be {day, slot}", reason="invalid-appointment")
            day, slot = parse_day("appointment.day", appointment["day"]), appointment["slot"]
            fields = booking.take_place(cur, order, day, slot, datetime.now(self.tz))
        except DomainError as exc:
            log.warning("appointment not booked; the order stays open",
                        extra={"workOrderNo": order["work_order_no"], "appointment": appointment,
                               "detail": exc.message})
            return order
        return transition(cur, order, "schedule", SYSTEM, {"day": day.isoformat(), "slot": slot}, fields,
                          event=lambda o: events.scheduled(o, False))

    def create(self, values: dict, station_name: str, actor: Actor) -> dict:
        """A fault call's or a complaint's order; the same request id again answers the first order."""
        validate_type(values["type"])
        if values["source"] not in ("fault", "complaint"):
            raise InvalidArgument("source must be fault or complaint", reason="invalid-source")
        with self.db.transaction() as cur:
            if values.get("request_id") and (existing := store.work_order_by(cur, "request_id", values["request_id"])):
                return existing
            return self._create(cur, {**values, "created_by": actor.username, "updated_by": actor.username},
                                station_name)

    def _create(self, cur, values: dict, station_name: str) -> dict | None:
        store.ensure_station(cur, values["station_code"], station_name, values.get("area_code"))
        due = sla.due_at(values["type"], datetime.now(self.tz), None, None, self.tz)
        order = store.insert_work_order(cur, {**values, "due_at": due})
        if order is None:
            return None
        store.record_transition(cur, order["id"], "create", None, order["state"], order["created_by"],
                                {"source": order["source"]})
        emit(cur, NAME, "work_order_created", events.created(order))
        return order

    def get(self, work_order_no: str, actor: Actor) -> dict:
        """The order with what a technician needs before the visit: its history and earlier visits."""
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor)
            order["history"] = store.history(cur, order["id"])
            order["earlier_visits"] = store.earlier_visits(cur, order)
            return order

    def list(self, filters: dict, offset: int, limit: int, actor: Actor) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        if filters.get("state") and filters["state"] not in STATES:
            raise InvalidArgument(f"state must be one of {', '.join(STATES)}", reason="invalid-state")
        if filters.get("type"):
            validate_type(filters["type"])
        if filters.get("customer_no"):
            filters["customer_no"] = key("customerNo", filters["customer_no"]).upper()
        with self.db.transaction() as cur:
            if campaign_no := filters.pop("campaign_no", ""):
                # An unknown campaign has no orders: the filter matches nothing (no id is negative).
                filters["campaign_id"] = campaigns.campaign_id(cur, key("campaignNo", campaign_no)) or -1
            return store.work_orders(cur, {**filters, **list_scope(actor)}, offset, limit)

    def open_orders(self, customer_no: str, limit: int, actor: Actor) -> list[dict]:
        key("customerNo", customer_no)  # asked alone, a malformed number is an error
        return self.open_orders_of([(customer_no, limit, actor)])[0]

    def open_orders_of(self, asked: list[tuple[str, int, Actor]]) -> list[list[dict]]:
        """open_orders() of each (customer, limit, actor), in order: one statement for each scope and limit
        among them, a read without BEGIN and COMMIT round trips; none for an unknown or malformed number
        (paging.batch_keys)."""
        numbers = batch_keys("customerNo", [customer_no for customer_no, _, _ in asked])
        groups: dict[tuple, list[str]] = {}
        keys = []
        for number, (_, limit, actor) in zip(numbers, asked):
            group = (tuple(sorted(list_scope(actor).items())), page_bounds(0, limit)[1])
            keys.append((group, number))
            if number:
                groups.setdefault(group, []).append(number)
        with self.db.statement() as cur:
            found = {group: store.open_work_orders(cur, numbers, dict(group[0]), group[1])
                     for group, numbers in groups.items()}
        return [found[group].get(number, []) if number else [] for group, number in keys]

    def change(self, work_order_no: str, action: str, reason: str, actor: Actor) -> dict:
        """A dispatcher's or supervisor's cancel, or a supervisor's reopening of a completed order."""
        if action not in ("cancel", "reopen"):
            raise InvalidArgument("action must be cancel or reopen", reason="unknown-action")
        reason = prose("reason", reason, REASON_MAX)
        if not reason:
            raise InvalidArgument(f"a reason is required to {action}", reason="reason-required")
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            # Cancelling or reopening takes the order off its technician's list; reopening re-dispatches it.
            after = transition(cur, order, action, actor, {"reason": reason},
                               {"technician": None, "slot_day": None, "slot": None} if action == "reopen"
                               else {"technician": None})
            if action == "cancel":  # a completed order's visit used its place; a cancelled one's is free again
                booking.release_place(cur, order)
            return after


def _ordered(data: object) -> dict:
    """A service_ordered payload as work order columns, or InvalidArgument naming what is wrong."""
    if not isinstance(data, dict):
        raise InvalidArgument("the event has no data", reason="invalid-event")
    premises = data.get("premises")
    required = ("orderNo", "orderType", "customerNo")
    if not all(isinstance(data.get(k), str) and data[k] for k in required) or not isinstance(premises, dict) \
            or not (isinstance(premises.get("stationCode"), str) and premises["stationCode"]):
        raise InvalidArgument("orderNo, orderType, customerNo and premises.stationCode are required",
                              reason="invalid-event")
    return {
        "type": validate_type(data["orderType"]), "source": "product_order", "product_order_no": data["orderNo"],
        "customer_no": data["customerNo"], "customer_name": _text(data.get("customerName")) or "",
        "contact_phone": _text(data.get("contactPhone")) or "", "account_no": _text(data.get("accountNo")),
        "service_no": _text(data.get("serviceNo")), "from_service_no": _text(data.get("fromServiceNo")),
        "kind": _text(data.get("kind")), "product_code": _text(data.get("productCode")),
        "product_name": _text(data.get("productName")), "premises_id": _text(premises.get("premisesId")),
        "address": _text(premises.get("address")) or "", "area_code": _text(premises.get("areaCode")),
        "station_code": premises["stationCode"], "description": (_text(data.get("note")) or "")[:2000],
        "created_by": _text(data.get("orderedBy")) or "customer", "updated_by": "dispatch",
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
