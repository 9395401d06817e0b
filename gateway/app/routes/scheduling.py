"""Scheduling: free appointment slots (TMF646 searchTimeSlot) and appointments for the front line, orders
given to technicians by a dispatcher, automatically, or by a technician's claim, and the station rosters."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bss.dispatch.v1 import scheduling_pb2 as pb

from .. import staff
from ..deps import (AppointmentBooker, DbDep, Limit, Offset, SchedulingClient, TechnicianReader, TechnicianWriter,
                    WorkOrderAssigner, WorkOrderClaimer)
from ..fields import created, page, selected
from ..idempotency import Idempotent
from ..keys import STATION_CODE, UsernamePath, WorkOrderNo, key_query
from ..schemas.scheduling import (AppointmentCreate, AppointmentPublic, AssignmentCreate, StationAssignmentsPublic,
                                  TechnicianPublic, TechnicianPut, TechniciansPublic, TimeSlotsPublic)
from ..schemas.work_orders import WorkOrderPublic, WorkOrdersPublic, actor

router = APIRouter(tags=["scheduling"])
StationCode = Annotated[str, Path(alias="stationCode", pattern=STATION_CODE)]
Day = Annotated[date | None, Query(description="YYYY-MM-DD; today when absent")]


@router.get("/appointmentSlots", response_model=TimeSlotsPublic)
async def search_time_slots(
        user: AppointmentBooker, client: SchedulingClient,
        area: Annotated[str | None, Query(pattern=STATION_CODE, description="the customer's area code")] = None,
        station_code: Annotated[str | None, Query(alias="stationCode", pattern=STATION_CODE)] = None,
        work_order_no: Annotated[str | None, key_query("workOrderNo")] = None,
        from_day: Annotated[date | None, Query(alias="from", description="first day; today when absent")] = None,
        days: Annotated[int, Query(ge=1, le=31, description="calendar days searched")] = 7) -> JSONResponse:
    """The bookable slots (a working day's AM 09-12 or PM 13-17, not over, with a free place) of the station
    covering the area, the work order's station or the one named: give exactly one of the three."""
    return page(TimeSlotsPublic.from_proto(await client.SearchTimeSlots(pb.SearchTimeSlotsRequest(
        area_code=area or "", station_code=station_code or "", work_order_no=work_order_no or "",
        from_day=from_day.isoformat() if from_day else "", days=days, actor=actor(user)))))


@router.post("/appointments", status_code=201, response_model=AppointmentPublic)
async def book_appointment(body: AppointmentCreate, user: AppointmentBooker, client: SchedulingClient,
                           request: Request, once: Idempotent) -> JSONResponse:
    """Book a work order's visit into a free slot, or move it to another (the old place is given back, and
    its technician released). A full slot is 409 slot-full; a day off or a slot that is over, 422."""
    async def book() -> JSONResponse:
        reply = await client.BookAppointment(pb.BookAppointmentRequest(
            work_order_no=body.work_order_no, day=body.day.isoformat(), slot=body.slot, actor=actor(user)))
        return created(AppointmentPublic.from_proto(reply),
                       request.app.url_path_for("get_work_order", workOrderNo=reply.work_order_no))
    return await once(book)


@router.post("/workOrders/{workOrderNo}/assign", response_model=WorkOrderPublic)
async def assign_work_order(work_order_no: WorkOrderNo, body: AssignmentCreate, user: WorkOrderAssigner,
                            client: SchedulingClient) -> JSONResponse:
    """Give an order of the dispatcher's station to one of its active technicians (or to another one)."""
    return selected(WorkOrderPublic.from_proto(await client.AssignWorkOrder(pb.AssignWorkOrderRequest(
        work_order_no=work_order_no, technician=body.technician, actor=actor(user))), user.role))


@router.post("/workOrders/{workOrderNo}/autoAssign", response_model=WorkOrderPublic)
async def auto_assign_work_order(work_order_no: WorkOrderNo, user: WorkOrderAssigner,
                                 client: SchedulingClient) -> JSONResponse:
    """Give the order to the least loaded technician of its station trained for its type with a place left
    on its day; 409 no-technician-available when there is none."""
    return selected(WorkOrderPublic.from_proto(await client.AutoAssignWorkOrder(pb.AutoAssignWorkOrderRequest(
        work_order_no=work_order_no, actor=actor(user))), user.role))


@router.post("/stations/{stationCode}/autoAssign", response_model=StationAssignmentsPublic)
async def auto_assign_station(station_code: StationCode, user: WorkOrderAssigner, client: SchedulingClient,
                              day: Day = None) -> JSONResponse:
    """Give every unassigned order of the station's day (orders without a booked slot count as today's) to
    its technicians by skill and load; the answer lists what was assigned and what nobody could take."""
    return selected(StationAssignmentsPublic.from_proto(await client.AutoAssignStation(pb.AutoAssignStationRequest(
        station_code=station_code, day=day.isoformat() if day else "", actor=actor(user)))))


@router.post("/workOrders/{workOrderNo}/claim", response_model=WorkOrderPublic)
async def claim_work_order(work_order_no: WorkOrderNo, user: WorkOrderClaimer,
                           client: SchedulingClient) -> JSONResponse:
    """A technician takes an unassigned order of their station, within their daily capacity. Of two claims
    of one order, one wins; the other is 409 already-assigned."""
    return selected(WorkOrderPublic.from_proto(await client.ClaimWorkOrder(pb.ClaimWorkOrderRequest(
        work_order_no=work_order_no, actor=actor(user))), user.role))


@router.get("/technicians/me/claimable", response_model=WorkOrdersPublic)
async def claimable_work_orders(user: WorkOrderClaimer, client: SchedulingClient, offset: Offset = 0,
                                limit: Limit = 20) -> JSONResponse:
    """The unassigned orders of the technician's station, the soonest visit first."""
    return page(WorkOrdersPublic.from_proto(await client.ListClaimable(pb.ListClaimableRequest(
        offset=offset, limit=limit, actor=actor(user))), user.role))


@router.get("/stations/{stationCode}/technicians", response_model=TechniciansPublic)
async def list_technicians(station_code: StationCode, user: TechnicianReader, client: SchedulingClient,
                           day: Day = None) -> JSONResponse:
    """The station's roster with each technician's load on the day (a dispatcher sees their own station's)."""
    return page(TechniciansPublic.from_proto(await client.ListTechnicians(pb.ListTechniciansRequest(
        station_code=station_code, day=day.isoformat() if day else "", actor=actor(user)))))


@router.put("/technicians/{username}", response_model=TechnicianPublic)
async def put_technician(username: UsernamePath, body: TechnicianPut, user: TechnicianWriter, client: SchedulingClient,
                         db: DbDep) -> JSONResponse:
    """Put a technician on a station's roster or change their entry: skills, daily capacity, active. An active
    entry needs an active technician account of that station (/staff); an entry is taken off with active false
    whatever became of the account."""
    if body.active:
        await run_in_threadpool(staff.check_technician, db, username, body.station_code)
    return selected(TechnicianPublic.from_proto(await client.PutTechnician(body.to_proto(username, actor(user)))))
