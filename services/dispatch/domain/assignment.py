"""Who gets a work order when nobody names the technician: one of the station's active technicians
trained for its type, with a place left under their daily capacity, the least loaded that day first
(ties: more capacity left, then by name, so the same state always gives the same answer)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence


@dataclass(frozen=True)
class Candidate:
    username: str
    skills: frozenset[str]
    capacity: int
    load: int  # orders they hold for the day


def pick(candidates: Sequence[Candidate], work_order_type: str) -> Candidate | None:
    able = [c for c in candidates if work_order_type in c.skills and c.load < c.capacity]
    return min(able, key=lambda c: (c.load, c.load - c.capacity, c.username), default=None)


def plan(orders: Sequence[tuple[str, str]], candidates: Sequence[Candidate]) -> list[tuple[str, str]]:
    """(work order no, technician) for those of `orders` ((no, type), most urgent first) the technicians
    can take, each pick counting towards the next. The orders whose type the fewest technicians know go
    first: a generalist's capacity is not spent on work that others could have done."""
    staff = {c.username: c for c in candidates}
    trained = {t: sum(1 for c in candidates if t in c.skills) for _, t in orders}
    planned = []
    for no, work_order_type in sorted(orders, key=lambda o: trained[o[1]]):  # stable: urgency within a rarity
        chosen = pick(list(staff.values()), work_order_type)
        if chosen is not None:
            staff[chosen.username] = replace(chosen, load=chosen.load + 1)
            planned.append((no, chosen.username))
    return planned
