"""gRPC ProductOrderService: translates messages to OrderHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.customer.v1 import orders_pb2 as pb
from bss.customer.v1 import orders_pb2_grpc as pb_grpc

from ..grpc_server import actor, ts, premises_pb
from .handlers import OrderHandlers, PlaceOrder

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ProductOrderService"].full_name


def order_pb(o: dict) -> pb.ProductOrder:
    return pb.ProductOrder(
        order_no=o["order_no"], order_type=o["order_type"], state=o["state"], state_detail=o["state_detail"] or "",
        customer_no=o["customer_no"], service_no=o["service_no"], from_service_no=o["from_service_no"] or "",
        kind=o["kind"], product_code=o["product_code"], product_name=o["product_name"],
        account_no=o["account_no"] or "", premises=premises_pb(o["premises"]), note=o["note"] or "",
        appointment_day=ts(o["appointment_day"]), appointment_slot=o["appointment_slot"] or "",
        work_order_no=o["work_order_no"] or "", ordered_at=ts(o["ordered_at"]), ordered_by=o["ordered_by"],
        updated_at=ts(o["updated_at"]), completed_at=ts(o["completed_at"]))


class ProductOrderServicer(pb_grpc.ProductOrderServiceServicer):
    def __init__(self, handlers: OrderHandlers):
        self.h = handlers

    def PlaceOrder(self, request, context):
        return order_pb(self.h.place(PlaceOrder(
            customer_no=request.customer_no, order_type=request.order_type, kind=request.kind,
            product_code=request.product_code, service_no=request.service_no, premises_id=request.premises_id,
            address=request.address, area_code=request.area_code, account_no=request.account_no, note=request.note,
            appointment_day=request.appointment_day, appointment_slot=request.appointment_slot,
            request_id=request.request_id, actor=actor(request.actor))))

    def GetOrder(self, request, context):
        return order_pb(self.h.get(request.order_no))

    def ListOrders(self, request, context):
        rows, total = self.h.orders_of(request.customer_no, request.offset, request.limit)
        return pb.ListOrdersResponse(orders=[order_pb(o) for o in rows], count=total)


def register(server, handlers: OrderHandlers) -> list[str]:
    pb_grpc.add_ProductOrderServiceServicer_to_server(ProductOrderServicer(handlers), server)
    return [SERVICE_NAME]
