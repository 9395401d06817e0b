"""gRPC entry point of the dispatch service: translates messages to handler calls and back, nothing more.

Run: python -m services.common.grpc_main dispatch   (listens on BSS_DISPATCH_GRPC, default 127.0.0.1:50053)
"""
from __future__ import annotations

from bss.dispatch.v1 import dispatch_pb2 as pb
from bss.dispatch.v1 import dispatch_pb2_grpc as pb_grpc

from services.common.db import Database
from services.common.inputrules import CODE_MAX, TEXT_MAX, key, number, prose

from .campaigns import servicer as campaigns
from .customer_lookup import CustomerLookup
from .field.servicer import register as register_field
from .handlers import DispatchHandlers
from .messages import actor, slot_pb, text, work_order_pb
from .scheduling.servicer import register as register_scheduling
from .settings import DispatchSettings
from .stock.servicer import register as register_stock

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WorkOrderService"].full_name


class WorkOrderServicer(pb_grpc.WorkOrderServiceServicer):
    def __init__(self, handlers: DispatchHandlers, customers: CustomerLookup):
        self.h = handlers
        self.customers = customers

    def CreateWorkOrder(self, request, context):
        site = self.customers.site(key("customerNo", request.customer_no).upper(),
                                   key("serviceNo", request.service_no).upper())
        station_name = site.pop("station_name")
        values = {**site, "type": request.type, "source": request.source,
                  "description": prose("description", request.description, TEXT_MAX),
                  "reference": number("reference", request.reference, CODE_MAX).strip() or None,
                  "request_id": request.request_id or None}
        if request.contact_phone:
            values["contact_phone"] = key("contactPhone", request.contact_phone)
        return work_order_pb(self.h.create(values, station_name, actor(request.actor)), self.h.tz)

    def GetWorkOrder(self, request, context):
        return work_order_pb(self.h.get(request.work_order_no, actor(request.actor)), self.h.tz)

    def ListWorkOrders(self, request, context):
        filters = {"station_code": request.station_code, "state": request.state, "type": request.type,
                   "technician": request.technician, "customer_no": request.customer_no,
                   "escalated_only": request.escalated_only, "open_only": request.open_only,
                   "campaign_no": request.campaign_no}
        rows, total = self.h.list(filters, request.offset, request.limit, actor(request.actor))
        return pb.ListWorkOrdersResponse(work_orders=[work_order_pb(o, self.h.tz) for o in rows], count=total)

    def ListOpenWorkOrders(self, request, context):
        return self._open_orders_pb(self.h.open_orders(request.customer_no, request.limit, actor(request.actor)))

    def ListOpenWorkOrdersOfCustomers(self, request, context):
        return pb.OpenWorkOrdersOfCustomers(answers=[self._open_orders_pb(orders) for orders in self.h.open_orders_of(
            [(r.customer_no, r.limit, actor(r.actor)) for r in request.requests])])

    def _open_orders_pb(self, orders: list[dict]) -> pb.ListOpenWorkOrdersResponse:
        return pb.ListOpenWorkOrdersResponse(work_orders=[pb.OpenWorkOrder(
            work_order_no=o["work_order_no"], type=o["type"], state=o["state"], slot=slot_pb(o, self.h.tz),
            technician=o["technician"] or "", due_at=text(o["due_at"]), escalated=o["escalated_at"] is not None)
            for o in orders])

    def ChangeWorkOrder(self, request, context):
        return work_order_pb(self.h.change(request.work_order_no, request.action, request.reason,
                                           actor(request.actor)), self.h.tz)


def register(server, settings: DispatchSettings, db: Database) -> list[str]:
    """Dispatch's services on the server: its core, and each part's (a part's servicer module has a
    `register` of its own)."""
    handlers = DispatchHandlers(db, settings.timezone)
    customers = CustomerLookup(settings.customer_grpc)
    pb_grpc.add_WorkOrderServiceServicer_to_server(WorkOrderServicer(handlers, customers), server)
    return [SERVICE_NAME, *register_scheduling(server, settings, db), *register_field(server, settings, db),
            *register_stock(server, settings, db), *campaigns.register(server, settings, db, customers)]
