"""Device stock on the wire: receipts, issues and hand-backs by serial, counts, what a technician carries."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bss.dispatch.v1 import stock_pb2 as pb

from ..keys import StationCode, Username
from .base import ApiModel, InputModel, Page, opt
from .field import DeviceKind, Serial

MAX_SERIALS = 20000  # one pallet's receipt (services/dispatch/domain/stock.py)
Serials = Annotated[list[Serial], Field(min_length=1, max_length=MAX_SERIALS)]


class StockReceipt(InputModel):
    """Devices of one kind and model received into a station's stock: all of them, or none when a serial
    is already known (409 duplicate-serials naming them)."""
    station_code: StationCode
    kind: DeviceKind
    model: Annotated[str, Field(pattern=r"^[0-9A-Za-z _./-]{1,40}$")]
    serials: Serials


class StockIssue(InputModel):
    technician: Username
    serials: Serials


class StockReturn(InputModel):
    """Devices a technician hands back: into station stock, or set aside as faulty."""
    serials: Serials
    faulty: bool = False


class ReceiptPublic(ApiModel):
    station_code: str
    kind: str
    model: str
    received: int


class StockDevicePublic(ApiModel):
    serial: str
    kind: str
    model: str | None
    state: Literal["in_stock", "issued", "installed", "returned", "faulty"]
    station_code: str
    technician: str | None
    work_order_no: str | None
    customer_no: str | None
    updated_at: str
    updated_by: str

    @classmethod
    def from_proto(cls, d: pb.StockDevice) -> "StockDevicePublic":
        return cls(serial=d.serial, kind=d.kind, model=opt(d.model), state=d.state, station_code=d.station_code,
                   technician=opt(d.technician), work_order_no=opt(d.work_order_no), customer_no=opt(d.customer_no),
                   updated_at=d.updated_at, updated_by=d.updated_by)


class StockDevicesPublic(Page[StockDevicePublic]):
    @classmethod
    def from_proto(cls, reply: pb.StockDevices) -> "StockDevicesPublic":
        return cls(data=[StockDevicePublic.from_proto(d) for d in reply.devices], count=reply.count)


class StockCountPublic(ApiModel):
    station_code: str
    kind: str
    model: str | None
    state: str
    count: int


class StockCountsPublic(Page[StockCountPublic]):
    @classmethod
    def from_proto(cls, reply: pb.StockCounts) -> "StockCountsPublic":
        return cls(data=[StockCountPublic(station_code=c.station_code, kind=c.kind, model=opt(c.model),
                                          state=c.state, count=c.count) for c in reply.counts],
                   count=len(reply.counts))
