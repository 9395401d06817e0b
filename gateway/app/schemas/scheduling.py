"""Scheduling on the wire: free slots (TMF646 searchTimeSlot's answer), appointments, assignments and
the technician roster."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from bss.dispatch.v1 import dispatch_pb2 as core_pb
from bss.dispatch.v1 import scheduling_pb2 as pb

from ..keys import RecordKey, StationCode, Username
from .base import ApiModel, InputModel, Page, opt
from .work_orders import WorkOrderType

SlotName = Literal["AM", "PM"]


class FreeSlotPublic(ApiModel):
    day: str
    slot: str
    starts_at: str
    ends_at: str
    capacity: int
    booked: int
    free: int
    confirmed: bool = Field(description="false: the day's year is not in the working-day calendar yet, so only "
                                        "weekends were taken as days off")


class TimeSlotsPublic(Page[FreeSlotPublic]):
    station_code: str
    station_name: str

    @classmethod
    def from_proto(cls, reply: pb.TimeSlots) -> "TimeSlotsPublic":
        return cls(station_code=reply.station_code, station_name=reply.station_name, count=len(reply.slots), data=[
            FreeSlotPublic(day=s.slot.day, slot=s.slot.slot, starts_at=s.slot.starts_at, ends_at=s.slot.ends_at,
                           capacity=s.capacity, booked=s.booked, free=s.free, confirmed=s.confirmed)
            for s in reply.slots])


class AppointmentCreate(InputModel):
    work_order_no: RecordKey
    day: date
    slot: SlotName


class AppointmentPublic(ApiModel):
    """The visit booked for a work order (the order itself is at /workOrders/{workOrderNo})."""
    work_order_no: str
    station_code: str
    day: str
    slot: str
    starts_at: str
    ends_at: str
    state: str
    due_at: str | None

    @classmethod
    def from_proto(cls, w: core_pb.WorkOrder) -> "AppointmentPublic":
        return cls(work_order_no=w.work_order_no, station_code=w.premises.station_code, day=w.slot.day,
                   slot=w.slot.slot, starts_at=w.slot.starts_at, ends_at=w.slot.ends_at, state=w.state,
                   due_at=opt(w.due_at))


class AssignmentCreate(InputModel):
    technician: Username


class AssignmentPublic(ApiModel):
    work_order_no: str
    technician: str


class StationAssignmentsPublic(ApiModel):
    station_code: str
    day: str
    assigned: list[AssignmentPublic]
    unassigned: list[str] = Field(description="orders no technician could take (skill or capacity)")

    @classmethod
    def from_proto(cls, r: pb.AutoAssignStationResponse) -> "StationAssignmentsPublic":
        return cls(station_code=r.station_code, day=r.day, unassigned=list(r.unassigned),
                   assigned=[AssignmentPublic(work_order_no=a.work_order_no, technician=a.technician)
                             for a in r.assigned])


class TechnicianPublic(ApiModel):
    username: str
    station_code: str
    skills: list[str]
    daily_capacity: int
    active: bool
    load: int = Field(description="the orders they hold on `day`")
    day: str
    updated_at: str
    updated_by: str

    @classmethod
    def from_proto(cls, t: pb.Technician) -> "TechnicianPublic":
        return cls(username=t.username, station_code=t.station_code, skills=list(t.skills),
                   daily_capacity=t.daily_capacity, active=t.active, load=t.load, day=t.day, updated_at=t.updated_at,
                   updated_by=t.updated_by)


class TechniciansPublic(Page[TechnicianPublic]):
    @classmethod
    def from_proto(cls, reply: pb.ListTechniciansResponse) -> "TechniciansPublic":
        return cls(data=[TechnicianPublic.from_proto(t) for t in reply.technicians], count=len(reply.technicians))


class TechnicianPut(InputModel):
    station_code: StationCode
    skills: Annotated[list[WorkOrderType], Field(max_length=7, description="the work order types they do")]
    daily_capacity: Annotated[int, Field(ge=0, le=100, description="visits a day")]
    active: bool = True

    def to_proto(self, username: str, actor: core_pb.Actor) -> pb.PutTechnicianRequest:
        return pb.PutTechnicianRequest(username=username, station_code=self.station_code, skills=self.skills,
                                       daily_capacity=self.daily_capacity, active=self.active, actor=actor)
