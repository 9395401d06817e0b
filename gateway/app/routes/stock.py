"""Device stock: set-top boxes and smart cards received into a station's stock by serial (thousands per
request), issued to technicians, handed back; counts per station, and what each technician carries. A
dispatcher works their own station's stock; installs happen by completing a work order. Receipts, issues
and hand-backs honour `Idempotency-Key`."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bss.dispatch.v1 import stock_pb2 as pb

from ..deps import Limit, Offset, StockClient, StockReader, StockReturner, StockWriter
from ..fields import created, page
from ..idempotency import Idempotent
from ..keys import StationCodeQuery, UsernamePath
from ..schemas.stock import (ReceiptPublic, StockCountsPublic, StockDevicesPublic, StockIssue, StockReceipt,
                             StockReturn)
from ..schemas.work_orders import actor

router = APIRouter(tags=["stock"])


@router.post("/stock/receipts", status_code=201, response_model=ReceiptPublic)
async def receive_devices(body: StockReceipt, user: StockWriter, client: StockClient, once: Idempotent) -> JSONResponse:
    """Devices of one kind and model into a station's stock (a dispatcher: their own station). All or none:
    a serial already known, or given twice, refuses the whole receipt, naming the serials."""
    async def receive() -> JSONResponse:
        r = await client.ReceiveDevices(pb.ReceiveDevicesRequest(
            station_code=body.station_code, kind=body.kind, model=body.model, serials=body.serials,
            actor=actor(user)))
        return created(ReceiptPublic(station_code=r.station_code, kind=r.kind, model=r.model, received=r.received))
    return await once(receive)


@router.post("/stock/issues", response_model=StockDevicesPublic)
async def issue_devices(body: StockIssue, user: StockWriter, client: StockClient, once: Idempotent) -> JSONResponse:
    """Devices from the station's stock into a technician's hands; every serial must be in stock, or none moves."""
    async def issue() -> JSONResponse:
        return page(StockDevicesPublic.from_proto(await client.IssueDevices(pb.IssueDevicesRequest(
            technician=body.technician, serials=body.serials, actor=actor(user)))))
    return await once(issue)


@router.post("/stock/returns", response_model=StockDevicesPublic)
async def return_devices(body: StockReturn, user: StockReturner, client: StockClient,
                         once: Idempotent) -> JSONResponse:
    """Devices a technician brings back (unused, or removed from homes): into station stock, or with
    `faulty` set aside. A technician hands back their own; a dispatcher takes back for their station."""
    async def hand_back() -> JSONResponse:
        return page(StockDevicesPublic.from_proto(await client.ReturnDevices(pb.ReturnDevicesRequest(
            serials=body.serials, faulty=body.faulty, actor=actor(user)))))
    return await once(hand_back)


@router.get("/stock", response_model=StockCountsPublic)
async def count_stock(user: StockReader, client: StockClient, station_code: StationCodeQuery = None) -> JSONResponse:
    """Devices per station, kind, model and state (a dispatcher's or technician's: their own station)."""
    return page(StockCountsPublic.from_proto(await client.CountStock(pb.CountStockRequest(
        station_code=station_code or "", actor=actor(user)))))


@router.get("/technicians/me/stock", response_model=StockDevicesPublic)
async def my_devices(user: StockReader, client: StockClient, offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """The devices the signed-in user carries: issued to them, or removed from homes to bring back."""
    return await _carried(user.username, user, client, offset, limit)


@router.get("/technicians/{username}/stock", response_model=StockDevicesPublic)
async def technician_devices(username: UsernamePath, user: StockReader, client: StockClient, offset: Offset = 0,
                             limit: Limit = 20) -> JSONResponse:
    """What a technician carries (a dispatcher sees the devices of their own station; a technician only
    their own)."""
    return await _carried(username, user, client, offset, limit)


async def _carried(technician: str, user, client, offset: int, limit: int) -> JSONResponse:
    return page(StockDevicesPublic.from_proto(await client.ListCarriedDevices(pb.ListCarriedDevicesRequest(
        technician=technician, offset=offset, limit=limit, actor=actor(user)))))
