"""Carrying out a product order whose work order completed: each order type's changes in the legacy
system that controls the network, each outcome recorded as a write-back (as suspend and restore are),
and, for what the legacy system accepted, the same change here with its event.

Every step runs inside the caller's transaction. A legacy refusal returns its detail (the order fails);
a legacy system out of reach raises Unavailable, the transaction rolls back, and the event comes again:
the legacy steps recognise what an earlier attempt made (the same card, the line opened for the order),
so a second attempt does not make it twice.
"""
from __future__ import annotations

from services.common.audit import audit
from services.common.errors import IllegalTransition
from services.common.outbox import emit

from .. import store as customers
from ..handlers import SOURCE, change_state
from ..legacy.ports import CmsNetwork, Equipment, Person, SmsNetwork, WriteBackResult
from . import domain, store


def carry_out(cur, cms: CmsNetwork, sms: SmsNetwork, o: dict, equipment: Equipment, actor: str) -> str | None:
    """Why the order could not be carried out, or None when it was."""
    c = customers.customer_by_no(cur, o["customer_no"])
    svc = customers.service_for_update(cur, o["customer_id"], o["service_no"])
    kind = svc["kind"]
    if missing := domain.missing_devices(o["order_type"], kind, equipment):
        return missing
    if o["order_type"] == "install" and domain.ORIGIN_OF_KIND[kind] == "cms":
        return _open_line(cur, cms, c, o, svc, actor)
    if o["order_type"] in domain.CREATES:
        if failure := _install_digital(cur, sms, c, o, svc, equipment, actor):
            return failure
        if o["order_type"] == "digital_conversion":
            return _state(cur, cms, sms, c, o, o["from_service_no"], "disconnect", actor,
                          f"converted to digital by order {o['order_no']}")
        return None
    if o["order_type"] == "equipment_swap":
        return _swap(cur, sms, o, svc, equipment, actor)
    if o["order_type"] == "relocation":
        return _relocate(cur, cms, sms, c, o, svc, actor)
    return _state(cur, cms, sms, c, o, o["service_no"], "disconnect", actor, f"order {o['order_no']}")


def drop_pending(cur, o: dict, actor: str, reason: str) -> None:
    """A failed order's service that never started ends with it."""
    svc = customers.service_for_update(cur, o["customer_id"], o["service_no"])
    if svc["state"] == "pending":
        customers.set_service_state(cur, svc["id"], "disconnected", actor)
        audit(cur, "service", svc["service_no"], "disconnect", {"from": "pending", "to": "disconnected",
                                                                "reason": reason}, actor)
        emit(cur, SOURCE, "service_disconnected", {
            "customerNo": o["customer_no"], "serviceNo": svc["service_no"], "kind": svc["kind"],
            "origin": svc["origin"], "from": "pending", "to": "disconnected", "reason": reason})


def _person(cur, c: dict, premises: dict) -> Person:
    return Person(name=c["name"], id_no=c["id_no"], phone=store.primary_phone(cur, c["id"]),
                  address=premises["address"], area_code=premises["area_code"])


def _recorded(cur, svc: dict, system: str, action: str, request: dict, result: WriteBackResult, actor: str) -> None:
    customers.record_write_back(cur, service_id=svc["id"], system=system, action=action, request=request,
                                ok=result.ok, detail=result.detail, actor=actor,
                                legacy_changed_at=result.legacy_changed_at)


def _activated(cur, c: dict, o: dict, svc: dict, legacy_ref: str, device_id: int | None, actor: str) -> None:
    store.activate_service(cur, svc["id"], legacy_ref, device_id, actor)
    audit(cur, "service", svc["service_no"], "activate", {"order": o["order_no"], "legacyRef": legacy_ref}, actor)
    emit(cur, SOURCE, "service_activated", {
        "customerNo": c["customer_no"], "serviceNo": svc["service_no"], "kind": svc["kind"], "origin": svc["origin"],
        "productCode": svc["product_code"], "monthlyFeeMinor": svc["monthly_fee_minor"], "currency": svc["currency"],
        "orderNo": o["order_no"]})


def _open_line(cur, cms: CmsNetwork, c: dict, o: dict, svc: dict, actor: str) -> str | None:
    result = cms.open_line(o["order_no"], _person(cur, c, o["premises"]), svc["product_code"], actor)
    _recorded(cur, svc, "cms", "open_line", {"order": o["order_no"], "feeType": svc["product_code"]}, result, actor)
    if not result.ok:
        return f"the CMS refused to open the line: {result.detail}"
    # Linked from birth: the sync maps the new line to this customer instead of matching a stranger.
    store.link(cur, "cms", result.legacy_ref, c["id"])
    _activated(cur, c, o, svc, result.legacy_ref, None, actor)
    return None


