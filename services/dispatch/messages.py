"""Dispatch's rows as protobuf messages and back: shared by the core servicer and every part's."""
from __future__ import annotations

import json

from bss.dispatch.v1 import dispatch_pb2 as pb

from .domain.access import Actor
from .domain.slots import window


def text(value) -> str:
    """A column as proto text: times and days in ISO 8601, nothing as ''."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def actor(m: pb.Actor) -> Actor:
    return Actor(m.username, m.role, m.scope or None)


def devices(items: list[dict] | None) -> list[pb.Device]:
    return [pb.Device(kind=d.get("kind", ""), serial=d.get("serial", ""), model=d.get("model") or "")
            for d in items or []]


def slot_pb(o: dict, tz) -> pb.Slot | None:
    if o["slot_day"] is None:
        return None
    start, end = window(o["slot_day"], o["slot"], tz)
    return pb.Slot(day=o["slot_day"].isoformat(), slot=o["slot"], starts_at=start.isoformat(), ends_at=end.isoformat())


def work_order_pb(o: dict, tz) -> pb.WorkOrder:
    result = o["result"] or {}
    return pb.WorkOrder(
        work_order_no=o["work_order_no"], type=o["type"], state=o["state"], source=o["source"],
        product_order_no=o["product_order_no"] or "", campaign_no=o.get("campaign_no") or "",
        customer_no=o["customer_no"], customer_name=o["customer_name"], contact_phone=o["contact_phone"],
        account_no=o["account_no"] or "", service_no=o["service_no"] or "", from_service_no=o["from_service_no"] or "",
        kind=o["kind"] or "", product_code=o["product_code"] or "", product_name=o["product_name"] or "",
        premises=pb.Premises(premises_id=o["premises_id"] or "", address=o["address"], area_code=o["area_code"] or "",
                             station_code=o["station_code"], station_name=o["station_name"]),
        description=o["description"], slot=slot_pb(o, tz), technician=o["technician"] or "", due_at=text(o["due_at"]),
        on_time=bool(o["on_time"]), has_on_time=o["on_time"] is not None, escalated=o["escalated_at"] is not None,
        breached=o["breached_at"] is not None, created_at=text(o["created_at"]), created_by=o["created_by"],
        updated_at=text(o["updated_at"]), completed_at=text(o["completed_at"]),
        result_code=result.get("resultCode") or "", devices_installed=devices(result.get("devicesInstalled")),
        devices_removed=devices(result.get("devicesRemoved")),
        signal_readings=json.dumps(result["signalReadings"]) if result.get("signalReadings") else "",
        notes=result.get("notes") or "", unfinished_count=o["unfinished_count"],
        unfinished_reason=o["unfinished_reason"] or "", change_seq=o["change_seq"],
        earlier_visits=[pb.Visit(work_order_no=v["work_order_no"], type=v["type"], state=v["state"],
                                 technician=v["technician"] or "", completed_at=text(v["completed_at"]),
                                 result_code=v["result_code"] or "", notes=v["notes"] or "",
                                 unfinished_reason=v["unfinished_reason"] or "") for v in o.get("earlier_visits", [])],
        history=[pb.Transition(action=t["action"], from_state=t["from_state"] or "", to_state=t["to_state"],
                               actor=t["actor"], at=text(t["at"]), detail=json.dumps(t["detail"], ensure_ascii=False))
                 for t in o.get("history", [])])
