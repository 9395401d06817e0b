"""The events dispatch publishes, their payloads as past-tense facts (contracts for the customer service,
billing, complaints and decision support; README "Events").

    work_order_created   {workOrderNo, type, source, productOrderNo, campaignNo, customerNo, accountNo,
                          serviceNo, stationCode, dueAt}
    work_order_scheduled {workOrderNo, customerNo, stationCode, day, slot, rescheduled}
    work_order_assigned  {workOrderNo, stationCode, technician, by: dispatcher | auto | claim}
    work_order_completed {workOrderNo, type, productOrderNo, customerNo, accountNo, serviceNo, completedAt,
                          technician, stationCode, resultCode, onTime, devicesInstalled: [{kind, serial,
                          model}], devicesRemoved: [{kind, serial}], notes}
    work_order_returned_unfinished {workOrderNo, customerNo, productOrderNo, technician, reason, stationCode}
    work_order_breached  {workOrderNo, type, stationCode, dueAt, technician}
    conversion_campaign_scheduled {campaignNo, name, areaCodes, orders, skipped, unrouted, firstDay, lastDay,
                          stations: [{stationCode, stationName, orders, firstDay, lastDay}]}

A campaign's orders publish no work_order_created each: one conversion_campaign_scheduled stands for them
all (600,000 events would flood every consumer for nothing); decision support reads a campaign's orders by
its number (GET /workOrders?campaignNo=).
"""
from __future__ import annotations

from datetime import datetime


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def created(o: dict, campaign_no: str | None = None) -> dict:
    return {"workOrderNo": o["work_order_no"], "type": o["type"], "source": o["source"],
            "productOrderNo": o["product_order_no"], "campaignNo": campaign_no, "customerNo": o["customer_no"],
            "accountNo": o["account_no"], "serviceNo": o["service_no"], "stationCode": o["station_code"],
            "dueAt": _time(o["due_at"])}


def scheduled(o: dict, rescheduled: bool) -> dict:
    return {"workOrderNo": o["work_order_no"], "customerNo": o["customer_no"], "stationCode": o["station_code"],
            "day": o["slot_day"].isoformat(), "slot": o["slot"], "rescheduled": rescheduled}


def assigned(o: dict, by: str) -> dict:
    return {"workOrderNo": o["work_order_no"], "stationCode": o["station_code"], "technician": o["technician"],
            "by": by}


def completed(o: dict) -> dict:
    result = o["result"] or {}
    return {"workOrderNo": o["work_order_no"], "type": o["type"], "productOrderNo": o["product_order_no"],
            "customerNo": o["customer_no"], "accountNo": o["account_no"], "serviceNo": o["service_no"],
            "completedAt": _time(o["completed_at"]), "technician": o["technician"],
            "stationCode": o["station_code"], "resultCode": result.get("resultCode"), "onTime": o["on_time"],
            "devicesInstalled": result.get("devicesInstalled", []), "devicesRemoved": result.get("devicesRemoved", []),
            "notes": result.get("notes", "")}


def returned_unfinished(o: dict, technician: str) -> dict:
    return {"workOrderNo": o["work_order_no"], "customerNo": o["customer_no"],
            "productOrderNo": o["product_order_no"], "technician": technician, "reason": o["unfinished_reason"],
            "stationCode": o["station_code"]}


def breached(o: dict) -> dict:
    return {"workOrderNo": o["work_order_no"], "type": o["type"], "stationCode": o["station_code"],
            "dueAt": _time(o["due_at"]), "technician": o["technician"]}


def campaign_scheduled(campaign_no: str, name: str, area_codes: list[str], counts: dict) -> dict:
    return {"campaignNo": campaign_no, "name": name, "areaCodes": area_codes, "orders": counts["orders"],
            "skipped": counts["skipped"], "unrouted": counts["unrouted"], "stations": counts["stations"],
            "firstDay": counts["firstDay"], "lastDay": counts["lastDay"]}