def _install_digital(cur, sms: SmsNetwork, c: dict, o: dict, svc: dict, e: Equipment, actor: str) -> str | None:
    subscriber = store.legacy_key(cur, c["id"], "sms")
    result = sms.install(subscriber, _person(cur, c, o["premises"]), e, svc["product_code"], actor)
    _recorded(cur, svc, "sms", "install", {"order": o["order_no"], "subscriberId": subscriber, "cardNo": e.card,
                                           "stbSerial": e.stb, "productCode": svc["product_code"]}, result, actor)
    if not result.ok:
        return f"the SMS refused the installation: {result.detail}"
    if (other := store.service_with_legacy_ref(cur, "sms", result.legacy_ref)) is not None:
        return f"card {e.card} already had {svc['product_code']} as service {other}"
    if subscriber is None:
        store.link(cur, "sms", result.legacy_key, c["id"])
    premises_id = o["premises_id"]
    card_id = store.put_device(cur, customer_id=c["id"], premises_id=premises_id, kind="smart_card", serial=e.card,
                               paired_serial=e.stb, model=None)
    if e.stb:
        store.put_device(cur, customer_id=c["id"], premises_id=premises_id, kind="stb", serial=e.stb,
                         paired_serial=e.card, model=e.stb_model)
    _activated(cur, c, o, svc, result.legacy_ref, card_id, actor)
    return None


def _state(cur, cms: CmsNetwork, sms: SmsNetwork, c: dict, o: dict, service_no: str, action: str, actor: str,
           reason: str) -> str | None:
    svc = customers.service_for_update(cur, o["customer_id"], service_no)
    try:
        result, _, _ = change_state(cur, cms, sms, c, svc, action, actor, reason)
    except IllegalTransition as exc:  # changed since the order was placed (disconnected at the counter)
        return exc.message
    return None if result.ok else f"the {svc['origin'].upper()} refused to {action} {service_no}: {result.detail}"


def _swap(cur, sms: SmsNetwork, o: dict, svc: dict, e: Equipment, actor: str) -> str | None:
    result = sms.swap_equipment(svc["legacy_ref"], e, actor)
    _recorded(cur, svc, "sms", "swap_equipment", {"order": o["order_no"], "installed": [e.card, e.stb],
                                                  "removed": [e.removed_card, e.removed_stb]}, result, actor)
    if not result.ok:
        return f"the SMS refused the swap: {result.detail}"
    old_card = store.card(cur, svc["device_serial"])
    for kind, serial in (("smart_card", e.removed_card), ("stb", e.removed_stb)):
        if serial:
            store.retire_device(cur, kind, serial)
    card = e.card or (old_card["serial"] if old_card else None)
    stb = e.stb or (old_card["paired_serial"] if old_card else None)
    if card is None:
        return None  # a box alone, on a service the BSS knew no card of: the sync brings the card
    card_id = store.put_device(cur, customer_id=o["customer_id"], premises_id=svc["premises_id"], kind="smart_card",
                               serial=card, paired_serial=stb, model=None)
    if stb:
        store.put_device(cur, customer_id=o["customer_id"], premises_id=svc["premises_id"], kind="stb", serial=stb,
                         paired_serial=card, model=e.stb_model)
    if old_card and old_card["id"] != card_id:
        store.move_services(cur, old_card["id"], card_id, actor)  # the card's other products moved with it
    audit(cur, "service", svc["service_no"], "swap_equipment",
          {"order": o["order_no"], "cardNo": card, "stbSerial": stb}, actor)
    return None


def _relocate(cur, cms: CmsNetwork, sms: SmsNetwork, c: dict, o: dict, svc: dict, actor: str) -> str | None:
    target = o["premises"]
    if svc["origin"] == "cms":
        result = cms.move_line(svc["legacy_ref"], target["address"], target["area_code"], actor)
    elif svc["origin"] == "sms":
        result = sms.move_subscriber(svc["legacy_ref"], target["address"], target["area_code"], actor)
    else:
        result = WriteBackResult(ok=True, detail="no legacy system controls this service")
    _recorded(cur, svc, svc["origin"], "relocate", {"order": o["order_no"], "premisesId": target["premises_id"]},
              result, actor)
    if not result.ok:
        return f"the {svc['origin'].upper()} refused the relocation: {result.detail}"
    store.move_service(cur, svc["id"], target["premises_id"], actor)
    if svc["device_serial"]:
        store.move_devices(cur, svc["device_serial"], target["premises_id"])
    audit(cur, "service", svc["service_no"], "relocate", {"order": o["order_no"], "address": target["address"]}, actor)
    emit(cur, SOURCE, "customer_updated", {"customerNo": c["customer_no"], "changed": ["premises"]})
    return None
