"""gRPC SchedulingService: translates messages to SchedulingHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.dispatch.v1 import dispatch_pb2 as core_pb
from bss.dispatch.v1 import scheduling_pb2 as pb
from bss.dispatch.v1 import scheduling_pb2_grpc as pb_grpc

from ..messages import actor, text, work_order_pb
from ..settings import DispatchSettings
from .handlers import SchedulingHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SchedulingService"].full_name


def technician_pb(t: dict, day) -> pb.Technician:
    return pb.Technician(username=t["username"], station_code=t["station_code"], skills=t["skills"],
                         daily_capacity=t["daily_capacity"], active=t["active"], load=t["load"], day=text(day),
                         updated_at=text(t["updated_at"]), updated_by=t["updated_by"])


class SchedulingServicer(pb_grpc.SchedulingServiceServicer):
    def __init__(self, handlers: SchedulingHandlers):
        self.h = handlers

    def SearchTimeSlots(self, request, context):
        station, slots = self.h.time_slots(request.area_code, request.station_code, request.work_order_no,
                                           request.from_day, request.days, actor(request.actor))
        return pb.TimeSlots(station_code=station["station_code"], station_name=station["station_name"], slots=[
            pb.FreeSlot(slot=core_pb.Slot(day=s.day.isoformat(), slot=s.slot, starts_at=s.starts_at.isoformat(),
                                          ends_at=s.ends_at.isoformat()),
                        capacity=s.capacity, booked=s.booked, free=s.free, confirmed=s.confirmed) for s in slots])

    def BookAppointment(self, request, context):
        return work_order_pb(self.h.book(request.work_order_no, request.day, request.slot, actor(request.actor)),
                             self.h.tz)

    def AssignWorkOrder(self, request, context):
        return work_order_pb(self.h.assign(request.work_order_no, request.technician, actor(request.actor)),
                             self.h.tz)

    def AutoAssignWorkOrder(self, request, context):
        return work_order_pb(self.h.auto_assign(request.work_order_no, actor(request.actor)), self.h.tz)

    def AutoAssignStation(self, request, context):
        r = self.h.auto_assign_station(request.station_code, request.day, actor(request.actor))
        return pb.AutoAssignStationResponse(
            station_code=r["station_code"], day=r["day"].isoformat(), unassigned=r["unassigned"],
            assigned=[pb.Assignment(work_order_no=o["work_order_no"], technician=o["technician"])
                      for o in r["assigned"]])

    def ClaimWorkOrder(self, request, context):
        return work_order_pb(self.h.claim(request.work_order_no, actor(request.actor)), self.h.tz)

    def ListClaimable(self, request, context):
        rows, total = self.h.claimable(actor(request.actor), request.offset, request.limit)
        return core_pb.ListWorkOrdersResponse(work_orders=[work_order_pb(o, self.h.tz) for o in rows], count=total)

    def ListTechnicians(self, request, context):
        day, rows = self.h.technicians(request.station_code, request.day, actor(request.actor))
        return pb.ListTechniciansResponse(technicians=[technician_pb(t, day) for t in rows])

    def PutTechnician(self, request, context):
        t = self.h.put_technician(request.username, request.station_code, list(request.skills),
                                  request.daily_capacity, request.active, actor(request.actor))
        return technician_pb(t, t["day"])


def register(server, settings: DispatchSettings, db) -> list[str]:
    pb_grpc.add_SchedulingServiceServicer_to_server(SchedulingServicer(SchedulingHandlers(db, settings.timezone)),
                                                    server)
    return [SERVICE_NAME]
