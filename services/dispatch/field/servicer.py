"""gRPC FieldService: translates messages to FieldHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.dispatch.v1 import field_pb2 as pb
from bss.dispatch.v1 import field_pb2_grpc as pb_grpc

from ..domain.completion import Device, Report
from ..messages import actor, work_order_pb
from .handlers import FieldHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["FieldService"].full_name


class FieldServicer(pb_grpc.FieldServiceServicer):
    def __init__(self, handlers: FieldHandlers):
        self.h = handlers

    def PullWorkOrders(self, request, context):
        pulled = self.h.pull(actor(request.actor), request.since if request.HasField("since") else None,
                             request.limit)
        return pb.PullWorkOrdersResponse(work_orders=[work_order_pb(o, self.h.tz) for o in pulled["orders"]],
                                         removed=pulled["removed"], cursor=pulled["cursor"], more=pulled["more"])

    def AcceptWorkOrder(self, request, context):
        return work_order_pb(self.h.accept(request.work_order_no, actor(request.actor)), self.h.tz)

    def ArriveAtWorkOrder(self, request, context):
        return work_order_pb(self.h.arrive(request.work_order_no, actor(request.actor)), self.h.tz)

    def CompleteWorkOrder(self, request, context):
        report = Report(
            result_code=request.result_code,
            installed=tuple(Device(d.kind, d.serial, d.model or None) for d in request.devices_installed),
            removed=tuple(Device(d.kind, d.serial, faulty=d.faulty) for d in request.devices_removed),
            readings=dict(request.signal_readings), notes=request.notes,
            confirmation_code=request.confirmation_code)
        return work_order_pb(self.h.complete(request.work_order_no, report, actor(request.actor)), self.h.tz)

    def ReturnUnfinished(self, request, context):
        return work_order_pb(self.h.return_unfinished(request.work_order_no, request.reason, request.notes,
                                                      actor(request.actor)), self.h.tz)

    def GetConfirmationCode(self, request, context):
        return _code_pb(self.h.confirmation_code(request.work_order_no, actor(request.actor)))

    def NewConfirmationCode(self, request, context):
        return _code_pb(self.h.new_confirmation_code(request.work_order_no, actor(request.actor)))


def _code_pb(c: dict) -> pb.ConfirmationCode:
    return pb.ConfirmationCode(work_order_no=c["work_order_no"], customer_no=c["customer_no"],
                               code=c["confirmation_code"], wrong_tries=c["wrong_tries"], locked=c["locked"])


def register(server, settings, db) -> list[str]:
    pb_grpc.add_FieldServiceServicer_to_server(FieldServicer(FieldHandlers(db, settings.timezone)), server)
    return [SERVICE_NAME]
