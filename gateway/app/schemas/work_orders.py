"""Work orders (TMF-style workOrder) on the wire: what the front line, dispatchers and technicians see."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from bss.dispatch.v1 import dispatch_pb2 as pb
from services.common.inputrules import REASON_MAX, TEXT_MAX

from ..auth import User
from ..keys import RecordKey
from ..masking import mask
from .base import ApiModel, InputModel, Page, opt

WorkOrderType = Literal["install", "repair", "relocation", "digital_conversion", "equipment_swap", "disconnect",
                        "reconnect"]
WorkOrderState = Literal["open", "scheduled", "assigned", "accepted", "on_site", "completed", "cancelled"]
Reason = Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


def actor(user: User) -> pb.Actor:
    return pb.Actor(username=user.username, role=user.role.value, scope=user.scope or "")


class PremisesPublic(ApiModel):
    id: str | None
    address: str
    area_code: str | None
    station_code: str
    station_name: str


class SlotPublic(ApiModel):
    day: str
    slot: str
    starts_at: str
    ends_at: str


class DevicePublic(ApiModel):
    kind: str
    serial: str
    model: str | None


class VisitPublic(ApiModel):
    work_order_no: str
    type: str
    state: str
    technician: str | None
    completed_at: str | None
    result_code: str | None
    notes: str | None
    unfinished_reason: str | None


class TransitionPublic(ApiModel):
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: str
    detail: dict[str, Any]


def slot(w: pb.WorkOrder | pb.OpenWorkOrder) -> SlotPublic | None:
    return SlotPublic(day=w.slot.day, slot=w.slot.slot, starts_at=w.slot.starts_at, ends_at=w.slot.ends_at) \
        if w.HasField("slot") else None


def devices(items) -> list[DevicePublic]:
    return [DevicePublic(kind=d.kind, serial=d.serial, model=opt(d.model)) for d in items]


class WorkOrderPublic(ApiModel):
    id: str
    type: str
    state: str
    source: str
    product_order_no: str | None
    campaign_no: str | None
    customer_no: str
    customer_name: str
    contact_phone: str
    account_no: str | None
    service_no: str | None
    from_service_no: str | None
    kind: str | None
    product_code: str | None
    product_name: str | None
    premises: PremisesPublic
    description: str
    slot: SlotPublic | None
    technician: str | None
    due_at: str | None
    on_time: bool | None
    escalated: bool
    breached: bool
    created_at: str
    created_by: str
    updated_at: str
    completed_at: str | None
    result_code: str | None
    devices_installed: list[DevicePublic]
    devices_removed: list[DevicePublic]
    signal_readings: dict[str, Any] | None
    notes: str | None
    unfinished_count: int
    unfinished_reason: str | None
    earlier_visits: list[VisitPublic]
    history: list[TransitionPublic]
    change_seq: int

    @classmethod
    def from_proto(cls, w: pb.WorkOrder, role: str) -> "WorkOrderPublic":
        """As `role` may see it: the contact phone masked for a role that does not need it (masking.py)."""
        p = w.premises
        return cls(
            id=w.work_order_no, type=w.type, state=w.state, source=w.source, product_order_no=opt(w.product_order_no),
            campaign_no=opt(w.campaign_no), customer_no=w.customer_no, customer_name=w.customer_name,
            contact_phone=mask("phone", w.contact_phone, role), account_no=opt(w.account_no), service_no=opt(w.service_no),
            from_service_no=opt(w.from_service_no), kind=opt(w.kind), product_code=opt(w.product_code),
            product_name=opt(w.product_name),
            premises=PremisesPublic(id=opt(p.premises_id), address=p.address, area_code=opt(p.area_code),
                                    station_code=p.station_code, station_name=p.station_name),
            description=w.description,
            slot=slot(w),
            technician=opt(w.technician), due_at=opt(w.due_at), on_time=w.on_time if w.has_on_time else None,
            escalated=w.escalated, breached=w.breached, created_at=w.created_at, created_by=w.created_by,
            updated_at=w.updated_at, completed_at=opt(w.completed_at), result_code=opt(w.result_code),
            devices_installed=devices(w.devices_installed), devices_removed=devices(w.devices_removed),
            signal_readings=json.loads(w.signal_readings) if w.signal_readings else None, notes=opt(w.notes),
            unfinished_count=w.unfinished_count, unfinished_reason=opt(w.unfinished_reason),
            earlier_visits=[VisitPublic(work_order_no=v.work_order_no, type=v.type, state=v.state,
                                        technician=opt(v.technician), completed_at=opt(v.completed_at),
                                        result_code=opt(v.result_code), notes=opt(v.notes),
                                        unfinished_reason=opt(v.unfinished_reason)) for v in w.earlier_visits],
            history=[TransitionPublic(action=t.action, from_state=opt(t.from_state), to_state=t.to_state, actor=t.actor,
                                      at=t.at, detail=json.loads(t.detail) if t.detail else {}) for t in w.history],
            change_seq=w.change_seq)


class WorkOrderSummary(ApiModel):
    """A work order as the 360 view lists it: what it is, where it stands, when and who."""
    id: str
    type: str
    state: str
    slot: SlotPublic | None
    technician: str | None
    due_at: str | None
    escalated: bool

    @classmethod
    def from_proto(cls, w: pb.OpenWorkOrder) -> "WorkOrderSummary":
        return cls(id=w.work_order_no, type=w.type, state=w.state, slot=slot(w), technician=opt(w.technician),
                   due_at=opt(w.due_at), escalated=w.escalated)


class WorkOrdersPublic(Page[WorkOrderPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListWorkOrdersResponse, role: str) -> "WorkOrdersPublic":
        return cls(data=[WorkOrderPublic.from_proto(w, role) for w in reply.work_orders], count=reply.count)


class WorkOrderCreate(InputModel):
    """A visit the front line opens with the customer on the line: a fault (repair) or what a complaint needs."""
    type: WorkOrderType = "repair"
    source: Literal["fault", "complaint"] = "fault"
    customer_no: RecordKey
    service_no: RecordKey
    description: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
    contact_phone: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="a number to reach the customer on for this visit, if not their usual one")
    reference: Annotated[str, Field(max_length=40)] | None = Field(None, description="e.g. the complaint's ticket")

    def to_proto(self, user: User, request_id: str) -> pb.CreateWorkOrderRequest:
        return pb.CreateWorkOrderRequest(type=self.type, source=self.source, customer_no=self.customer_no,
                                         service_no=self.service_no, description=self.description,
                                         contact_phone=self.contact_phone or "", reference=self.reference or "",
                                         request_id=request_id, actor=actor(user))


class WorkOrderChange(InputModel):
    reason: Reason
