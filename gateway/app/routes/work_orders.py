"""Work orders (TMF-style workOrder): the front line opens fault visits and follows any order, a dispatcher
sees their station's, a technician their own; cancelling and reopening are oversight's decisions. Booking,
assigning and the technicians' steps have routes of their own beside these."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from bss.dispatch.v1 import dispatch_pb2 as pb

from ..deps import Limit, Offset, WorkOrderChanger, WorkOrderClient, WorkOrderCreator, WorkOrderReader
from ..fields import created, page, selected
from ..idempotency import Idempotent
from ..keys import USERNAME_RULE, StationCodeQuery, WorkOrderNo, key_query
from ..schemas.work_orders import (WorkOrderChange, WorkOrderCreate, WorkOrderPublic, WorkOrdersPublic,
                                   WorkOrderState, WorkOrderType, actor)
router = APIRouter(tags=["work orders"])
Key = Annotated[str | None, key_query()]


@router.post("/workOrders", status_code=201, response_model=WorkOrderPublic)
async def create_work_order(body: WorkOrderCreate, user: WorkOrderCreator, client: WorkOrderClient, request: Request,
                            once: Idempotent) -> JSONResponse:
    """A fault call's (or a complaint's) visit to the premises of one of the customer's services, routed to
    the station that covers them. `Idempotency-Key` is required: a retried call opens no second visit."""
    key = once.required("it creates a work order")

    async def create() -> JSONResponse:
        reply = await client.CreateWorkOrder(body.to_proto(user, f"{user.username}:{key}"))
        return created(WorkOrderPublic.from_proto(reply, user.role),
                       request.app.url_path_for("get_work_order", workOrderNo=reply.work_order_no))
    return await once(create)


@router.get("/workOrders", response_model=WorkOrdersPublic)
async def list_work_orders(user: WorkOrderReader, client: WorkOrderClient, station_code: StationCodeQuery = None,
                           state: WorkOrderState | None = None, type: WorkOrderType | None = None,
                           technician: Annotated[str | None, Query(**USERNAME_RULE)] = None,
                           customer_no: Annotated[Key, Query(alias="customerNo")] = None,
                           escalated: bool = False, open_only: Annotated[bool, Query(alias="open")] = False,
                           campaign_no: Annotated[Key, Query(alias="campaignNo")] = None,
                           offset: Offset = 0, limit: Limit = 20) -> JSONResponse:
    """Orders, the most urgent first. A dispatcher's list is their station's and a technician's their own,
    whatever the filters say."""
    reply = await client.ListWorkOrders(pb.ListWorkOrdersRequest(
        station_code=station_code or "", state=state or "", type=type or "", technician=technician or "",
        customer_no=customer_no or "", escalated_only=escalated, open_only=open_only, campaign_no=campaign_no or "",
        offset=offset, limit=limit,
        actor=actor(user)))
    return page(WorkOrdersPublic.from_proto(reply, user.role))


@router.get("/workOrders/{workOrderNo}", response_model=WorkOrderPublic)
async def get_work_order(work_order_no: WorkOrderNo, user: WorkOrderReader, client: WorkOrderClient) -> JSONResponse:
    """One order with its history and the earlier visits for the same customer or service."""
    return selected(WorkOrderPublic.from_proto(
        await client.GetWorkOrder(pb.GetWorkOrderRequest(work_order_no=work_order_no, actor=actor(user))), user.role))


async def _change(work_order_no: str, action: str, body: WorkOrderChange, user, client) -> JSONResponse:
    return selected(WorkOrderPublic.from_proto(await client.ChangeWorkOrder(pb.ChangeWorkOrderRequest(
        work_order_no=work_order_no, action=action, reason=body.reason, actor=actor(user))), user.role))


@router.post("/workOrders/{workOrderNo}/cancel", response_model=WorkOrderPublic)
async def cancel_work_order(work_order_no: WorkOrderNo, body: WorkOrderChange, user: WorkOrderChanger,
                            client: WorkOrderClient) -> JSONResponse:
    """Cancel an order not yet started on site; its technician's phone drops it at the next sync."""
    return await _change(work_order_no, "cancel", body, user, client)


@router.post("/workOrders/{workOrderNo}/reopen", response_model=WorkOrderPublic)
async def reopen_work_order(work_order_no: WorkOrderNo, body: WorkOrderChange, user: WorkOrderChanger,
                            client: WorkOrderClient) -> JSONResponse:
    """A supervisor sends a completed order back to be dispatched again (a technician cannot change it)."""
    return await _change(work_order_no, "reopen", body, user, client)
