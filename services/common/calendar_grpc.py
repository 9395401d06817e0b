"""The working-day calendar's gRPC service, which every service's server offers on its own schema (the
platform registers it in grpc_server.build): read a year, and an admin's change of a day or a year."""
from __future__ import annotations

from datetime import date

from bss.common.v1 import calendar_pb2 as pb
from bss.common.v1 import calendar_pb2_grpc as pb_grpc

from .db import Database
from .errors import InvalidArgument
from . import workcalendar_store as store

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WorkingCalendarService"].full_name


def _year(value: int) -> int:
    if not 1900 <= value <= 2999:
        raise InvalidArgument(f"{value} is not a calendar year", reason="invalid-calendar-year")
    return value


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)", reason="invalid-calendar-day") from None


class WorkingCalendarServicer(pb_grpc.WorkingCalendarServiceServicer):
    def __init__(self, db: Database):
        self.db = db

    def _year_pb(self, cur, year: int) -> pb.CalendarYear:
        known, days = store.year(cur, year)
        return pb.CalendarYear(year=year, known=known, days=[
            pb.CalendarDay(day=d["day"].isoformat(), working=d["working"], name=d["name"] or "", source=d["source"])
            for d in days])

    def GetYear(self, request, context):
        with self.db.transaction() as cur:
            return self._year_pb(cur, _year(request.year))

    def SetDay(self, request, context):
        day = _day(request.day)
        with self.db.transaction() as cur:
            store.set_day(cur, day, request.working, request.name, request.actor or "unknown")
        return pb.CalendarDay(day=day.isoformat(), working=request.working, name=request.name.strip(),
                              source="admin")

    def SetYearKnown(self, request, context):
        with self.db.transaction() as cur:
            store.set_year_known(cur, _year(request.year), request.actor or "unknown")
            return self._year_pb(cur, request.year)


def register(server, db: Database) -> list[str]:
    pb_grpc.add_WorkingCalendarServiceServicer_to_server(WorkingCalendarServicer(db), server)
    return [SERVICE_NAME]
