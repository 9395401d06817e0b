"""Product orders as use cases: a clerk places one (a pending service and `service_ordered` in one
transaction), and dispatch's work order events move it on; a completed work order is carried out in the
legacy system that controls the network (completion.py).

Payload contract of `service_ordered` (the envelope's "data", services/common/outbox.py), built by
`ordered_event` below and read by dispatch (services/dispatch/handlers.py):

    {"orderNo": "O90000001", "orderType": "install", "customerNo", "customerName", "contactPhone",
     "accountNo", "serviceNo" (the new pending service, or the existing one), "kind", "productCode",
     "productName", "fromServiceNo" (a conversion's analog service, else null),
     "premises": {"premisesId", "address", "areaCode", "stationCode", "stationName"}, "note",
     "appointment": {"day", "slot"} | null, "orderedAt", "orderedBy"}
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.common.audit import audit
from services.common.db import Database
from services.common.errors import AlreadyExists, IllegalTransition, InvalidArgument
from services.common.inputrules import ADDRESS_MAX, CODE_MAX, TEXT_MAX, key, number, wording
from services.common.outbox import emit
from services.common.paging import page_bounds

from .. import store as customers
from ..handlers import SOURCE, Actor, Checked, Clean, address_norm, valid_address
from ..legacy.ports import CmsNetwork, SmsNetwork
from . import completion, domain, store

REQUEST_ID_MAX = 300
# Dispatch's events act on its behalf: the audit trail names it.
DISPATCH = Actor(username="dispatch", role="service")


@dataclass(frozen=True)
class PlaceOrder(Checked):
    limits: ClassVar[dict[str, int]] = {"product_code": CODE_MAX, "address": ADDRESS_MAX, "note": TEXT_MAX,
                                        "request_id": REQUEST_ID_MAX}
    kinds: ClassVar[dict[str, Clean]] = {
        "customer_no": key, "order_type": number, "kind": number, "product_code": number, "service_no": key,
        "address": wording, "area_code": number, "account_no": key, "appointment_day": number,
        "appointment_slot": number, "request_id": number}
    customer_no: str
    order_type: str
    request_id: str
    actor: Actor
    kind: str = ""
    product_code: str = ""
    service_no: str = ""
    premises_id: int = 0
    address: str = ""
    area_code: str = ""
    account_no: str = ""
    note: str = ""
    appointment_day: str = ""
    appointment_slot: str = ""


def _appointment_day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"appointment day {text!r} is not a date (YYYY-MM-DD)",
                              reason="invalid-appointment") from None


def ordered_event(o: dict, phone: str | None) -> dict:
    p = o["premises"]
    return {
        "orderNo": o["order_no"], "orderType": o["order_type"], "customerNo": o["customer_no"],
        "customerName": o["customer_name"], "contactPhone": phone, "accountNo": o["account_no"],
        "serviceNo": o["service_no"], "kind": o["kind"], "productCode": o["product_code"],
        "productName": o["product_name"], "fromServiceNo": o["from_service_no"],
        "premises": {"premisesId": str(p["premises_id"]), "address": p["address"], "areaCode": p["area_code"],
                     "stationCode": p["station_code"], "stationName": p["station_name"]},
        "note": o["note"],
        "appointment": ({"day": o["appointment_day"].isoformat(), "slot": o["appointment_slot"]}
                        if o["appointment_day"] else None),
        "orderedAt": o["ordered_at"].isoformat(), "orderedBy": o["ordered_by"]}


class OrderHandlers:
    def __init__(self, db: Database, cms: CmsNetwork, sms: SmsNetwork):
        self.db = db
        self.cms = cms
        self.sms = sms

    # -- queries --------------------------------------------------------------------------------
    def get(self, order_no: str) -> dict:
        with self.db.transaction() as cur:
            return store.order(cur, key("order_no", order_no))

    def orders_of(self, customer_no: str, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            c = customers.customer_by_no(cur, key("customer_no", customer_no))
            return store.orders_of(cur, c["id"], offset, limit)

    # -- placing an order -----------------------------------------------------------------------
    def place(self, cmd: PlaceOrder) -> dict:
        """Place the order once per request id: the same id again answers the order it placed."""
        address = valid_address(cmd.address) if cmd.address else None
        domain.check_shape(domain.OrderShape(
            order_type=cmd.order_type, kind=cmd.kind, product_code=cmd.product_code, service_no=cmd.service_no,
            new_address=bool(address or cmd.premises_id), appointment_day=cmd.appointment_day,
            appointment_slot=cmd.appointment_slot))
        day = _appointment_day(cmd.appointment_day)
        if not cmd.request_id:
            raise InvalidArgument("a request id is required", reason="request-id-required")
        if address and cmd.premises_id:
            raise InvalidArgument("give the premises' address or its premisesId, not both", reason="invalid-premises")
        if address and not cmd.area_code:
            raise InvalidArgument("a new address needs its area code (it decides the station)", reason="unknown-area")
        with self.db.transaction() as cur:
            return self._place(cur, cmd, day, address)

    def _place(self, cur, cmd: PlaceOrder, day: date | None, address: str | None, announce: bool = True) -> dict:
        """The order placed in the caller's transaction; with `announce`, `service_ordered` asks dispatch
        for its work order (a campaign's conversion already had one)."""
        actor = cmd.actor.username
        if (placed := store.id_by_request(cur, cmd.request_id)) is not None:
            return store.order(cur, placed)
        c = customers.customer_by_no(cur, cmd.customer_no)
        if c["status"] == "merged":
            raise IllegalTransition(f"customer {cmd.customer_no} was merged; order for the surviving record",
                                    reason="customer-merged")
        svc = None
        if cmd.service_no:
            svc = customers.service_for_update(cur, c["id"], cmd.service_no)
            domain.check_service(cmd.order_type, svc)
            if (open_no := store.open_order_of(cur, svc["id"])) is not None:
                raise domain.open_order_exists(svc["service_no"], open_no)
        where = self._premises(cur, c["id"], cmd, address, svc)
        account_no = cmd.account_no or (svc["account_no"] if svc else "")
        account_id = (store.account(cur, c["id"], account_no) if account_no
                      else customers.account_for_premises(cur, c["id"], where["premises_id"]))
        service_id = (self._pending_service(cur, c["id"], cmd, account_id, where["premises_id"])
                      if cmd.order_type in domain.CREATES else svc["id"])
        order_no = store.insert_order(
            cur, request_id=cmd.request_id, customer_id=c["id"], order_type=cmd.order_type,
            service_id=service_id, from_service_id=svc["id"] if cmd.order_type == "digital_conversion" else None,
            premises_id=where["premises_id"], account_id=account_id, note=cmd.note.strip() or None,
            appointment_day=day, appointment_slot=cmd.appointment_slot or None, ordered_by=actor,
            updated_by=actor)
        if order_no is None:  # a clerk at another gateway placed it, or ordered on the service, meanwhile
            raise AlreadyExists("another order for this request or service was placed at the same time; "
                                "look it up", reason="open-order-exists")
        o = store.order(cur, order_no)
        audit(cur, "product_order", order_no, "place",
              {"orderType": o["order_type"], "serviceNo": o["service_no"], "productCode": o["product_code"],
               "premisesId": o["premises_id"]}, actor)
        customers.add_contact(cur, c["id"], "counter", "product_order",
                              f"order {order_no}: {o['order_type']} {o['product_name']} {o['service_no']}", actor)
        if announce:
            emit(cur, SOURCE, "service_ordered", ordered_event(o, store.primary_phone(cur, c["id"])))
        return o

    @staticmethod
    def _premises(cur, customer_id: int, cmd: PlaceOrder, address: str | None, svc: dict | None) -> dict:
        """Where the work is: a new address, a premises named, the service's, or the customer's first."""
        if address:
            if not customers.area_known(cur, cmd.area_code):
                raise InvalidArgument(f"unknown area code {cmd.area_code}", reason="unknown-area")
            premises_id = customers.add_premises(cur, customer_id, address, address_norm(address), cmd.area_code)
        else:
            premises_id = cmd.premises_id or (svc["premises_id"] if svc else None)
        where = store.premises(cur, customer_id, premises_id)
        if where["station_code"] is None:
            raise InvalidArgument(f"the premises {where['address']} has no known area code, so no station serves "
                                  "it: give the address with its area code", reason="unknown-area")
        if cmd.order_type == "relocation" and where["premises_id"] == svc["premises_id"]:
            raise InvalidArgument("the service is already at these premises", reason="same-premises")
        return where

    def _pending_service(self, cur, customer_id: int, cmd: PlaceOrder, account_id: int | None,
                         premises_id: int) -> int:
        """The ordered service, pending until its work order completes; no legacy record has it yet."""
        kind = domain.new_service_kind(cmd.order_type, cmd.kind)
        origin = domain.ORIGIN_OF_KIND[kind]
        product = (self.cms if origin == "cms" else self.sms).product(cmd.product_code)
        domain.check_product_kind(kind, product, cmd.product_code)
        return customers.insert_service(
            cur, customer_id=customer_id, account_id=account_id, premises_id=premises_id, kind=kind, origin=origin,
            legacy_ref=None, product_code=cmd.product_code, product_name=product["name"],
            monthly_fee_minor=product["price_minor"], state="pending", updated_by=cmd.actor.username)

    # -- dispatch's work order ------------------------------------------------------------------
    def work_order_created(self, order_no: str, work_order_no: str) -> dict:
        actor = DISPATCH.username
        with self.db.transaction() as cur:
            o = store.order(cur, key("order_no", order_no), lock=True)
            store.set_work_order(cur, o["id"], work_order_no, actor)
            # An order completed before this event arrived (they may overtake) only learns the number.
            if o["state"] == "acknowledged":
                store.set_state(cur, o["id"], domain.next_state(o["state"], "start"), actor)
            audit(cur, "product_order", o["order_no"], "work_order_created", {"workOrderNo": work_order_no}, actor)
            return store.order(cur, o["order_no"])

    def work_order_completed(self, order_no: str, work_order_no: str, installed: object, removed: object) -> dict:
        """Carry the order out in the legacy system; a refusal fails the order with its detail (committed,
        not raised: the event has had its effect). A legacy system out of reach raises Unavailable and
        nothing is kept, so the event comes again."""
        equipment = domain.devices(installed, removed)
        with self.db.transaction() as cur:
            return self._complete(cur, store.order(cur, key("order_no", order_no), lock=True), work_order_no,
                                  equipment)

    def campaign_conversion_completed(self, customer_no: str, service_no: str, work_order_no: str,
                                      installed: object, removed: object, product_code: str) -> dict:
        """A conversion campaign's visit converted an analog home without a clerk's order: the order is
        placed now, on the operator's conversion package, and carried out like any other, in one
        transaction (so a retried event finds it placed by the work order's number and nothing twice)."""
        equipment = domain.devices(installed, removed)
        cmd = PlaceOrder(customer_no=key("customerNo", customer_no).upper(), order_type="digital_conversion",
                         kind="digital_tv", product_code=product_code, service_no=key("serviceNo", service_no).upper(),
                         request_id=f"campaign:{work_order_no}", actor=DISPATCH)
        with self.db.transaction() as cur:
            o = self._place(cur, cmd, None, None, announce=False)
            store.set_work_order(cur, o["id"], work_order_no, DISPATCH.username)
            return self._complete(cur, store.order(cur, o["order_no"], lock=True), work_order_no, equipment)

    def _complete(self, cur, o: dict, work_order_no: str, equipment) -> dict:
        actor = DISPATCH.username
        done = domain.next_state(o["state"], "complete")
        if o["work_order_no"] is None:
            store.set_work_order(cur, o["id"], work_order_no, actor)
        failure = completion.carry_out(cur, self.cms, self.sms, o, equipment, actor)
        if failure is None:
            store.set_state(cur, o["id"], done, actor)
            summary = f"order {o['order_no']} completed by work order {work_order_no}"
        else:
            store.set_state(cur, o["id"], domain.next_state(o["state"], "fail"), actor, failure)
            completion.drop_pending(cur, o, actor, f"order {o['order_no']} failed")
            summary = f"order {o['order_no']} failed: {failure}"
        audit(cur, "product_order", o["order_no"], "complete" if failure is None else "fail",
              {"workOrderNo": work_order_no, "detail": failure}, actor)
        customers.add_contact(cur, o["customer_id"], "field", "product_order", summary[:TEXT_MAX], actor)
        return store.order(cur, o["order_no"])
