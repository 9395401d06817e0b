"""gRPC StockService: translates messages to StockHandlers calls and back, nothing more."""
from __future__ import annotations

from bss.dispatch.v1 import stock_pb2 as pb
from bss.dispatch.v1 import stock_pb2_grpc as pb_grpc

from ..messages import actor, text
from .handlers import StockHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["StockService"].full_name


def device_pb(d: dict) -> pb.StockDevice:
    return pb.StockDevice(serial=d["serial"], kind=d["kind"], model=d["model"] or "", state=d["state"],
                          station_code=d["station_code"], technician=d["technician"] or "",
                          work_order_no=d["work_order_no"] or "", customer_no=d["customer_no"] or "",
                          updated_at=text(d["updated_at"]), updated_by=d["updated_by"])


def devices_pb(rows: list[dict], count: int | None = None) -> pb.StockDevices:
    return pb.StockDevices(devices=[device_pb(d) for d in rows], count=len(rows) if count is None else count)


class StockServicer(pb_grpc.StockServiceServicer):
    def __init__(self, handlers: StockHandlers):
        self.h = handlers

    def ReceiveDevices(self, request, context):
        r = self.h.receive(request.station_code, request.kind, request.model, list(request.serials),
                           actor(request.actor))
        return pb.Receipt(station_code=r["station_code"], kind=r["kind"], model=r["model"], received=r["received"])

    def IssueDevices(self, request, context):
        return devices_pb(self.h.issue(request.technician, list(request.serials), actor(request.actor)))

    def ReturnDevices(self, request, context):
        return devices_pb(self.h.hand_back(list(request.serials), request.faulty, actor(request.actor)))

    def CountStock(self, request, context):
        rows = self.h.counts(request.station_code or None, actor(request.actor))
        return pb.StockCounts(counts=[pb.StockCount(station_code=r["station_code"], kind=r["kind"],
                                                    model=r["model"] or "", state=r["state"], count=r["n"])
                                      for r in rows])

    def ListCarriedDevices(self, request, context):
        rows, total = self.h.carried(request.technician, request.offset, request.limit, actor(request.actor))
        return devices_pb(rows, total)


def register(server, settings, db) -> list[str]:
    pb_grpc.add_StockServiceServicer_to_server(StockServicer(StockHandlers(db)), server)
    return [SERVICE_NAME]
