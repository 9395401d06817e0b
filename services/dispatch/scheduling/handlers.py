"""Scheduling's use cases: free appointment slots, booking and rescheduling a visit, and giving orders to
technicians (a dispatcher's choice, automatically by skill and load, or a technician's claim), with the
station rosters they choose from. A command in, one transaction, rows out."""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.common import workcalendar_store
from services.common.audit import audit
from services.common.db import Database
from services.common.errors import IllegalTransition, InvalidArgument, NotFound
from services.common.inputrules import LABEL_MAX, STATION_CODE_PATTERN, key, wording
from services.common.outbox import emit_many
from services.common.paging import page_bounds

from .. import events
from .. import store as core_store
from ..domain.access import Actor, sees
from ..domain.assignment import Candidate, pick, plan
from ..domain.states import TYPES, next_state
from ..domain.timeslots import FreeSlot, free_slots, parse_day, search_window
from ..handlers import transition, visible_order
from ..service import NAME
from . import booking, store

MAX_CAPACITY = 100
ROSTER_FIELDS = ("station_code", "skills", "daily_capacity", "active")


class SchedulingHandlers:
    def __init__(self, db: Database, timezone: str):
        self.db = db
        self.tz = ZoneInfo(timezone)

    def now(self) -> datetime:
        return datetime.now(self.tz)

    # -- appointments

    def time_slots(self, area_code: str, station_code: str, work_order_no: str, first_day: str, days: int,
                   actor: Actor) -> tuple[dict, list[FreeSlot]]:
        """The station that covers the area (or the order's, or the one named) and its free slots."""
        if sum(map(bool, (area_code, station_code, work_order_no))) != 1:
            raise InvalidArgument("search by one of area, stationCode or workOrderNo", reason="invalid-search")
        now = self.now()
        first, last = search_window(parse_day("from", first_day) if first_day else now.date(), days, now)
        with self.db.transaction() as cur:
            if work_order_no:
                station_code = visible_order(cur, work_order_no, actor)["station_code"]
            elif area_code:
                station_code = store.station_of_area(cur, key("area", area_code))
                if station_code is None:
                    raise NotFound(f"no station is known for area {area_code}; search by stationCode",
                                   reason="unknown-area")
            else:
                station_code = _station_code(station_code)
            station = _station(cur, station_code)
            slots = free_slots(first, last, station["slot_capacity"],
                               store.booked(cur, station["station_code"], first, last),
                               workcalendar_store.load(cur), now, self.tz)
        return station, slots

    def book(self, work_order_no: str, day: str, slot: str, actor: Actor) -> dict:
        """Book the order's visit into a free slot, or move it there (its old place is given back). The
        same booking again changes nothing."""
        the_day = parse_day("day", day)
        with self.db.transaction() as cur:
            order = visible_order(cur, work_order_no, actor, lock=True)
            next_state(order["state"], "schedule")  # a closed order is refused before any slot is looked at
            if (order["slot_day"], order["slot"]) == (the_day, slot):
                return order
            fields = booking.take_place(cur, order, the_day, slot, self.now())
            booking.release_place(cur, order)
            rescheduled = order["slot_day"] is not None
            detail = {"day": the_day.isoformat(), "slot": slot}
            if rescheduled:
                detail["from"] = {"day": order["slot_day"].isoformat(), "slot": order["slot"]}
            return transition(cur, order, "schedule", actor, detail, fields,
                              event=lambda o: events.scheduled(o, rescheduled))

    # -- assignment

    def assign(self, work_order_no: str, username: str, actor: Actor) -> dict:
        """A dispatcher's (or supervisor's) choice of technician: any active one of the order's station;
        the dispatcher knows what the roster's skills and capacity do not."""
        username = _username("technician", username)
        with self.db.transaction() as cur:
            tech = store.technician(cur, username, lock=True)
            order = visible_order(cur, work_order_no, actor, lock=True)
            if tech is None or not tech["active"] or tech["station_code"] != order["station_code"]:
                raise InvalidArgument(f"{username} is not an active technician of station {order['station_code']}",
                                      reason="unknown-technician")
            return self._give(cur, order, username, "assign", actor, "dispatcher")

    def auto_assign(self, work_order_no: str, actor: Actor) -> dict:
        """The order to the least loaded technician of its station trained for it, under capacity."""
        with self.db.transaction() as cur:
            station_code = visible_order(cur, work_order_no, actor)["station_code"]
            store.lock_technicians(cur, station_code)
            order = visible_order(cur, work_order_no, actor, lock=True)
            next_state(order["state"], "assign")
            day = self._work_day(order)
            chosen = pick(self._candidates(cur, station_code, day), order["type"])
            if chosen is None:
                raise IllegalTransition(f"no technician of station {station_code} trained for {order['type']} "
                                        f"has a place left on {day}", reason="no-technician-available")
            return self._give(cur, order, chosen.username, "assign", actor, "auto")

    def auto_assign_station(self, station_code: str, day: str, actor: Actor) -> dict:
        """Every unassigned order of the station's day (unbooked ones on today) to technicians by skill and
        load: the assignments made and the orders nobody could take."""
        station_code = _station_code(station_code)
        today = self.now().date()
        the_day = parse_day("day", day) if day else today
        if the_day < today:
            raise InvalidArgument(f"{the_day} is over", reason="day-in-past")
        with self.db.transaction() as cur:
            if not sees(actor, station_code, None):
                raise NotFound(f"station {station_code} does not exist", reason="unknown-station")
            _station(cur, station_code)
            store.lock_technicians(cur, station_code)
            orders = store.unassigned_of_day(cur, station_code, the_day, today)
            planned = plan([(o["work_order_no"], o["type"]) for o in orders],
                           self._candidates(cur, station_code, the_day))
            made = store.assign_all(cur, planned, next_state("open", "assign"), actor.username, "auto")
            emit_many(cur, NAME, [("work_order_assigned", events.assigned(o, "auto")) for o in made])
        taken = {o["work_order_no"] for o in made}
        return {"station_code": station_code, "day": the_day, "assigned": made,
                "unassigned": [o["work_order_no"] for o in orders if o["work_order_no"] not in taken]}

    def claim(self, work_order_no: str, actor: Actor) -> dict:
        """A technician takes an unassigned order of their station for themselves, within their capacity
        of its day. Of two claims at once, the one that locks the order first wins; the other is told who
        has it."""
        with self.db.transaction() as cur:
            tech = store.technician(cur, actor.username, lock=True)
            if tech is None or not tech["active"]:
                raise IllegalTransition(f"{actor.username} is not on an active station roster", reason="not-on-roster")
            order = core_store.work_order(cur, key("workOrderNo", work_order_no), lock=True)
            if order["station_code"] != tech["station_code"]:
                raise NotFound(f"work order {work_order_no} does not exist", reason="work-order-not-found")
            if order["technician"] is not None:
                raise IllegalTransition(f"work order {order['work_order_no']} is already assigned to "
                                        f"{order['technician']}", reason="already-assigned")
            day = self._work_day(order)
            if store.load(cur, actor.username, day, self.now().date(), str(self.tz)) >= tech["daily_capacity"]:
                raise IllegalTransition(f"you already have {tech['daily_capacity']} orders on {day}",
                                        reason="daily-capacity-reached")
            return self._give(cur, order, actor.username, "claim", actor, "claim")

    def claimable(self, actor: Actor, offset: int, limit: int) -> tuple[list[dict], int]:
        offset, limit = page_bounds(offset, limit)
        with self.db.transaction() as cur:
            tech = store.technician(cur, actor.username)
            station_code = tech["station_code"] if tech and tech["active"] else None
            if station_code is None:
                return [], 0
            return store.claimable(cur, station_code, self.now().date(), offset, limit)

    # -- roster

    def technicians(self, station_code: str, day: str, actor: Actor) -> tuple[date, list[dict]]:
        station_code = _station_code(station_code)
        the_day = parse_day("day", day) if day else self.now().date()
        if not sees(actor, station_code, None):
            raise NotFound(f"station {station_code} does not exist", reason="unknown-station")
        with self.db.transaction() as cur:
            return the_day, store.technicians(cur, station_code, the_day, self.now().date(), str(self.tz),
                                              active_only=False)

    def put_technician(self, username: str, station_code: str, skills: list[str], daily_capacity: int,
                       active: bool, actor: Actor) -> dict:
        """Create or replace a technician's roster entry (audited)."""
        values = {"username": _username("username", username), "station_code": _station_code(station_code),
                  "skills": _skills(skills), "daily_capacity": daily_capacity, "active": active}
        if not 0 <= daily_capacity <= MAX_CAPACITY:
            raise InvalidArgument(f"dailyCapacity must be 0 to {MAX_CAPACITY}", reason="invalid-capacity")
        with self.db.transaction() as cur:
            if store.station(cur, values["station_code"]) is None:
                raise InvalidArgument(f"dispatch knows no station {values['station_code']}", reason="unknown-station")
            before, after = store.put_technician(cur, values, actor.username)
            changes = {k: values[k] for k in ROSTER_FIELDS}
            if before:
                changes["before"] = {k: before[k] for k in ROSTER_FIELDS}
            audit(cur, "technician", values["username"], "put", changes, actor.username)
            today = self.now().date()
            return {**after, "day": today, "load": store.load(cur, after["username"], today, today, str(self.tz))}

    # --

    def _give(self, cur, order: dict, username: str, action: str, actor: Actor, by: str) -> dict:
        return transition(cur, order, action, actor, {"technician": username, "by": by}, {"technician": username},
                          event=lambda o: events.assigned(o, by))

    def _work_day(self, order: dict) -> date:
        return order["slot_day"] or self.now().date()

    def _candidates(self, cur, station_code: str, day: date) -> list[Candidate]:
        return [Candidate(t["username"], frozenset(t["skills"]), t["daily_capacity"], t["load"])
                for t in store.technicians(cur, station_code, day, self.now().date(), str(self.tz), active_only=True)]


def _station(cur, station_code: str) -> dict:
    station = store.station(cur, station_code)
    if station is None:
        raise NotFound(f"station {station_code} does not exist", reason="unknown-station")
    return station


def _station_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not re.fullmatch(STATION_CODE_PATTERN, code):
        raise InvalidArgument("a station code is 1 to 16 letters, digits, _ or -", reason="invalid-station")
    return code


def _username(field: str, value: str) -> str:
    """A user name as the gateway signs it in: case kept."""
    name = wording(field, value or "", LABEL_MAX).strip()
    if not name:
        raise InvalidArgument(f"{field} is required", reason="invalid-username")
    return name


def _skills(skills: list[str]) -> list[str]:
    unknown = sorted(set(skills) - set(TYPES))
    if unknown:
        raise InvalidArgument(f"unknown skill(s) {', '.join(unknown)}; choose from {', '.join(TYPES)}",
                              reason="invalid-skill")
    return sorted(set(skills))
