"""The technicians' phone: pull their own orders by change cursor (an offline phone syncs only what
changed, removals included), and take the steps of a visit. Each step is the order's own technician's:
another's order does not exist for them (404), a step out of order is 409 illegal-transition. A step may
carry `Idempotency-Key`: a retried request answers the first result instead of a 409."""
from __future__ import annotations

from typing import Annotated, Awaitable, Callable

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from bss.dispatch.v1 import field_pb2 as pb

from ..auth import User
from ..deps import ConfirmationCodeReader, FieldClient, FieldWorker
from ..fields import page, selected
from ..idempotency import Idempotent
from ..keys import WorkOrderNo
from ..schemas.field import ConfirmationCodePublic, WorkOrderCompletion, WorkOrderFeed, WorkOrderUnfinished
from ..schemas.work_orders import WorkOrderPublic, actor

router = APIRouter(tags=["field work"])
FEED_MAX = 200


@router.get("/technicians/me/workOrders", response_model=WorkOrderFeed)
async def pull_work_orders(user: FieldWorker, client: FieldClient,
                           since: Annotated[int | None, Query(ge=0, le=2**63 - 1, description=(
                               "The cursor of the last pull; without it, all open orders"))] = None,
                           limit: Annotated[int, Query(ge=1, le=FEED_MAX, description=(
                               f"Changes per page, at most {FEED_MAX}"))] = 100) -> JSONResponse:
    """The signed-in technician's orders that changed after `since` (each as GET /workOrders/{id} shows it,
    with the earlier visits to the customer, without the history), `removed`: the orders that left them
    (reassigned, cancelled, rescheduled, returned), and the `cursor` to send next time. Changes come in
    the order they were made; with `more`, pull again from `cursor` at once."""
    request = pb.PullWorkOrdersRequest(actor=actor(user), limit=limit)
    if since is not None:
        request.since = since
    return page(WorkOrderFeed.from_proto(await client.PullWorkOrders(request), user.role))


async def _step(once, user: User, call: Callable[[], Awaitable]) -> JSONResponse:
    """A step's answer, made only when `once` has no earlier answer to its Idempotency-Key."""
    async def run() -> JSONResponse:
        return selected(WorkOrderPublic.from_proto(await call(), user.role))
    return await once(run)


@router.post("/workOrders/{workOrderNo}/accept", response_model=WorkOrderPublic)
async def accept_work_order(work_order_no: WorkOrderNo, user: FieldWorker, client: FieldClient,
                            once: Idempotent) -> JSONResponse:
    """The technician takes on an order assigned to them."""
    step = pb.FieldStepRequest(work_order_no=work_order_no, actor=actor(user))
    return await _step(once, user, lambda: client.AcceptWorkOrder(step))


@router.post("/workOrders/{workOrderNo}/arrive", response_model=WorkOrderPublic)
async def arrive_at_work_order(work_order_no: WorkOrderNo, user: FieldWorker, client: FieldClient,
                               once: Idempotent) -> JSONResponse:
    """On site: records the arrival, and whether it was within the order's due time (`onTime`)."""
    step = pb.FieldStepRequest(work_order_no=work_order_no, actor=actor(user))
    return await _step(once, user, lambda: client.ArriveAtWorkOrder(step))


@router.post("/workOrders/{workOrderNo}/complete", response_model=WorkOrderPublic)
async def complete_work_order(work_order_no: WorkOrderNo, body: WorkOrderCompletion, user: FieldWorker,
                              client: FieldClient, once: Idempotent) -> JSONResponse:
    """The work done. Every installed serial must be in the technician's hands (409 device-not-held,
    naming it, and nothing changes); it becomes installed at the customer's, and removed devices go into
    the technician's hands to carry back. A digital TV install or conversion installs one smart card and
    one set-top box (422 otherwise). Completing twice is 409 illegal-transition."""
    return await _step(once, user, lambda: client.CompleteWorkOrder(body.to_proto(work_order_no, user)))


@router.post("/workOrders/{workOrderNo}/returnUnfinished", response_model=WorkOrderPublic)
async def return_work_order_unfinished(work_order_no: WorkOrderNo, body: WorkOrderUnfinished, user: FieldWorker,
                                       client: FieldClient, once: Idempotent) -> JSONResponse:
    """The visit could not finish: the order goes back to its station to be dispatched again (off the
    technician's list, its slot given back)."""
    return await _step(once, user, lambda: client.ReturnUnfinished(pb.ReturnUnfinishedRequest(
        work_order_no=work_order_no, reason=body.reason, notes=body.notes, actor=actor(user))))


@router.get("/workOrders/{workOrderNo}/confirmationCode", response_model=ConfirmationCodePublic)
async def get_confirmation_code(work_order_no: WorkOrderNo, user: ConfirmationCodeReader,
                                client: FieldClient) -> JSONResponse:
    """The code the customer reads out to the technician when the work is done, for the front line to give
    the customer (it is made with the order; the technician never sees it)."""
    c = await client.GetConfirmationCode(pb.FieldStepRequest(work_order_no=work_order_no, actor=actor(user)))
    return selected(ConfirmationCodePublic.from_proto(c))


@router.post("/workOrders/{workOrderNo}/confirmationCode", response_model=ConfirmationCodePublic)
async def new_confirmation_code(work_order_no: WorkOrderNo, user: ConfirmationCodeReader,
                                client: FieldClient) -> JSONResponse:
    """A new code for the customer, when the old one reached the wrong person or too many wrong codes were
    typed (the order then refuses every code, 409 confirmation-code-locked): the old code stops working.
    409 once the order is completed or cancelled."""
    c = await client.NewConfirmationCode(pb.FieldStepRequest(work_order_no=work_order_no, actor=actor(user)))
    return selected(ConfirmationCodePublic.from_proto(c))
