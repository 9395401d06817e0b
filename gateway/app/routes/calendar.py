"""The working-day calendar: a year as the services count it, and an admin's change of a day (e.g. next
year's State Council notice, entered each November), sent to every service, since each keeps its own."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import grpc
from fastapi import APIRouter, Path, Request

from bss.common.v1 import calendar_pb2 as pb
from bss.common.v1 import calendar_pb2_grpc as pb_grpc

from ..deps import CalendarAdmin, CalendarReader
from ..grpc_clients import PEERS
from ..problems import Problem
from ..schemas.calendar import CalendarDayPublic, CalendarDaySet, CalendarYearPublic

router = APIRouter(prefix="/workingCalendar", tags=["calendar"])

Year = Annotated[int, Path(ge=1900, le=2999, description="A calendar year")]


def _client(request: Request, peer: str):
    return request.app.state.channels.client(peer, request.state.correlation_id, pb_grpc.WorkingCalendarServiceStub)


async def _everywhere(request: Request, method: str, message) -> list:
    """The same change in every service's calendar. It is idempotent, so after a partial failure the
    admin sends it again; the answer names the services that missed it."""
    calls = [getattr(_client(request, peer.name), method)(message) for peer in PEERS]
    results = await asyncio.gather(*calls, return_exceptions=True)
    missed = [peer.name for peer, r in zip(PEERS, results) if isinstance(r, grpc.RpcError)]
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, grpc.RpcError):
            raise r
    if missed:
        raise Problem(503, "calendar-partly-changed",
                      f"the change did not reach {', '.join(missed)}; send it again (it is safe to repeat)")
    return results


@router.get("/{year}", response_model=CalendarYearPublic)
async def get_year(year: Year, user: CalendarReader, request: Request) -> CalendarYearPublic:
    """The days of a year that are not plain Monday-to-Friday working days (holidays, make-up working
    weekends), and whether the year's notice is in (an unknown year counts weekends only)."""
    return CalendarYearPublic.from_proto(await _client(request, PEERS[0].name).GetYear(pb.GetYearRequest(year=year)))


@router.put("/days/{day}", response_model=CalendarDayPublic)
async def set_day(day: date, body: CalendarDaySet, user: CalendarAdmin, request: Request) -> CalendarDayPublic:
    """Make a day a working day or a day off, in every service; a later library update keeps it."""
    message = pb.SetDayRequest(day=day.isoformat(), working=body.working, name=body.name, actor=user.username)
    return CalendarDayPublic.from_proto((await _everywhere(request, "SetDay", message))[0])


@router.post("/{year}/known", response_model=CalendarYearPublic)
async def set_year_known(year: Year, user: CalendarAdmin, request: Request) -> CalendarYearPublic:
    """Declare a year's notice entered: its dates stop counting weekends only."""
    message = pb.SetYearKnownRequest(year=year, actor=user.username)
    return CalendarYearPublic.from_proto((await _everywhere(request, "SetYearKnown", message))[0])
