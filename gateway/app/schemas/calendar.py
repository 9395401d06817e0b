"""The working-day calendar as the API shows it."""
from __future__ import annotations

from pydantic import Field

from bss.common.v1 import calendar_pb2 as pb

from .base import ApiModel, InputModel


class CalendarDayPublic(ApiModel):
    day: str
    working: bool
    name: str
    source: str  # library | admin

    @classmethod
    def from_proto(cls, m: pb.CalendarDay) -> "CalendarDayPublic":
        return cls(day=m.day, working=m.working, name=m.name, source=m.source)


class CalendarYearPublic(ApiModel):
    year: int
    known: bool
    days: list[CalendarDayPublic]

    @classmethod
    def from_proto(cls, m: pb.CalendarYear) -> "CalendarYearPublic":
        return cls(year=m.year, known=m.known, days=[CalendarDayPublic.from_proto(d) for d in m.days])


class CalendarDaySet(InputModel):
    working: bool
    name: str = Field("", max_length=100)
